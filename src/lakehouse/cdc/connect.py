"""Debezium's PostgreSQL connector on a Kafka Connect standalone worker, publishing to the local broker.

Why Kafka Connect standalone rather than Debezium Server: Connect is the runtime Debezium is built
and tested on for Kafka delivery, it comes from the same Apache Kafka release as the local broker
(4.1.1, so one client version end to end), it is plain jars on Maven Central that ``mvn`` copies like
the broker's (Debezium Server ships as a Quarkus distribution archive), its file offset store keeps
the position under the home, and its REST API reports the connector's and the task's state, which
``lakehouse cdc status`` and the tests read. Debezium 3.4.3.Final is the release built against Kafka
4.1.1 and Java 17 (``pom.xml`` beside this file pins both).

Converter settings (the contract of the topic ``<prefix>.public.usuarios``):

* key ``{"id": 42}`` and value the Debezium envelope ``{"before", "after", "source", "transaction",
  "op", "ts_ms", "ts_us", "ts_ns"}``, both plain JSON (``schemas.enable=false``): the schema is fixed
  by the table, and 1 kB of schema per message would dwarf the row. Consumers must also accept the
  ``{"schema": ..., "payload": ...}`` form, which the same converter writes with schemas enabled;
* ``timestamptz`` columns are ISO-8601 strings in UTC (``io.debezium.time.ZonedTimestamp``);
* after a delete (``op = "d"``, ``before`` = the full old row, REPLICA IDENTITY FULL) comes a
  tombstone: same key, null value, so a compacted topic can forget the id.

Delivery is at-least-once: offsets (the last LSN handled) are flushed to ``offsets.dat`` every second
and on a clean stop, so a restart resumes where it stopped; after a crash the changes since the last
flush are sent again, identical (same ``source.lsn``), which consumers deduplicate by LSN.

Layout: jars in ``${LAKEHOUSE_CACHE:-~/.cache/lakehouse}/connect-<kafka>-debezium-<version>/``;
state in ``<home>/cdc/connect/`` (``worker.properties``, ``usuarios.properties``, ``offsets.dat``,
``connect.log``, ``connect.pid``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lakehouse import services
from lakehouse.cdc import postgres
from lakehouse.errors import EnvironmentProblem, LakehouseError
from lakehouse.machine import free_port, require_java

# What a Connect worker's command line holds: a pid whose command line lacks it is not ours.
_MARKER = b"ConnectStandalone"

POM = Path(__file__).with_name("pom.xml")
HOST = "127.0.0.1"
CONNECTOR = "usuarios"
SLOT = "lakehouse_usuarios"
DEFAULT_PREFIX = "cdc"
HEAP = "-Xmx384m"
MARKER = ".complete"

Say = Callable[[str], None]


class ConnectError(LakehouseError):
    """The Connect worker or the Debezium connector could not be prepared or started (one line)."""


@dataclass(frozen=True)
class ConnectStatus:
    """The running worker: its REST port, the connector's and task's states and its topic."""

    pid: int
    rest_port: int
    connector_state: str
    task_state: str
    topic: str
    log_file: Path

    @property
    def running(self) -> bool:
        return self.connector_state == "RUNNING" and self.task_state == "RUNNING"


def _pom_property(name: str) -> str:
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find(f"m:properties/m:{name}", ns)
    text = (node.text or "").strip() if node is not None else ""
    if not text:
        raise ConnectError(f"{POM} has no <{name}> property")
    return text


KAFKA_VERSION = _pom_property("kafka.version")
DEBEZIUM_VERSION = _pom_property("debezium.version")


def _stderr_say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def topic_name(prefix: str = DEFAULT_PREFIX) -> str:
    """Debezium's topic for the table: ``<topic.prefix>.<schema>.<table>``."""
    return f"{prefix}.{postgres.TABLE}"


def _connect_dir(home: Path) -> Path:
    return postgres.cdc_dir(home) / "connect"


def _log_file(home: Path) -> Path:
    return _connect_dir(home) / "connect.log"


def _pid_file(home: Path) -> Path:
    return _connect_dir(home) / "connect.pid"


# --------------------------------------------------------------------------- jars


def _cache_root() -> Path:
    from lakehouse.kafka.broker import cache_root

    return cache_root() / f"connect-{KAFKA_VERSION}-debezium-{DEBEZIUM_VERSION}"


def _digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def jars_ready() -> bool:
    """True when the worker's lib and the plugin dir for this pom are complete (no Maven needed)."""
    root = _cache_root()
    marker = root / MARKER
    return marker.is_file() and marker.read_text().strip() == _digest()


def ensure_jars(say: Say = _stderr_say) -> tuple[Path, Path]:
    """Return (worker lib dir, plugin path), copying the jars with Maven the first time only.

    Same discipline as the broker's jars: a staging dir renamed into place, a marker holding the
    pom's hash written last, a file lock against two concurrent first starts.
    """
    root = _cache_root()
    lib, plugins = root / "lib", root / "plugins"
    if jars_ready():
        return lib, plugins
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if jars_ready():
            return lib, plugins
        mvn = shutil.which("mvn")
        if mvn is None:
            raise EnvironmentProblem("Maven (mvn) is needed once to fetch the Debezium jars; run scripts/setup.sh")
        say(f"Downloading Kafka Connect {KAFKA_VERSION} and Debezium {DEBEZIUM_VERSION} jars into {root} (once)")
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=root))
        try:
            shutil.copy(POM, staging / "pom.xml")
            _copy(mvn, staging, "worker", staging / "lib", root / "mvn.log")
            _copy(mvn, staging, "plugin", staging / "plugins" / "debezium-connector-postgres", root / "mvn.log")
            for name in ("lib", "plugins"):
                shutil.rmtree(root / name, ignore_errors=True)
                (staging / name).rename(root / name)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        (root / MARKER).write_text(_digest() + "\n")
    return lib, plugins


def _copy(mvn: str, staging: Path, profile: str, out: Path, log_path: Path) -> None:
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(staging / "pom.xml"),
        "-P",
        profile,
        "dependency:copy-dependencies",
        f"-DoutputDirectory={out}",
        "-DincludeScope=runtime",
    ]
    with open(log_path, "a") as log:
        result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0 or not any(out.glob("*.jar")):
        raise ConnectError(f"mvn could not fetch the {profile} jars (exit {result.returncode})", log=log_path)


# --------------------------------------------------------------------------- config


def _worker_properties(bootstrap: str, rest_port: int, cdir: Path, plugins: Path) -> dict[str, object]:
    return {
        "bootstrap.servers": bootstrap,
        "key.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "key.converter.schemas.enable": "false",
        "value.converter.schemas.enable": "false",
        "offset.storage.file.filename": cdir / "offsets.dat",
        "offset.flush.interval.ms": 1000,
        "plugin.path": plugins,
        # Debezium's jars carry service manifests: no class-path scan, a faster start.
        "plugin.discovery": "service_load",
        "listeners": f"http://{HOST}:{rest_port}",
        "rest.advertised.host.name": HOST,
        # Secrets are read from files at runtime, so no properties file holds a password.
        "config.providers": "file",
        "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        # Per-key order is kept: idempotent producer, acks from the (single) broker.
        "producer.enable.idempotence": "true",
        "producer.acks": "all",
        "producer.linger.ms": 5,
    }


def _connector_properties(home: Path, pg_port: int, prefix: str) -> dict[str, object]:
    password_file = postgres.secrets_dir(home) / f"{postgres.REPLICATOR}.properties"
    password_file.write_text(f"password={postgres.replicator_password(home)}\n")
    os.chmod(password_file, 0o600)
    return {
        "name": CONNECTOR,
        "connector.class": "io.debezium.connector.postgresql.PostgresConnector",
        "tasks.max": 1,
        "plugin.name": "pgoutput",
        "database.hostname": postgres.HOST,
        "database.port": pg_port,
        "database.user": postgres.REPLICATOR,
        "database.password": f"${{file:{password_file}:password}}",
        "database.dbname": postgres.DATABASE,
        "topic.prefix": prefix,
        "table.include.list": postgres.TABLE,
        "publication.name": postgres.PUBLICATION,
        "publication.autocreate.mode": "disabled",
        "slot.name": SLOT,
        "snapshot.mode": "initial",
        "tombstones.on.delete": "true",
        "poll.interval.ms": 100,
    }


_LOG4J2 = """\
status = warn
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.console.ref = STDOUT
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = warn
logger.reflections.name = org.reflections
logger.reflections.level = error
"""


def _write_properties(path: Path, values: dict[str, object]) -> None:
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))


# --------------------------------------------------------------------------- process


def _rest(port: int, path: str, timeout: float = 2.0) -> Any:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=timeout) as response:
        return json.loads(response.read())


def _states(port: int) -> tuple[str, str, str]:
    """(connector state, task state, first trace line) from the REST API; UNREACHABLE if it is down."""
    try:
        body = _rest(port, f"/connectors/{CONNECTOR}/status")
    except urllib.error.HTTPError as error:
        return ("MISSING" if error.code == 404 else f"HTTP {error.code}"), "MISSING", ""
    except (OSError, ValueError):
        return "UNREACHABLE", "UNREACHABLE", ""
    tasks = body.get("tasks") or [{}]
    trace = tasks[0].get("trace") or body.get("connector", {}).get("trace") or ""
    return body.get("connector", {}).get("state", "UNKNOWN"), tasks[0].get("state", "UNASSIGNED"), trace


def status(home: Path) -> ConnectStatus | None:
    """The running worker of this home with its connector's state, or None when no worker runs."""
    pid = services.read_int(_pid_file(home))
    port = services.read_int(_connect_dir(home) / "rest.port")
    if pid is None or port is None or not services.alive(pid, _MARKER):
        return None
    connector, task, _ = _states(port)
    return ConnectStatus(pid, port, connector, task, topic_name(configured_prefix(home)), _log_file(home))


def configured_prefix(home: Path) -> str:
    """The topic prefix of this home's last start (the default before any)."""
    try:
        return (_connect_dir(home) / "topic.prefix").read_text().strip() or DEFAULT_PREFIX
    except OSError:
        return DEFAULT_PREFIX


def start(
    home: Path,
    bootstrap: str,
    *,
    prefix: str = DEFAULT_PREFIX,
    timeout: float = 120.0,
    say: Say = _stderr_say,
) -> ConnectStatus:
    """Start the worker with the connector; return once its task streams from the replication slot.

    Needs this home's PostgreSQL running (``postgres.start``) and a reachable broker. Idempotent.
    """
    home = Path(home)
    running = status(home)
    if running is not None and running.running:
        return running
    if running is not None:
        stop(home)
    if not prefix or not all(ch.isalnum() or ch in "_-" for ch in prefix):
        raise ConnectError(f"topic prefix must be letters, digits, '_' or '-', got {prefix!r}")
    pg = postgres.require(home)
    _release_slot(pg.dsn)
    lib, plugins = ensure_jars(say)
    java = require_java()
    cdir = _connect_dir(home)
    cdir.mkdir(parents=True, exist_ok=True)
    rest_port = free_port()
    _write_properties(cdir / "worker.properties", _worker_properties(bootstrap, rest_port, cdir, plugins))
    _write_properties(cdir / "usuarios.properties", _connector_properties(home, pg.port, prefix))
    (cdir / "log4j2.properties").write_text(_LOG4J2)
    (cdir / "rest.port").write_text(f"{rest_port}\n")
    (cdir / "topic.prefix").write_text(f"{prefix}\n")
    log_file = _log_file(home)
    cmd = [
        java,
        HEAP,
        "-Xms64m",
        "-XX:+UseG1GC",
        "-XX:TieredStopAtLevel=1",  # C1 only: a much faster start on a small machine
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        "-Dlog4j2.shutdownHookEnabled=false",
        f"-Dlog4j2.configurationFile={cdir / 'log4j2.properties'}",
        "-cp",
        f"{lib}/*",
        "org.apache.kafka.connect.cli.ConnectStandalone",
        "worker.properties",
        "usuarios.properties",
    ]
    with open(log_file, "w") as log:
        proc = subprocess.Popen(
            cmd, cwd=cdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    services.track(proc, _pid_file(home))
    try:
        _wait_streaming(proc, rest_port, pg.dsn, timeout, log_file)
    except BaseException:
        stop(home)
        raise
    found = status(home)
    if found is None:
        raise ConnectError("the Connect worker exited right after starting", log=log_file)
    return found


def _release_slot(dsn: str, wait: float = 10.0) -> None:
    """After a crash the server may still hold the slot for the dead worker's connection until it
    notices; a new worker would fail with "replication slot is active". No worker of ours runs now,
    so wait a little for the server to let go, then end that stale connection."""
    import psycopg

    query = "SELECT active_pid FROM pg_replication_slots WHERE slot_name = %s AND active"
    with psycopg.connect(dsn, autocommit=True) as conn:
        started = time.monotonic()
        while (row := conn.execute(query, (SLOT,)).fetchone()) is not None:
            waited = time.monotonic() - started
            if waited > 2 * wait:
                raise ConnectError(f"replication slot {SLOT} stays in use by server process {row[0]}")
            if waited > wait:
                conn.execute("SELECT pg_terminate_backend(%s)", (row[0],))
            time.sleep(0.2)


def _wait_streaming(proc: subprocess.Popen[bytes], port: int, dsn: str, timeout: float, log: Path) -> None:
    """Wait until the task is RUNNING and holds the replication slot (then no commit can be missed)."""
    import psycopg

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ConnectError(f"the Connect worker exited with code {proc.returncode} while starting", log=log)
        connector, task, trace = _states(port)
        if "FAILED" in (connector, task):
            first = trace.strip().splitlines()[0] if trace.strip() else "no trace"
            raise ConnectError(f"the Debezium connector failed: {first}", log=log)
        if connector == task == "RUNNING":
            with contextlib.suppress(psycopg.Error), psycopg.connect(dsn, autocommit=True) as conn:
                row = conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s", (SLOT,)).fetchone()
                if row is not None and row[0]:
                    return
        time.sleep(0.25)
    raise ConnectError(f"the Debezium connector was not streaming within {timeout:.0f}s", log=log)


def stop(home: Path, timeout: float = 30.0) -> bool:
    """Stop the worker cleanly (SIGTERM flushes the offsets), SIGKILL after ``timeout``."""
    return services.stop(_pid_file(Path(home)), _MARKER, timeout)


def kill(home: Path) -> bool:
    """SIGKILL the worker (no offset flush): what a crash looks like; for tests of at-least-once."""
    return services.kill(_pid_file(home), _MARKER)
