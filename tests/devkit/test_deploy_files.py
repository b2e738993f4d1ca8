"""docker-compose.yaml and airflow_settings.yaml cannot run here: check what they must hold."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yaml").read_text())


def test_compose_services_and_celery():
    services = compose()["services"]
    for name in ("postgres", "redis", "airflow-scheduler", "airflow-apiserver",
                 "airflow-dag-processor", "airflow-worker", "airflow-triggerer", "airflow-init"):
        assert name in services, name
    commands = {n: s.get("command") for n, s in services.items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-worker"] == "celery worker"
    for name in ("airflow-scheduler", "airflow-apiserver", "airflow-dag-processor",
                 "airflow-worker", "airflow-triggerer", "airflow-init"):
        env = services[name]["environment"]
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:") or "@redis:" in env["AIRFLOW__CELERY__BROKER_URL"]
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert "@postgres/" in env["AIRFLOW__CELERY__RESULT_BACKEND"]
        assert services[name]["image"].startswith("apache/airflow:3.3") or "3.3" in services[name]["image"]


def test_compose_mounts_project_and_installs_requirements():
    services = compose()["services"]
    for name, svc in services.items():
        if not name.startswith("airflow-"):
            continue
        mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
        assert mounts["/opt/airflow/dags"] == "./dags"
        assert mounts["/opt/airflow/plugins"] == "./plugins"
        assert mounts["/opt/airflow/include"] == "./include"
        assert mounts["/opt/airflow/airflow_settings.yaml"] == "./airflow_settings.yaml"
        assert mounts["/opt/airflow/devkit"] == "./devkit"  # the settings loader
        reqs = svc["environment"]["_PIP_ADDITIONAL_REQUIREMENTS"]
        assert "/opt/airflow/requirements.txt" in reqs and mounts["/opt/airflow/requirements.txt"] == "./requirements.txt"
    assert "devkit.airflow_settings apply" in " ".join(services["airflow-init"]["command"])


def test_airflow_settings():
    doc = yaml.safe_load((ROOT / "airflow_settings.yaml").read_text())["airflow"]
    conns = {c["conn_id"]: c for c in doc["connections"]}
    assert conns["pco_default"]["conn_type"] == "pco"
    assert conns["pco_default"]["conn_host"].startswith("http")
    assert conns["church_db"]["conn_type"] == "postgres"
    pools = {p["pool_name"]: p for p in doc["pools"]}
    assert pools["pco_api"]["pool_slot"] == 1


def test_settings_loader_maps_astro_fields(monkeypatch):
    from devkit import airflow_settings as settings

    loaded = settings.load(ROOT / "airflow_settings.yaml")
    fields = settings.connection_fields(next(c for c in loaded["connections"] if c["conn_id"] == "pco_default"))
    assert fields["conn_type"] == "pco" and fields["host"] == "http://127.0.0.1:8765"
    monkeypatch.setenv("AIRFLOW_CONN_CHURCH_DB", "postgresql://u@h/d")
    assert settings.env_overrides("church_db") and not settings.env_overrides("pco_default_x")
