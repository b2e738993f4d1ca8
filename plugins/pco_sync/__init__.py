"""pco-sync: Airflow plugin package syncing Planning Center Online with the church PostgreSQL DB."""
