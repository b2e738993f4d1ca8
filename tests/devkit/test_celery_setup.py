"""make celery's preparation without starting Airflow (devkit.celery, devkit.church_settings):
what it says when Redis or PostgreSQL is missing, the settings every component gets, the
home's airflow.cfg, secrets kept out of messages."""
from __future__ import annotations

import socket
import textwrap

import pytest

from devkit import celery, church_settings


def closed_port() -> int:
    """A port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_missing_redis_is_named_with_how_to_get_it():
    port = closed_port()
    said = celery.check_broker(f"redis://127.0.0.1:{port}/0")
    assert said.startswith(f"Redis not reachable at 127.0.0.1:{port}")
    assert "install redis-server" in said and celery.ENV_BROKER in said


def test_a_missing_postgresql_is_named_with_how_to_get_it():
    port = closed_port()
    said = celery.check_metadata(f"postgresql://airflow:s3cret-pw@127.0.0.1:{port}/airflow_celery")
    assert said.startswith(f"PostgreSQL not reachable at 127.0.0.1:{port}")
    assert "install postgresql" in said and celery.ENV_METADATA in said
    assert "s3cret-pw" not in said


def test_require_names_everything_missing_at_once():
    settings = celery.Settings(broker=f"redis://127.0.0.1:{closed_port()}/0",
                               metadata=f"postgresql://postgres@127.0.0.1:{closed_port()}/x")
    with pytest.raises(celery.Missing) as raised:
        celery.require(settings)
    message = str(raised.value)
    assert "Redis not reachable" in message and "PostgreSQL not reachable" in message


def test_every_component_gets_the_celery_settings(tmp_path):
    settings = celery.Settings(home=tmp_path, broker="redis://127.0.0.1:6379/3",
                               metadata="postgresql://u:pw@db.example:5433/meta", api_port=9090,
                               queue="q1")
    env = settings.airflow_env()
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == "postgresql+psycopg2://u:pw@db.example:5433/meta"
    assert env["AIRFLOW__CELERY__RESULT_BACKEND"] == "db+postgresql+psycopg2://u:pw@db.example:5433/meta"
    assert env["AIRFLOW__CELERY__BROKER_URL"] == "redis://127.0.0.1:6379/3"
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://127.0.0.1:9090/execution/"
    assert env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"] == "q1"
    assert env["AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS"] == celery.CELERY_CONFIG  # preloads
    assert celery.shown(settings.metadata) == "postgresql://u:***@db.example:5433/meta"


def test_settings_from_the_environment():
    settings = celery.Settings.from_env({celery.ENV_BROKER: "redis://r:6380/1",
                                         celery.ENV_METADATA: "postgresql://p/m",
                                         celery.ENV_WORKERS: "3", "AIRFLOW__API__PORT": "8181"})
    assert (settings.broker, settings.metadata, settings.workers, settings.api_port) == (
        "redis://r:6380/1", "postgresql://p/m", 3, 8181)
    default = celery.Settings.from_env({})
    assert default.broker == "redis://127.0.0.1:6379/0" and default.workers == 2
    assert default.metadata.endswith("127.0.0.1:5432/airflow_celery")


def test_the_home_config_gets_the_settings_and_keeps_the_rest(tmp_path):
    (tmp_path / "airflow.cfg").write_text(textwrap.dedent("""\
        [core]
        # the executor
        executor = LocalExecutor
        fernet_key = keep-me

        [database]
        sql_alchemy_conn = sqlite:////x/airflow.db
        """))
    celery.write_config(tmp_path, {"AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                                   "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://h/m",
                                   "AIRFLOW__CELERY__BROKER_URL": "redis://h:6379/0",
                                   "AIRFLOW__CORE__PARALLELISM": "8", "PCO_SYNC_X": "no"})
    text = (tmp_path / "airflow.cfg").read_text()
    assert "executor = CeleryExecutor" in text and "LocalExecutor" not in text
    assert "# the executor" in text and "fernet_key = keep-me" in text
    assert "sql_alchemy_conn = postgresql+psycopg2://h/m" in text
    assert "[celery]\nbroker_url = redis://h:6379/0" in text
    assert text.count("parallelism = 8") == 1 and "PCO_SYNC_X" not in text
    assert (tmp_path / "airflow.cfg").stat().st_mode & 0o077 == 0  # it holds secrets


def test_church_settings_says_what_it_does_when_asked_for_something_else(capsys):
    assert church_settings._main(["apply"]) == 2
    assert "connections" in capsys.readouterr().err


def test_a_dropped_metadata_database_is_migrated_again(tmp_path):
    """bin/airflow's once-per-home stamp must not outlive the database it was for."""
    from databases import scratch_database

    with scratch_database("pco_sync_celery_meta") as url:
        settings = celery.Settings(home=tmp_path, metadata=url)
        stamp = tmp_path / ".db_migrated"
        stamp.touch()
        (tmp_path / celery._MIGRATED_FOR).write_text(celery.shown(url))
        celery._forget_other_metadata(settings)  # an empty database: no Airflow tables
        assert not stamp.exists()
