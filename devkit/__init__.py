"""Developer tooling (embedded PostgreSQL, make demo, make airflow, settings loader).
Never imported by the runtime package pco_sync."""
