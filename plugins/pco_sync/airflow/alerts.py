"""Failure alerts: when a pco_sync run fails (a gate stop included), tell staff by e-mail (the
SMTP provider) and/or a Slack-compatible webhook. Each is on only when its Airflow connection
exists; with neither, a failed run logs one line saying alerts are off.

- ``pco_sync_smtp`` (type smtp): host, port, login/password; extra ``to`` (recipients, comma
  separated or a list), ``from_email``, and the SmtpHook's own ``disable_ssl``/``disable_tls``,
  ``timeout``, ``retry_limit``.
- ``pco_sync_alert_webhook`` (type http or generic): host = the webhook URL, or its public
  part (``https://hooks.slack.com/services``) with the secret rest in password, which Airflow
  masks. It receives ``POST {"text": ...}``. The URL is never logged.

A church of churches.yaml alerts through its own ``pco_sync_smtp__<slug>`` and
``pco_sync_alert_webhook__<slug>`` when they exist (its own staff), else through the
deployment's two: one church's failure never goes to another church's people.

Airflow runs a DAG's failure callback in the DAG processor, with the run, its last failed task
and a ``reason`` such as ``task_failure``, but not the task's exception. So each task's own
failure callback (:func:`record_error`) keeps its exception's message in an XCom, and the
DAG's callback (:func:`on_failure`) reads those, with every task's state, for the message.
"""
from __future__ import annotations

import html
import json
import logging
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)

SMTP_CONN_ID = "pco_sync_smtp"
WEBHOOK_CONN_ID = "pco_sync_alert_webhook"
ERROR_KEY = "pco_sync_error"  # the XCom a failed task's message is kept in
WEBHOOK_TIMEOUT = (5, 15)  # connect, read (s): a callback must not hang the DAG processor

REASONS = {"task_failure": "a task failed", "timed_out": "the run timed out",
           "all_tasks_deadlocked": "no task could run (deadlock)"}


def on_failure(church=None) -> list:
    """The DAG's ``on_failure_callback``: ``@dag(on_failure_callback=alerts.on_failure())``;
    `church` (pco_sync.churches.Church): its own connections first."""
    if church is None or church.is_default:
        return [FailureAlert()]
    # The church's copies are named as its Variables are (<name>__<slug>).
    return [FailureAlert([EmailAlert(church.variable(SMTP_CONN_ID), fallback=SMTP_CONN_ID),
                          WebhookAlert(church.variable(WEBHOOK_CONN_ID),
                                       fallback=WEBHOOK_CONN_ID)])]


def record_error(context) -> None:
    """Every task's ``on_failure_callback`` (the DAG's default_args): keep the exception's
    message for the run's alert. It runs in the task's process before Airflow records the
    failure, so the XCom exists before the run fails."""
    exc = context.get("exception")
    if exc is None:  # failed from outside (a lost worker): nothing to keep
        return
    try:
        context["ti"].xcom_push(key=ERROR_KEY, value=describe(exc))
    except Exception as err:  # the alert falls back to "see the task log"
        log.warning("could not keep the error for the failure alert: %s", err)


def describe(exc: BaseException) -> str:
    """``Type: message``. tasks.fail_fast already wraps gate stops as AirflowFailException with
    the real type in the message, so that wrapper's name would only be noise."""
    if isinstance(exc, str):
        return exc
    name = type(exc).__name__
    text = str(exc).strip()
    if name == "AirflowFailException" and text:
        return text
    return f"{name}: {text}" if text else name


@dataclass(frozen=True)
class Failure:
    """What an alert says about one failed run."""

    dag_id: str
    run_id: str
    reason: str = "task_failure"
    errors: dict = field(default_factory=dict)  # failed task id -> its message (or None)
    not_run: int = 0  # tasks that did not run because of the failure
    run_url: str | None = None
    pause_after: int = 0  # the DAG's max_consecutive_failed_dag_runs

    @classmethod
    def of(cls, context) -> "Failure":
        dag = context.get("dag")
        dag_id = getattr(dag, "dag_id", None) or context["dag_run"].dag_id
        run_id = context["run_id"]
        try:
            states, messages = _run_record(dag_id, run_id)
        except Exception as exc:  # e.g. called outside Airflow: say what the context says
            log.warning("failure alert: task states unavailable (%s: %s)", type(exc).__name__,
                        str(exc).partition("\n")[0])
            ti = context.get("ti")
            states, messages = ({ti.task_id: "failed"} if ti else {}), {}
        failed = sorted(t for t, s in states.items() if s == "failed")
        return cls(dag_id, run_id, reason=context.get("reason") or "task_failure",
                   errors={t: messages.get(t) for t in failed},
                   not_run=sum(s == "upstream_failed" for s in states.values()),
                   run_url=_run_url(dag_id, run_id),
                   pause_after=getattr(dag, "max_consecutive_failed_dag_runs", 0) or 0)

    @property
    def subject(self) -> str:
        what = ", ".join(self.errors) or REASONS.get(self.reason, self.reason)
        return f"{self.dag_id} failed: {what} (run {self.run_id})"

    @property
    def text(self) -> str:
        lines = [f"{self.dag_id} run {self.run_id} failed: {REASONS.get(self.reason, self.reason)}."]
        for task_id, message in self.errors.items():
            lines.append(f"- {task_id}: {message or 'no message kept; see the task log'}")
        if self.not_run:
            lines.append(f"{self.not_run} later task(s) did not run because of it.")
        if self.pause_after:
            lines.append(f"After {self.pause_after} failed runs in a row Airflow pauses "
                         f"{self.dag_id}; unpause it once this is fixed.")
        lines.append(f"Run: {self.run_url}" if self.run_url else
                     "Set Airflow's [api] base_url to get a link to the run here.")
        return "\n".join(lines)

    @property
    def html(self) -> str:
        body = html.escape(self.text, quote=False)
        if self.run_url:
            url = html.escape(self.run_url, quote=False)
            body = body.replace(url, f'<a href="{html.escape(self.run_url)}">{url}</a>')
        return f"<pre style=\"font-family: sans-serif; white-space: pre-wrap\">{body}</pre>"


def _run_record(dag_id: str, run_id: str) -> tuple[dict, dict]:
    """Every task's state in the run and the messages failed tasks kept (task id -> text)."""
    from airflow.sdk.execution_time import task_runner

    if getattr(task_runner, "SUPERVISOR_COMMS", None) is None:
        return _run_record_from_metadata_db(dag_id, run_id)
    # In the DAG processor: through its supervisor, as a task would.
    from airflow.sdk.execution_time.xcom import XCom

    states = task_runner.RuntimeTaskInstance.get_task_states(dag_id=dag_id, run_ids=[run_id])
    states = states.get(run_id, {})
    messages = {t: XCom.get_one(key=ERROR_KEY, dag_id=dag_id, task_id=t, run_id=run_id)
                for t, s in states.items() if s == "failed"}
    return states, messages


def _run_record_from_metadata_db(dag_id: str, run_id: str) -> tuple[dict, dict]:
    """dag.test() (``airflow dags test``) runs the callback in its own process: no supervisor
    to ask, but that process owns the metadata DB session."""
    from sqlalchemy import select

    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        states = dict(session.execute(select(TaskInstance.task_id, TaskInstance.state).where(
            TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all())
        kept = session.scalars(XComModel.get_many(run_id=run_id, key=ERROR_KEY, dag_ids=dag_id)).all()
        messages = {x.task_id: XComModel.deserialize_value(x) for x in kept}
    return states, messages


def _run_url(dag_id: str, run_id: str) -> str | None:
    from airflow.sdk import conf

    base = conf.get("api", "base_url", fallback=None)
    return f"{base.rstrip('/')}/dags/{dag_id}/runs/{quote(run_id)}" if base else None


def _connection(conn_id: str):
    """The Airflow connection, or None when it does not exist (that channel is off)."""
    from airflow.sdk import BaseHook
    from airflow.sdk.exceptions import AirflowNotFoundException

    try:
        return BaseHook.get_connection(conn_id)
    except AirflowNotFoundException:
        return None


class _Notifier(BaseNotifier):
    """A notifier with nothing to template. Rendering is skipped: under dag.test() the
    context's dag is a SerializedDAG, which has no template env (apache/airflow#64649)."""

    def render_template_fields(self, context, jinja_env=None) -> None:
        pass


class _Channel(_Notifier):
    """One way to alert, through its connection: `conn_id`, or `fallback` when that one does
    not exist (a church's own, then the deployment's)."""

    def __init__(self, conn_id: str, fallback: str | None = None):
        super().__init__()
        self.conn_ids = (conn_id, fallback) if fallback else (conn_id,)

    @property
    def conn_id(self) -> str:
        if len(self.conn_ids) == 1:
            return self.conn_ids[0]
        return next((c for c in self.conn_ids if _connection(c) is not None), self.conn_ids[0])


class EmailAlert(_Channel):
    """E-mails the alert through the SMTP provider's hook. Not SmtpNotifier: that one renders
    its text as a Jinja template, and an exception message may hold braces."""

    def __init__(self, conn_id: str = SMTP_CONN_ID, fallback: str | None = None):
        super().__init__(conn_id, fallback)

    def notify(self, context) -> None:
        if _connection(self.conn_id) is None:
            log.info("e-mail alerts are off: no Airflow connection %s", self.conn_id)
        else:
            self.send(Failure.of(context))

    def send(self, failure: Failure) -> bool:
        """Send it; False (and one error line) when it could not be sent. Never raises."""
        from airflow.providers.smtp.hooks.smtp import SmtpHook

        try:
            extra = _connection(self.conn_id).extra_dejson
            to = extra.get("to")
            if not to:
                raise ValueError(f'connection {self.conn_id} has no recipients (extra "to")')
            with SmtpHook(smtp_conn_id=self.conn_id) as smtp:
                smtp.send_email_smtp(to=to, subject=failure.subject, html_content=failure.html,
                                     from_email=extra.get("from_email"))
        except Exception as exc:
            log.error("e-mail alert for %s not sent (%s): %s: %s", failure.run_id, self.conn_id,
                      type(exc).__name__, exc)
            return False
        log.info("e-mail alert for %s sent to %s", failure.run_id, to)
        return True


class WebhookAlert(_Channel):
    """POSTs ``{"text": ...}`` to the connection's URL (Slack incoming webhooks and the chats
    that copy them: Mattermost, Rocket.Chat, Discord's /slack)."""

    def __init__(self, conn_id: str = WEBHOOK_CONN_ID, fallback: str | None = None):
        super().__init__(conn_id, fallback)

    def notify(self, context) -> None:
        if _connection(self.conn_id) is None:
            log.info("webhook alerts are off: no Airflow connection %s", self.conn_id)
        else:
            self.send(Failure.of(context))

    def url(self) -> str:
        conn = _connection(self.conn_id)
        base = (conn.host or "").strip()
        if base and "://" not in base:
            base = "https://" + base + (f":{conn.port}" if conn.port else "")
        secret = (conn.password or "").strip()
        url = f"{base.rstrip('/')}/{secret.lstrip('/')}" if secret else base
        if not url:
            raise ValueError(f"connection {self.conn_id} has no URL (host)")
        return url

    def send(self, failure: Failure) -> bool:
        """Send it; False (and one error line, without the URL) on failure. Never raises."""
        import requests
        from airflow.sdk.log import mask_secret

        url = ""
        try:
            url = self.url()
            for secret in _secrets(url):  # Airflow's log masker stars them from here on
                mask_secret(secret)
            answer = requests.post(url, data=json.dumps({"text": failure.text}),
                                   headers={"Content-Type": "application/json"},
                                   timeout=WEBHOOK_TIMEOUT)
            answer.raise_for_status()
        except Exception as exc:
            reason = f"HTTP {exc.response.status_code}" if getattr(exc, "response", None) \
                is not None else f"{type(exc).__name__}: {_without(str(exc), url)}"
            log.error("webhook alert for %s not sent (%s): %s", failure.run_id, self.conn_id, reason)
            return False
        log.info("webhook alert for %s sent (%s)", failure.run_id, self.conn_id)
        return True


def _secrets(url: str) -> list[str]:
    """The URL and its path: a webhook's secret lives in the path (Slack's token), and
    HTTP errors quote the path without the host."""
    if not url:
        return []
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return [url] + ([path] if path.strip("/") else [])


def _without(text: str, url: str) -> str:
    """`text` with the webhook's URL and path starred out."""
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    return text


class FailureAlert(_Notifier):
    """The DAG's failure callback: the message once, sent by every channel that has its
    connection; one log line when none has. Never raises into Airflow."""

    def __init__(self, channels: list | None = None):
        super().__init__()
        self.channels = channels if channels is not None else [EmailAlert(), WebhookAlert()]

    def notify(self, context) -> None:
        try:
            on = [c for c in self.channels if _connection(c.conn_id) is not None]
            if not on:
                log.info("failure alerts are off: no Airflow connection %s",
                         " or ".join(i for c in self.channels
                                     for i in getattr(c, "conn_ids", (c.conn_id,))))
                return
            failure = Failure.of(context)
            log.warning("%s", failure.text)
            for channel in on:
                channel.send(failure)
        except Exception as exc:
            log.error("failure alert not sent: %s: %s", type(exc).__name__, exc)
