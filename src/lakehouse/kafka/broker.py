"""A real local Apache Kafka broker: single node, KRaft mode (no ZooKeeper).

Why a real broker rather than a mock: the local pipelines read Kafka through Spark's
Kafka source, and the producers must see real partitioning, idempotence and acks.
The broker runs from plain Maven Central jars (pinned in ``pom.xml`` next to this file),
so it needs only Java 17+ and, the first time, Maven.

Layout:

* jars: ``${LAKEHOUSE_CACHE:-~/.cache/lakehouse}/kafka-<version>/lib`` (shared by every
  home; fetched once with ``mvn dependency:copy-dependencies``, then used offline);
* state: ``<home>/kafka/`` holds ``server.properties``, ``log4j2.properties``, the
  ``data/`` log dir, ``broker.log`` (stdout and stderr of the JVM) and ``broker.pid``.

Everything listens on 127.0.0.1 only: this is a development broker without auth.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lakehouse import services
from lakehouse.errors import LakehouseError
from lakehouse.machine import free_port, require_java

# What a broker's command line holds: a pid whose command line lacks it is not ours.
_MARKER = b"kafka.Kafka"

POM = Path(__file__).with_name("pom.xml")
HOST = "127.0.0.1"
NODE_ID = 1
HEAP = "-Xmx512m"
MARKER = ".complete"

Say = Callable[[str], None]


class BrokerError(LakehouseError):
    """The local broker could not be prepared, started or reached (message: one line)."""


@dataclass(frozen=True)
class BrokerStatus:
    """What a client needs to know about a running local broker."""

    bootstrap: str
    pid: int
    data_dir: Path
    log_file: Path

    @property
    def port(self) -> int:
        """The PLAINTEXT port, handy for building ``kafka://`` URLs."""
        return int(self.bootstrap.rsplit(":", 1)[1])


def _read_version() -> str:
    """Read ``kafka.version`` from the pom so the version is pinned in exactly one place."""
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    node = ET.parse(POM).getroot().find("m:properties/m:kafka.version", ns)
    version = "" if node is None else (node.text or "").strip()
    if not version:
        raise BrokerError(f"{POM} has no <kafka.version> property")
    return version


KAFKA_VERSION = _read_version()


def _stderr_say(message: str) -> None:
    """Default progress output: stderr, so it never mixes with a command's real output."""
    print(message, file=sys.stderr, flush=True)


def default_home() -> Path:
    """The project's local state dir: ``$LAKEHOUSE_HOME`` or ``.lakehouse/`` in the cwd."""
    return Path(os.environ.get("LAKEHOUSE_HOME") or ".lakehouse")


def cache_root() -> Path:
    """Shared download cache, so every home and every test run reuses one copy of the jars."""
    env = os.environ.get("LAKEHOUSE_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "lakehouse"


def _kafka_dir(home: Path) -> Path:
    return Path(home) / "kafka"


def _pid_file(home: Path) -> Path:
    return _kafka_dir(home) / "broker.pid"


def _log_file(home: Path) -> Path:
    return _kafka_dir(home) / "broker.log"


def _data_dir(home: Path) -> Path:
    return _kafka_dir(home) / "data"


# --------------------------------------------------------------------------- jars


def _pom_digest() -> str:
    """Hash of the pom: a changed pin (new version, extra jar) must invalidate the cache."""
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def jars_ready() -> bool:
    """True when the lib dir for this pom is complete, i.e. ``start`` will not call Maven."""
    root = cache_root() / f"kafka-{KAFKA_VERSION}"
    marker = root / MARKER
    return marker.is_file() and marker.read_text().strip() == _pom_digest() and (root / "lib").is_dir()


def ensure_jars(say: Say = _stderr_say) -> Path:
    """Return the lib dir with the broker's jars, fetching them with Maven the first time only.

    The copy goes to a staging dir and is renamed into place, and a marker holding the pom's
    hash is written last, so an interrupted download is never mistaken for a complete one.
    A file lock keeps two concurrent first starts from downloading into each other.
    """
    root = cache_root() / f"kafka-{KAFKA_VERSION}"
    lib = root / "lib"
    if jars_ready():
        return lib
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if jars_ready():  # another process finished while we waited for the lock
            return lib
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven (mvn) is needed once to fetch the Kafka jars; install it and retry")
        say(f"Downloading Apache Kafka {KAFKA_VERSION} jars from Maven Central into {lib} (first start only)")
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=root))
        try:
            _copy_dependencies(mvn, staging, root / "mvn.log")
            shutil.rmtree(lib, ignore_errors=True)
            (staging / "lib").rename(lib)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        (root / MARKER).write_text(_pom_digest() + "\n")
        say(f"Kafka {KAFKA_VERSION} jars cached ({len(list(lib.glob('*.jar')))} jars)")
    return lib


def _copy_dependencies(mvn: str, staging: Path, mvn_log: Path) -> None:
    """Run Maven on a copy of the pom, so nothing (e.g. ``target/``) lands in the source tree."""
    shutil.copy(POM, staging / "pom.xml")
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(staging / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging / 'lib'}",
        "-DincludeScope=runtime",
    ]
    with open(mvn_log, "w") as log:
        result = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0 or not any((staging / "lib").glob("kafka_2.13-*.jar")):
        raise BrokerError(f"mvn could not fetch the Kafka jars (exit {result.returncode}); see {mvn_log}")


# --------------------------------------------------------------------------- config


def _port_free(port: int) -> bool:
    """Check the PLAINTEXT port up front: a clash would otherwise only show in the broker log."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
        return True


def _server_properties(port: int, controller_port: int, data_dir: Path) -> str:
    """Combined broker+controller node; every replication setting is 1 because there is one node."""
    settings = {
        "process.roles": "broker,controller",
        "node.id": NODE_ID,
        "controller.quorum.voters": f"{NODE_ID}@{HOST}:{controller_port}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": data_dir,
        # Producers may write to a topic before anybody created it (as Event Hubs allows).
        "auto.create.topics.enable": "true",
        "num.partitions": 3,
        "offsets.topic.replication.factor": 1,
        # Fewer offsets partitions: the first consumer group comes up faster on a small machine.
        "offsets.topic.num.partitions": 10,
        "transaction.state.log.replication.factor": 1,
        "transaction.state.log.min.isr": 1,
        "share.coordinator.state.topic.replication.factor": 1,
        "share.coordinator.state.topic.min.isr": 1,
        # No 3 s wait for more members before the first rebalance: tests and demos start faster.
        "group.initial.rebalance.delay.ms": 0,
    }
    return "".join(f"{k}={v}\n" for k, v in settings.items())


# Console logging only: the JVM's stdout is broker.log. The config dumps are silenced
# because they add ~1000 lines per start and hide the lines that matter.
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
logger.state.name = state.change.logger
logger.state.level = warn
"""


def _cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding (like random-uuid).

    Never starting with "-" (1 in 64 otherwise), which StorageTool would read as an option; Kafka's
    own ``Uuid.randomUuid`` rejects those ids the same way."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


def _jvm_command(java: str, lib: Path, kdir: Path) -> list[str]:
    return [
        java,
        HEAP,
        "-Xms128m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        # Keep logging until the JVM exits, so broker.log shows the end of a clean shutdown.
        "-Dlog4j2.shutdownHookEnabled=false",
        f"-Dlog4j2.configurationFile={kdir / 'log4j2.properties'}",
        "-cp",
        f"{lib}/*",
    ]


def _format_storage(base: list[str], kdir: Path, data_dir: Path, log_file: Path) -> None:
    """Format the KRaft metadata log once; a formatted dir keeps its cluster id across restarts."""
    if (data_dir / "meta.properties").is_file():
        return
    cmd = [*base, "kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", "server.properties"]
    with open(log_file, "a") as log:
        result = subprocess.run(cmd, cwd=kdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise BrokerError(f"formatting Kafka storage failed (exit {result.returncode}); see {log_file}")


# --------------------------------------------------------------------------- process


def _read_port(home: Path) -> int | None:
    """The PLAINTEXT port from the last written server.properties (the broker's own config)."""
    try:
        lines = (_kafka_dir(home) / "server.properties").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("advertised.listeners="):
            return int(line.rsplit(":", 1)[1])
    return None


def status(home: Path) -> BrokerStatus | None:
    """The running broker of this home, or None; cheap (no network), so callers may poll it."""
    pid = services.read_int(_pid_file(home))
    port = _read_port(home)
    if pid is None or port is None or not services.alive(pid, _MARKER):
        return None
    return BrokerStatus(bootstrap=f"{HOST}:{port}", pid=pid, data_dir=_data_dir(home), log_file=_log_file(home))


def start(home: Path, port: int = 9092, *, timeout: float = 90.0, say: Say = _stderr_say) -> BrokerStatus:
    """Start the local broker for ``home`` and return once it really serves clients.

    Idempotent: if this home's broker already runs, that one is returned unchanged (even if
    it listens on another port), so scripts can call ``start`` without checking first.
    The first start may download jars (``say`` reports it); later starts work offline.
    Raises BrokerError, pointing at the log file, if the broker does not come up in ``timeout`` s.
    """
    home = Path(home)
    running = status(home)
    if running is not None:
        return running
    if not _port_free(port):
        raise BrokerError(f"port {port} on {HOST} is already in use; choose another port")
    lib = ensure_jars(say)
    java = require_java()
    kdir = _kafka_dir(home)
    _data_dir(home).mkdir(parents=True, exist_ok=True)
    (kdir / "server.properties").write_text(_server_properties(port, free_port(), _data_dir(home).resolve()))
    (kdir / "log4j2.properties").write_text(_LOG4J2)
    log_file = _log_file(home)
    log_file.write_text("")  # one start per log: the error pointer then shows this attempt only
    base = _jvm_command(java, lib, kdir.resolve())
    _format_storage(base, kdir, _data_dir(home), log_file)
    with open(log_file, "a") as log:
        proc = subprocess.Popen(
            [*base, "kafka.Kafka", "server.properties"],
            cwd=kdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # survives the CLI and Ctrl-C in the terminal that started it
        )
    services.track(proc, _pid_file(home))
    try:
        _wait_ready(proc, port, timeout, log_file)
    except BaseException:
        stop(home)
        raise
    result = status(home)
    if result is None:
        raise BrokerError(f"Kafka broker exited right after starting; see {log_file}")
    return result


def _wait_ready(proc: subprocess.Popen[bytes], port: int, timeout: float, log_file: Path) -> None:
    """Poll until the broker answers a metadata request listing itself (registered, unfenced).

    A TCP probe comes first so the Kafka client is only created once the port is open;
    otherwise librdkafka would print a "connection refused" line per retry.
    """
    from confluent_kafka.admin import AdminClient

    deadline = time.monotonic() + timeout
    admin = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            code = proc.returncode
            raise BrokerError(f"Kafka broker exited with code {code} while starting; see {log_file}")
        if admin is None and _tcp_open(port):
            admin = AdminClient({"bootstrap.servers": f"{HOST}:{port}", "log_level": 0})
        if admin is not None:
            with contextlib.suppress(Exception):
                if NODE_ID in admin.list_topics(timeout=2).brokers:
                    return
        time.sleep(0.2)
    raise BrokerError(f"Kafka broker did not become ready within {timeout:.0f}s; see {log_file}")


def _tcp_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def stop(home: Path, timeout: float = 30.0) -> bool:
    """Stop this home's broker; True if one was running, False if there was nothing to stop.

    SIGTERM first, which makes Kafka shut down cleanly (no log recovery on the next start),
    then SIGKILL if it has not exited within ``timeout`` seconds.
    """
    return services.stop(_pid_file(Path(home)), _MARKER, timeout)
