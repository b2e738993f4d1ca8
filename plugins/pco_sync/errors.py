"""Every error pco-sync raises on purpose, in one leaf module that imports nothing, so any
step (and the Airflow glue deciding what is worth a retry) can name them.
"""
from __future__ import annotations


class PcoError(Exception):
    """A request PCO refused, or one that kept failing after every retry."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "",
                 detail: str = "", maybe_applied: bool = False):
        super().__init__(message)
        self.status, self.endpoint = status, endpoint
        self.detail = detail or message  # PCO's own words, for failure records
        # A write that may have happened although no answer said so (no answer, a 5xx, a
        # cut-off body): the caller must look before sending it again.
        self.maybe_applied = maybe_applied

    @property
    def permanent(self) -> bool:
        """A 4xx other than 429: the same request will be refused again."""
        return self.status is not None and 400 <= self.status < 500 and self.status != 429


class PcoDisconnected(PcoError):
    """A church connected by OAuth whose tokens PCO no longer takes: connect it again."""

    def __init__(self, church: str, reason: str, connect_page: str):
        super().__init__(f"church {church!r} is disconnected from Planning Center ({reason}): "
                         f"reconnect it on the PCO Sync page ({connect_page}); staged data, the "
                         "push journal and the inbox are kept, and the next run after "
                         "reconnecting goes on from there", status=401)
        self.church, self.reason = church, reason


class PcoOutage(PcoError):
    """PCO kept failing for several records in a row: stop, let the task retry later."""


class QualityGateError(Exception):
    """The run's batch is badly wrong; the message says what and by how much."""


class PushGateError(Exception):
    """A push would change far more in PCO than a run normally does; nothing was sent."""


class SettingsError(ValueError):
    """A setting (an Airflow Variable) that cannot be used; says which one and why."""


class UnknownChurch(SettingsError, LookupError):
    """A DAG id that is no church's of churches.yaml (removed while its run was queued)."""


class MigrationError(RuntimeError):
    """The church database's schema ledger disagrees with include/sql/schema."""


class SqlFilesError(RuntimeError):
    """The SQL files (include/sql) cannot be found where the settings say."""


class QualityCheckError(RuntimeError):
    """A row check cannot run as written (its suite file under include/gx is missing or
    malformed, or Great Expectations failed on it): no record may pass unchecked."""


class NoQualityResults(LookupError):
    """No validation results are stored for that run (or stream of it)."""


class ReviewError(ValueError):
    """A staff decision the church database refused (unknown or settled item, a choice or
    value that does not fit); nothing was changed."""


class MalformedDelivery(ValueError):
    """A webhook body that is not PCO's EventDelivery JSON; says what is wrong with it
    (never echoes the body)."""
