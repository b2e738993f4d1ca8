"""The Airflow glue: the PCO hook and connection type, the task bodies, the UI plugin."""
