"""Sync DAGs of the churches of churches.yaml in shard 1 of pco_sync.airflow.sync_dag.SHARDS
(a stable hash of the slug): their docs and what they do are dags/pco_sync.py's."""
from __future__ import annotations

from pco_sync.airflow import sync_dag

sync_dag.build_file(globals(), 1, sync_dag.main_doc(__file__))
