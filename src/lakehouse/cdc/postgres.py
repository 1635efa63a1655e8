"""A real local PostgreSQL holding the application's ``public.usuarios`` table, ready for logical CDC.

Why a real server: Debezium reads PostgreSQL's write-ahead log through a logical replication slot
(``pgoutput``), so the change stream's LSNs, transaction ids and before-images only exist on a real
server. It runs from Debian's ``postgresql`` package binaries (``scripts/setup.sh`` installs them).

Layout under ``<home>/cdc/``:

* ``postgres/data``: the cluster (``initdb`` once); ``postgres/lakehouse.conf`` is rewritten at each
  start (port, ``wal_level=logical``, 127.0.0.1 only, no Unix socket) and included by
  ``postgresql.conf``; ``postgres/postgres.log`` is the server log;
* ``secrets/`` (mode 0700, files 0600): generated passwords of the application role ``lakehouse``
  (owner of the database) and of the replication role ``cdc_replicator`` that Debezium uses. They
  never leave the home: the connector reads its password through Kafka's ``FileConfigProvider``.

As root, PostgreSQL refuses to run, so the server runs as the unprivileged ``postgres`` system user
(created by the Debian package; created here with ``useradd`` if missing) owning ``postgres/``. That
user must be able to traverse the home's parent folders (``mktemp -d`` and ``/root`` are 0700): the
missing ``o+x`` (traverse, not list) bits are added and reported.

``REPLICA IDENTITY FULL``: with the default identity (the primary key) a delete's ``before`` holds the
key only and an update has no ``before`` at all. FULL costs some WAL but gives every update and delete
its complete old row, which the silver layer's SCD2 and the tests use to check each change.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakehouse import services
from lakehouse.errors import EnvironmentProblem, LakehouseError, SourceUnavailable
from lakehouse.machine import free_port, port_open

HOST = "127.0.0.1"
DATABASE = "lakehouse"
OWNER = "lakehouse"
REPLICATOR = "cdc_replicator"
PUBLICATION = "lakehouse_usuarios"
TABLE = "public.usuarios"
RUN_AS = "postgres"

Say = Callable[[str], None]

SCHEMA_SQL = f"""
CREATE TABLE IF NOT EXISTS public.usuarios (
    id          bigint PRIMARY KEY,
    nome        text NOT NULL,
    email       text NOT NULL,
    cpf         varchar(14) NOT NULL,
    telefone    text,
    cidade      text NOT NULL,
    estado      char(2) NOT NULL,
    status      text NOT NULL CONSTRAINT usuarios_status_check CHECK (status IN ('ativo', 'inativo', 'bloqueado')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE public.usuarios REPLICA IDENTITY FULL;
GRANT SELECT ON public.usuarios TO {REPLICATOR};
"""


class PostgresError(LakehouseError):
    """The local PostgreSQL could not be prepared, started or reached (message: one line)."""


@dataclass(frozen=True)
class PostgresStatus:
    """Where the running server listens and how the application connects to it."""

    port: int
    pid: int
    data_dir: Path
    log_file: Path
    dsn: str

    @property
    def host(self) -> str:
        return HOST


def _stderr_say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cdc_dir(home: Path) -> Path:
    return Path(home).resolve() / "cdc"


def _pg_dir(home: Path) -> Path:
    return cdc_dir(home) / "postgres"


def _data_dir(home: Path) -> Path:
    return _pg_dir(home) / "data"


def _log_file(home: Path) -> Path:
    return _pg_dir(home) / "postgres.log"


def secrets_dir(home: Path) -> Path:
    return cdc_dir(home) / "secrets"


# --------------------------------------------------------------------------- binaries and user


def bindir() -> Path:
    """The server binaries: ``LAKEHOUSE_PG_BINDIR``, else the newest ``/usr/lib/postgresql/*/bin``."""
    env = os.environ.get("LAKEHOUSE_PG_BINDIR")
    candidates = [Path(env)] if env else []
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: _version_key(p.parent.name))
    candidates += reversed(versions)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").is_file():
            return Path(out)
    raise EnvironmentProblem(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run scripts/setup.sh "
        "(apt-get install postgresql) or set LAKEHOUSE_PG_BINDIR"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit()) or (0,)


@dataclass(frozen=True)
class _RunAs:
    """The account the server runs as: ourselves, or an unprivileged user when we are root."""

    uid: int
    gid: int
    name: str

    @property
    def is_self(self) -> bool:
        return self.uid == os.geteuid()


def _run_as(say: Say) -> _RunAs:
    if os.geteuid() != 0:
        return _RunAs(os.geteuid(), os.getegid(), pwd.getpwuid(os.geteuid()).pw_name)
    try:
        entry = pwd.getpwnam(RUN_AS)
    except KeyError:
        say(f"creating the unprivileged system user {RUN_AS!r} to run PostgreSQL (it refuses to run as root)")
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        result = subprocess.run(
            [useradd, "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", RUN_AS],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise EnvironmentProblem(f"could not create user {RUN_AS!r}: {result.stderr.strip()}") from None
        entry = pwd.getpwnam(RUN_AS)
    return _RunAs(entry.pw_uid, entry.pw_gid, entry.pw_name)


def _grant_traverse(path: Path, user: _RunAs, say: Say) -> None:
    """Let ``user`` reach ``path``: add ``o+x`` to every ancestor it could not traverse."""
    if user.is_self:
        return
    for folder in reversed(path.parents):
        info = folder.stat()
        if info.st_uid == user.uid or info.st_mode & stat.S_IXOTH:
            continue
        if info.st_gid == user.gid and info.st_mode & stat.S_IXGRP:
            continue
        os.chmod(folder, info.st_mode | stat.S_IXOTH)
        say(f"allowed user {user.name!r} to traverse {folder} (chmod o+x) so PostgreSQL can reach its data")


def _chown_tree(path: Path, user: _RunAs) -> None:
    if user.is_self:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, user.uid, user.gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), user.uid, user.gid)


def _run(cmd: list[str], user: _RunAs, log: Path, timeout: float = 120.0) -> None:
    """Run a PostgreSQL tool as ``user`` (never as root), its output appended to ``log``."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    with open(log, "a") as out:
        result = subprocess.run(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd="/",
            timeout=timeout,
            check=False,
            start_new_session=True,  # the server outlives the CLI and ignores its Ctrl-C
            user=None if user.is_self else user.uid,
            group=None if user.is_self else user.gid,
            extra_groups=None if user.is_self else [],
        )
    if result.returncode != 0:
        raise PostgresError(f"{Path(cmd[0]).name} failed (exit {result.returncode})", log=log)


# --------------------------------------------------------------------------- secrets


def _secret(home: Path, name: str) -> str:
    """Read (or generate once) a password kept in ``<home>/cdc/secrets/<name>.password``, mode 0600."""
    folder = secrets_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"{name}.password"
    if not path.is_file():
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(24) + "\n")
        tmp.rename(path)
    return path.read_text().strip()


def owner_password(home: Path) -> str:
    return _secret(home, OWNER)


def replicator_password(home: Path) -> str:
    return _secret(home, REPLICATOR)


def dsn(home: Path, port: int, *, user: str = OWNER, database: str = DATABASE) -> str:
    """A libpq connection string for ``user`` (the application role by default)."""
    password = owner_password(home) if user == OWNER else replicator_password(home)
    return f"host={HOST} port={port} dbname={database} user={user} password={password} connect_timeout=5"


# --------------------------------------------------------------------------- status


def _read_postmaster(home: Path) -> tuple[int, int] | None:
    """(pid, port) from ``postmaster.pid``, which the server writes itself and removes on exit."""
    try:
        lines = (_data_dir(home) / "postmaster.pid").read_text().splitlines()
        return int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None


def status(home: Path) -> PostgresStatus | None:
    """The running server of this home, or None (cheap: a pid file and a TCP probe)."""
    found = _read_postmaster(home)
    if found is None:
        return None
    pid, port = found
    if not services.alive(pid, b"postgres") or not port_open(HOST, port, timeout=0.5):
        return None
    return PostgresStatus(port, pid, _data_dir(home), _log_file(home), dsn(home, port))


# --------------------------------------------------------------------------- start / stop


def _settings(port: int) -> str:
    settings = {
        "listen_addresses": f"'{HOST}'",
        "port": port,
        "unix_socket_directories": "''",  # TCP on loopback only: no socket path length limits
        "wal_level": "logical",
        "max_wal_senders": 4,
        "max_replication_slots": 4,
        "password_encryption": "'scram-sha-256'",
        "shared_buffers": "'64MB'",
        "log_min_messages": "warning",
        "log_line_prefix": "'%m [%p] %q%u@%d '",
    }
    return "".join(f"{key} = {value}\n" for key, value in settings.items())


_HBA = f"""\
# Generated by lakehouse.cdc.postgres: password logins on loopback only.
host  all          all           {HOST}/32  scram-sha-256
host  replication  {REPLICATOR}  {HOST}/32  scram-sha-256
"""


def _initdb(home: Path, user: _RunAs, say: Say) -> None:
    data = _data_dir(home)
    if (data / "PG_VERSION").is_file():
        return
    say(f"initialising a PostgreSQL cluster in {data}")
    shutil.rmtree(data, ignore_errors=True)
    pwfile = _pg_dir(home) / ".initdb-password"
    pwfile.write_text(owner_password(home) + "\n")
    os.chmod(pwfile, 0o600)
    _chown_tree(_pg_dir(home), user)
    try:
        _run(
            [
                str(bindir() / "initdb"),
                "-D",
                str(data),
                "-U",
                OWNER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            user,
            _log_file(home),
        )
    finally:
        pwfile.unlink(missing_ok=True)
    with open(data / "postgresql.conf", "a") as conf:
        conf.write("\ninclude_if_exists = '../lakehouse.conf'\n")
    (data / "pg_hba.conf").write_text(_HBA)
    _chown_tree(_pg_dir(home), user)


def start(home: Path, port: int | None = None, *, timeout: float = 60.0, say: Say = _stderr_say) -> PostgresStatus:
    """Start this home's server (idempotent), create the schema and return once it accepts logins."""
    home = Path(home)
    running = status(home)
    if running is not None:
        return running
    port = port or free_port()
    if port_open(HOST, port, timeout=0.5):
        raise PostgresError(f"port {port} on {HOST} is already in use; choose another port")
    user = _run_as(say)
    _pg_dir(home).mkdir(parents=True, exist_ok=True)
    _grant_traverse(_pg_dir(home), user, say)
    _initdb(home, user, say)
    (_pg_dir(home) / "lakehouse.conf").write_text(_settings(port))
    log = _log_file(home)
    log.touch()
    _chown_tree(_pg_dir(home), user)  # pg_ctl opens the log itself, as the server's user
    pg_ctl = str(bindir() / "pg_ctl")
    _run([pg_ctl, "-D", str(_data_dir(home)), "-l", str(log), "-w", "-t", str(int(timeout)), "start"], user, log)
    found = status(home)
    if found is None:
        raise PostgresError("PostgreSQL exited right after starting", log=log)
    _bootstrap(home, found)
    return found


def _bootstrap(home: Path, found: PostgresStatus) -> None:
    """Create the database, the replication role, the table and the publication (all idempotent)."""
    import psycopg
    from psycopg import sql

    admin = dsn(home, found.port, database="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (REPLICATOR,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(verb + " ROLE {} WITH LOGIN REPLICATION PASSWORD {}").format(
                sql.Identifier(REPLICATOR), sql.Literal(replicator_password(home))
            )
        )
    with psycopg.connect(found.dsn, autocommit=True) as conn:
        conn.execute(SCHEMA_SQL)
        if conn.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", (PUBLICATION,)).fetchone() is None:
            conn.execute(f"CREATE PUBLICATION {PUBLICATION} FOR TABLE {TABLE}")


def stop(home: Path, timeout: float = 60.0) -> bool:
    """Stop this home's server (fast shutdown: clients are disconnected); False if none ran."""
    home = Path(home)
    found = _read_postmaster(home)
    if found is None or not services.alive(found[0], b"postgres"):
        return False
    pid = found[0]
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # postgres' "fast" shutdown, what pg_ctl -m fast sends
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and services.alive(pid, b"postgres"):
        time.sleep(0.1)
    if services.alive(pid, b"postgres"):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown; recovery runs on the next start
        time.sleep(1.0)
    return True


def require(home: Path) -> PostgresStatus:
    """The running server, or a SourceUnavailable that says how to start it."""
    found = status(home)
    if found is None:
        where = Path(home).resolve()
        raise SourceUnavailable(f"the local PostgreSQL of {where} is not running: run `lakehouse cdc start`")
    return found
