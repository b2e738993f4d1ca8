"""Airflow's plugins folder entry for pco-sync: the plugin itself lives in the package
(pco_sync.airflow.plugin); Airflow registers the AirflowPlugin subclasses it finds here."""
from pco_sync.airflow.plugin import PcoSyncPlugin  # noqa: F401
