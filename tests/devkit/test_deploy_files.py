"""docker-compose.yaml, its Dockerfile and airflow_settings.yaml cannot run here (no Docker
engine, no registry): check what they must hold, and that every service has what it needs."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from devkit import celery

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
                    "airflow-worker", "airflow-triggerer", "airflow-init")
REQUIRED_ENV = ("AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CELERY__BROKER_URL",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW__CELERY__RESULT_BACKEND",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "AIRFLOW__API_AUTH__JWT_SECRET",
                "AIRFLOW__CORE__FERNET_KEY")


def compose_text() -> str:
    return (ROOT / "docker-compose.yaml").read_text()


def compose() -> dict:
    return yaml.safe_load(compose_text())  # PyYAML resolves the << merge keys


def services() -> dict:
    return compose()["services"]


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def interpolated_default(value: str) -> str:
    """A compose value with each ${VAR:-default} replaced by its default (innermost first)."""
    while True:
        new = re.sub(r"\$\{[A-Z0-9_]+:-([^${}]*)\}", r"\1", value)
        if new == value:
            return value
        value = new


def host_of(url: str) -> str:
    return urlsplit(interpolated_default(url)).hostname


def test_compose_has_the_services_of_a_celery_deployment():
    svc = services()
    for name in ("postgres", "redis", "church-db", *AIRFLOW_SERVICES):
        assert name in svc, name
    commands = {n: s.get("command") for n, s in svc.items()}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-worker"] == "celery worker"
    assert commands["airflow-triggerer"] == "triggerer"


def test_every_service_has_an_image_and_the_airflow_ones_build_the_one_image():
    svc = services()
    for name, s in svc.items():
        assert s.get("image") or s.get("build"), f"{name} has neither image nor build"
    images = {svc[n]["image"] for n in AIRFLOW_SERVICES}
    builds = {yaml.safe_dump(svc[n]["build"]) for n in AIRFLOW_SERVICES}
    assert len(images) == 1 and len(builds) == 1, "the Airflow services must share one image"
    build = svc["airflow-init"]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()
    assert "apache/airflow" not in next(iter(images)), "the image is ours, built from Dockerfile"


def test_every_airflow_service_has_the_settings_it_needs():
    svc = services()
    for name in AIRFLOW_SERVICES:
        env = svc[name]["environment"]
        missing = [k for k in REQUIRED_ENV if not env.get(k)]
        assert not missing, f"{name} lacks {missing}"
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        # the workers' preloading configuration (tests/airflow/test_celery_config.py)
        assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == celery.CELERY_CONFIG, name
        assert host_of(env["AIRFLOW__CELERY__BROKER_URL"]) == "redis"
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://")
        assert host_of(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]) == "postgres"
        assert host_of(env["AIRFLOW__CELERY__RESULT_BACKEND"].removeprefix("db+")) == "postgres"
        api = urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"])
        assert api.hostname == "airflow-apiserver" and api.port == 8080
        assert api.path == "/execution/"
        # Shared secrets come from .env; a default would be the same secret everywhere.
        for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CORE__FERNET_KEY"):
            assert re.fullmatch(r"\$\{" + key + r":\?[^}]+\}", env[key]), f"{name}: {key}"
        # The default church's database is the church-db service, never localhost.
        assert host_of(env["AIRFLOW_CONN_CHURCH_DB"]) == "church-db"
        env_file = svc[name]["env_file"]
        assert env_file == [{"path": ".env", "required": False}]  # the churches' connections
    for name, host in (("airflow-apiserver", "postgres"), ("airflow-worker", "redis")):
        assert host in svc  # the hosts named above are services of the file


def test_depends_on_targets_exist_with_conditions_they_can_meet():
    svc = services()
    for name, s in svc.items():
        for target, cond in (s.get("depends_on") or {}).items():
            assert target in svc, f"{name} depends on unknown {target}"
            condition = cond["condition"]
            if condition == "service_healthy":
                assert svc[target].get("healthcheck"), f"{target} has no healthcheck"
            elif condition == "service_completed_successfully":
                assert target == "airflow-init"
            else:
                assert condition == "service_started", condition
    for name in AIRFLOW_SERVICES:
        needs = set(svc[name]["depends_on"])
        assert {"postgres", "redis", "church-db"} <= needs, name
        if name != "airflow-init":
            assert "airflow-init" in needs, name


def test_volumes_exist_in_the_repository_or_are_declared():
    doc = compose()
    named = set(doc.get("volumes") or {})
    for name, s in doc["services"].items():
        for volume in s.get("volumes") or []:
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in named, f"{name} uses undeclared volume {source}"


def test_no_requirements_installed_at_start():
    assert "_PIP_ADDITIONAL_REQUIREMENTS" not in compose_text()


def test_init_applies_the_settings_and_the_churches():
    command = " ".join(services()["airflow-init"]["command"])
    assert "devkit.airflow_settings apply /opt/airflow/airflow_settings.yaml" in command
    assert "devkit.church_settings databases" in command
    assert services()["airflow-init"]["environment"]["_AIRFLOW_DB_MIGRATE"] == "true"


def test_env_example_names_every_variable_the_file_requires():
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", compose_text()))
    assert required >= {"AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET"}
    example = (ROOT / ".env.example").read_text()
    for var in required:
        assert re.search(rf"^{var}=", example, re.M), var
    assert ".env" in (ROOT / ".gitignore").read_text().split()


def test_dockerfile_builds_from_the_locked_airflow_and_installs_the_lock():
    text = dockerfile()
    pin = re.search(r"^apache-airflow==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)[1]
    base = re.search(r"^FROM apache/airflow:(\S+)-python(\S+)$", text, re.M)
    assert base, "FROM apache/airflow:<version>-python<version>"
    assert base[1] == pin, f"the image is Airflow {base[1]}, the lock pins {pin}"
    header = (ROOT / "requirements.txt").read_text().splitlines()[1]
    assert f"--python-version {base[2]}" in header or "--python-version" not in header
    assert re.search(r"pip install --no-cache-dir -r /opt/airflow/requirements.txt", text)
    assert re.search(r"pip install --no-cache-dir --no-deps /opt/airflow/plugins", text)
    lock = (ROOT / "requirements.txt").read_text()
    for package in ("apache-airflow-providers-celery", "celery", "redis"):
        assert re.search(rf"^{package}==", lock, re.M), f"the lock lacks {package}"


def test_dockerfile_copies_what_exists_and_dockerignore_keeps_it():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    copied = []
    for sources in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", dockerfile(), re.M):
        copied += sources.split()
    assert {"requirements.txt", "plugins", "dags", "include", "devkit",
            "airflow_settings.yaml", "churches.yam[l]"} <= set(copied)
    for source in copied:
        if "[" in source:
            continue  # churches.yam[l]: copied when the repository has one
        assert (ROOT / source).exists(), source
        assert source not in ignored, f".dockerignore leaves out {source}"


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
