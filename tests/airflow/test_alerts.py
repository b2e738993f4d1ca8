"""Failure alerts (pco_sync.airflow.alerts): the e-mail goes to a real SMTP server and the
webhook to a real HTTP server, both started here on free local ports; a run that fails a gate
alerts through dag.test() and through a real scheduler with its DAG processor (where Airflow
runs DAG failure callbacks in production)."""
from __future__ import annotations

import email
import email.policy
import json
import logging
import os
import re
import socketserver
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pco_sync.airflow import alerts
from test_dag_e2e import AIRFLOW_HOME as E2E_HOME
from test_dag_e2e import ROOT
from servers import free_port, stop, wait_until_up

# Its own Airflow home (SQLite metadata), migrated once; the test DAG lives in a temp folder.
AIRFLOW_HOME = E2E_HOME.parent / (E2E_HOME.name + "-alerts")
GATE = ("quality gate failed: 61 of 240 people records (25%) failed quality checks, "
        "more than 20%; see sync.quarantine")
SECRET = "T0001/B0002/s3cr3tT0ken"
RUN_ID = "scheduled__2026-11-20T10:15:00+00:00"
FAILURE = alerts.Failure("pco_sync", RUN_ID, errors={"validate.people": f"QualityGateError: {GATE}"},
                         not_run=9, run_url=f"http://airflow.church.example/dags/pco_sync/runs/{RUN_ID}",
                         pause_after=4)


# ---- a real SMTP server and a real webhook receiver ---------------------------------------
class SmtpSink(socketserver.ThreadingTCPServer):
    """An SMTP server on a free local port that keeps every message: (recipients, message)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _SmtpSession)
        self.port = self.server_address[1]
        self.messages: list = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class _SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 sink ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 sink")
            elif verb == b"MAIL":
                recipients = []
                self.reply("250 OK")
            elif verb == b"RCPT":
                recipients.append(line.split(b":", 1)[1].strip().strip(b"<>").decode())
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 end with .")
                data = []
                while (row := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(row[1:] if row.startswith(b"..") else row)
                self.server.messages.append(
                    (recipients, email.message_from_bytes(b"".join(data), policy=email.policy.default)))
                self.reply("250 OK")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:  # RSET, NOOP
                self.reply("250 OK")


class HookSink(ThreadingHTTPServer):
    """An HTTP server on a free local port that keeps every POST: (path, content type, JSON)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Hook)
        self.port = self.server_address[1]
        self.posts: list = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.posts.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def smtp():
    sink = SmtpSink()
    yield sink
    sink.close()


@pytest.fixture
def hook():
    sink = HookSink()
    yield sink
    sink.close()


def smtp_conn(port: int) -> str:
    return json.dumps({"conn_type": "smtp", "host": "127.0.0.1", "port": port, "extra": {
        "to": "office@church.example, pastor@church.example", "from_email": "pco-sync@church.example",
        "disable_ssl": True, "disable_tls": True, "timeout": 5, "retry_limit": 0}})


def hook_conn(port: int) -> str:
    # Slack's shape: the public part in host, the secret rest of the path in password
    return json.dumps({"conn_type": "http", "host": f"http://127.0.0.1:{port}/services",
                       "password": SECRET})


def body_of(message) -> str:
    return message.get_body(("html",)).get_content()


# ---- each notifier against its server -------------------------------------------------------
def test_email_names_the_run_the_task_and_the_gate(smtp, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_SMTP", smtp_conn(smtp.port))
    caplog.set_level(logging.INFO)

    assert alerts.EmailAlert().send(FAILURE) is True

    [(recipients, message)] = smtp.messages
    assert recipients == ["office@church.example", "pastor@church.example"]
    assert message["From"] == "pco-sync@church.example"
    assert RUN_ID in message["Subject"] and "validate.people" in message["Subject"]
    body = body_of(message)
    assert f"validate.people: QualityGateError: {GATE}" in body
    assert "9 later task(s) did not run" in body
    assert f'<a href="{FAILURE.run_url}">' in body
    assert "After 4 failed runs in a row Airflow pauses pco_sync" in body


def test_webhook_posts_the_text_and_never_logs_its_url(hook, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_ALERT_WEBHOOK", hook_conn(hook.port))
    caplog.set_level(logging.INFO)

    assert alerts.WebhookAlert().send(FAILURE) is True

    [(path, content_type, payload)] = hook.posts
    assert path == f"/services/{SECRET}" and content_type == "application/json"
    assert list(payload) == ["text"]
    assert payload["text"].startswith(f"pco_sync run {RUN_ID} failed: a task failed.")
    assert f"- validate.people: QualityGateError: {GATE}" in payload["text"]
    assert "webhook alert for" in caplog.text and SECRET not in caplog.text


def test_neither_configured_logs_one_line_and_sends_nothing(smtp, hook, monkeypatch, caplog):
    from airflow.sdk import DAG

    monkeypatch.delenv("AIRFLOW_CONN_PCO_SYNC_SMTP", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_PCO_SYNC_ALERT_WEBHOOK", raising=False)
    caplog.set_level(logging.INFO, logger=alerts.__name__)
    context = {"dag": DAG("pco_sync", schedule=None), "run_id": RUN_ID, "reason": "task_failure"}

    for callback in alerts.on_failure():
        callback(context)

    lines = [r.getMessage() for r in caplog.records if r.name == alerts.__name__]
    assert lines == ["failure alerts are off: no Airflow connection pco_sync_smtp or "
                     "pco_sync_alert_webhook"]
    assert smtp.messages == [] and hook.posts == []


def test_servers_down_are_logged_and_never_raise(monkeypatch, caplog):
    from airflow.sdk import DAG

    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_SMTP", smtp_conn(free_port()))
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_ALERT_WEBHOOK", hook_conn(free_port()))
    caplog.set_level(logging.INFO)

    assert alerts.EmailAlert().send(FAILURE) is False
    assert alerts.WebhookAlert().send(FAILURE) is False
    context = {"dag": DAG("pco_sync", schedule=None), "run_id": RUN_ID, "reason": "task_failure"}
    for callback in alerts.on_failure():  # the DAG's callback, as Airflow calls it
        callback(context)

    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert sum("e-mail alert" in e and "ConnectionRefusedError" in e for e in errors) == 2
    assert sum("webhook alert" in e and "ConnectionError" in e for e in errors) == 2
    assert SECRET not in caplog.text


def test_a_connection_without_recipients_sends_nothing(smtp, monkeypatch, caplog):
    monkeypatch.setenv("AIRFLOW_CONN_PCO_SYNC_SMTP", json.dumps(
        {"conn_type": "smtp", "host": "127.0.0.1", "port": smtp.port,
         "extra": {"from_email": "pco-sync@church.example", "disable_ssl": True, "disable_tls": True}}))
    caplog.set_level(logging.INFO)
    assert alerts.EmailAlert().send(FAILURE) is False
    assert 'has no recipients (extra "to")' in caplog.text and smtp.messages == []


def test_describe_keeps_the_gate_message_and_names_other_errors():
    from airflow.sdk.exceptions import AirflowFailException

    assert alerts.describe(AirflowFailException(f"QualityGateError: {GATE}")) == f"QualityGateError: {GATE}"
    assert alerts.describe(KeyError("data_interval_start")) == "KeyError: 'data_interval_start'"
    assert alerts.describe(TimeoutError()) == "TimeoutError"


# ---- a failing DAG run calls the alerts -----------------------------------------------------
PROBE_DAG = '''
from datetime import datetime

from airflow.sdk import dag, task

from pco_sync.airflow import alerts, tasks
from pco_sync.errors import QualityGateError


@dag(dag_id="pco_sync_alerts_probe", schedule=None, start_date=datetime(2026, 1, 1), catchup=False,
     on_failure_callback=alerts.on_failure(),
     default_args={"retries": 0, "on_failure_callback": alerts.record_error})
def probe():
    @task
    def extract():
        return 1

    @task
    def validate(_):
        with tasks.fail_fast():  # as the real validate task turns a gate stop into a failure
            raise QualityGateError(%r)

    @task
    def merge(_):
        return 2

    merge(validate(extract()))


probe_dag = probe()

if __name__ == "__main__":
    probe_dag.test()
''' % GATE


@pytest.fixture(scope="module")
def probe_dags(tmp_path_factory):
    folder = tmp_path_factory.mktemp("alert_dags")
    (folder / "probe.py").write_text(PROBE_DAG)
    return folder


def airflow_env(dags, smtp_port: int, hook_port: int, **more) -> dict:
    """The Airflow CLI's environment for the probe DAG (bin/airflow pins the repo's dags)."""
    env = {**os.environ, "AIRFLOW_HOME": str(AIRFLOW_HOME), "AIRFLOW__CORE__DAGS_FOLDER": str(dags),
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "PYTHONPATH": f"{ROOT}:{ROOT / 'plugins'}",
           "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
           "AIRFLOW_CONN_PCO_SYNC_SMTP": smtp_conn(smtp_port),
           "AIRFLOW_CONN_PCO_SYNC_ALERT_WEBHOOK": hook_conn(hook_port)}
    env.pop("AIRFLOW__API__BASE_URL", None)  # no link unless a test sets one
    env.update(more)
    # bin/airflow migrates the metadata DB once (and again after the lock changes)
    migrated = subprocess.run([str(ROOT / "bin" / "airflow"), "version"], cwd=ROOT, capture_output=True,
                              text=True, timeout=240, env={**env, "PCO_SYNC_AIRFLOW_HOME": str(AIRFLOW_HOME)})
    assert migrated.returncode == 0, migrated.stderr[-3000:]
    return env


def assert_alerted(smtp: SmtpSink, hook: HookSink, run_id: str) -> str:
    """Both channels told of `run_id`, with the failed task and the gate's message."""
    [(_, message)] = smtp.messages
    assert message["Subject"] == f"pco_sync_alerts_probe failed: validate (run {run_id})"
    body = body_of(message)
    assert f"validate: QualityGateError: {GATE}" in body
    assert "1 later task(s) did not run" in body
    [(_, _, payload)] = hook.posts
    assert f"- validate: QualityGateError: {GATE}" in payload["text"]
    return body


@pytest.mark.airflow
def test_a_dag_test_run_that_fails_a_gate_alerts(smtp, hook, probe_dags):
    """dag.test() (and `airflow dags test`) runs DAG failure callbacks itself, in-process."""
    env = airflow_env(probe_dags, smtp.port, hook.port)
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), str(probe_dags / "probe.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    out = proc.stdout + proc.stderr
    run_id = re.search(r"DagRun Finished: dag_id=pco_sync_alerts_probe, .*?run_id=(\S+?),", out)
    assert run_id and "state=failed" in out, out[-4000:]
    body = assert_alerted(smtp, hook, run_id[1])
    assert "Set Airflow's [api] base_url to get a link" in body


@pytest.mark.airflow
@pytest.mark.timeout(600)  # an API server, a scheduler and a DAG processor start and run one run
def test_a_scheduled_run_alerts_from_the_dag_processor(smtp, hook, probe_dags):
    """In production the scheduler hands the failed run to the DAG processor, whose child
    process reads task states and XComs through its supervisor: the same alert must come out."""
    port = free_port()
    env = airflow_env(probe_dags, smtp.port, hook.port, **{
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}",
        "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/"})
    cli = str(ROOT / ".venv" / "bin" / "airflow")
    run_id = f"manual__alerts_{uuid.uuid4().hex[:8]}"
    # runs an interrupted session left queued would run (and alert) too
    subprocess.run([cli, "dags", "delete", "pco_sync_alerts_probe", "--yes"], cwd=ROOT, env=env,
                   capture_output=True, timeout=240)
    for args in (["dags", "reserialize"], ["dags", "unpause", "pco_sync_alerts_probe"],
                 ["dags", "trigger", "pco_sync_alerts_probe", "--run-id", run_id]):
        done = subprocess.run([cli, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
        assert done.returncode == 0, f"airflow {args}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    log = open(AIRFLOW_HOME / "alerts-test.log", "w")
    servers = [subprocess.Popen([cli, "api-server", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)]
    try:
        wait_until_up(f"http://127.0.0.1:{port}/api/v2/monitor/health", servers[0])
        for component in ("scheduler", "dag-processor"):
            servers.append(subprocess.Popen([cli, component], cwd=ROOT, env=env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 420
        while not (smtp.messages and hook.posts) and time.monotonic() < deadline:
            assert all(p.poll() is None for p in servers), "an Airflow component exited; see alerts-test.log"
            time.sleep(2)
    finally:
        stop(servers, timeout=15)  # the DAG processor lingers a minute after SIGTERM
        log.close()
    body = assert_alerted(smtp, hook, run_id)
    assert f"http://127.0.0.1:{port}/dags/pco_sync_alerts_probe/runs/" in body
