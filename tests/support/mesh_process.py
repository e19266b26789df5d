"""`python -m mesh up` as a child process on free loopback ports: shared by the e2e tests and bench/.

Everything listens on free loopback ports and keeps its data in the given directory, so
neither the tests nor the benchmarks touch the default ports or a developer's `.data/`.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from mesh.config import SERVICES

REPO = Path(__file__).resolve().parents[2]
READY_MARK = "chatmesh is up"
GRACE_SECONDS = 3
READY_TIMEOUT = 60.0
METRICS_OFFSET = 1000


def _pascal(service: str) -> str:
    return "".join(part.capitalize() for part in service.split("_"))


def full_name(service: str) -> str:
    return f"chatmesh.{service}.v1.{_pascal(service)}Service"


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def closes_within(port: int, seconds: float) -> bool:
    """A server's last checkpoint can outlast its stop command on a loaded machine; give it time."""
    deadline = time.monotonic() + seconds
    while _listening(port):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _free_port(taken: set[int], *, with_metrics: bool = False) -> int:
    """A free port not handed out yet; with_metrics: one whose metrics port (+offset) is free too."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        wanted = {port, port + METRICS_OFFSET} if with_metrics else {port}
        if max(wanted) > 65535 or wanted & taken or not all(_is_free(p) for p in wanted - {port}):
            continue
        taken.update(wanted)
        return port


def grpcurl_binary() -> str:
    local = REPO / ".venv" / "bin" / "grpcurl"
    found = str(local) if local.exists() else shutil.which("grpcurl")
    assert found, "grpcurl binary not found (make setup installs it into .venv/bin)"
    return found


@dataclass
class MeshRun:
    """One `python -m mesh up` process with its output collected in the background."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if READY_MARK in line:
                self.ready.set()

    def output(self, last: int = 80) -> str:
        return "\n".join(self.lines[-last:])

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT + 15
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mesh did not come up (exit {self.process.poll()}):\n{self.output()}")

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def service_pid(self, service: str) -> int:
        for proc in self.children():
            try:
                cmdline = proc.cmdline()
            except psutil.Error:
                continue
            if cmdline[-2:] == ["-m", service]:
                return int(proc.pid)
        raise AssertionError(f"no child runs {service}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=GRACE_SECONDS + 20)
        except subprocess.TimeoutExpired:
            for proc in self.children():
                proc.kill()
            self.process.kill()
            raise


@dataclass
class Mesh:
    env: dict[str, str]
    cwd: Path
    ports: dict[str, int]

    @property
    def data_dir(self) -> Path:
        return Path(self.env["CHATMESH_DATA_DIR"])

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def address(self, service: str) -> str:
        return f"127.0.0.1:{self.ports[service]}"

    def admin_credentials(self) -> dict[str, str]:
        """The super-admin's ``email`` and ``password`` the first start wrote (``key=value`` lines)."""
        lines = (self.data_dir / "admin-credentials").read_text().splitlines()
        return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))

    def postgres_dsn(self, *, password: bool = True) -> str:
        """The embedded Postgres as asyncpg/psql take it, with the password the launcher generated."""
        login = f"postgres:{self._password('postgres')}" if password else "postgres"
        return f"postgresql://{login}@127.0.0.1:{self.ports['postgres']}/chatmesh"

    def redis_dsn(self, *, password: bool = True) -> str:
        login = f":{self._password('redis')}@" if password else ""
        return f"redis://{login}127.0.0.1:{self.ports['redis']}/0"

    def _password(self, server: str) -> str:
        return (self.data_dir / f"{server}-password").read_text().strip()

    def start(self) -> MeshRun:
        process = subprocess.Popen(
            [sys.executable, "-m", "mesh", "up", "--ready-timeout", str(READY_TIMEOUT)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        run = MeshRun(process)
        threading.Thread(target=run.pump, daemon=True).start()
        return run

    @contextmanager
    def running(self) -> Iterator[MeshRun]:
        """The mesh started and ready for the block, stopped after it (a module fixture's body)."""
        run = self.start()
        try:
            run.wait_ready()
            yield run
        finally:
            if run.process.poll() is None:
                run.stop()

    def grpcurl(self, *args: str, data: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [grpcurl_binary(), "-plaintext", "-max-time", "10"]
        if data is not None:
            argv += ["-d", data]
        return subprocess.run([*argv, *args], capture_output=True, text=True, timeout=30)


def _data_dir() -> Path:
    """A data dir directly under the system temp dir, removed when the test process exits.

    As root, Postgres runs as another user that must reach its data dir; pytest's own temp root
    is 0700 and every pytest session that starts (another engineer's, on a shared machine) closes
    it again, which pulls the directory from under a running initdb or server.
    """
    path = Path(tempfile.mkdtemp(prefix="chatmesh-mesh-"))
    path.chmod(0o711)
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path / "data"


def seed_channel_env(base_url: str, models: list[str], api_key: str = "sk-e2e-upstream") -> dict[str, str]:
    """Extra env for ``make_mesh``: one OpenAI-compatible channel seeded at ``base_url``."""
    return {
        "CHATMESH_SEED_CHANNEL_BASE_URL": base_url,
        "CHATMESH_SEED_CHANNEL_API_KEY": api_key,
        "CHATMESH_SEED_CHANNEL_MODELS": json.dumps(models),
    }


def make_mesh(root: Path, extra_env: dict[str, str] | None = None) -> Mesh:
    """A mesh on free loopback ports run from ``root``, its data in a temp dir of its own."""
    taken: set[int] = set()
    ports = {svc: _free_port(taken, with_metrics=True) for svc in SERVICES}
    ports |= {name: _free_port(taken) for name in ("gateway", "postgres", "redis")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATMESH_")}
    env |= {f"CHATMESH_{svc.upper()}_PORT": str(port) for svc, port in ports.items() if svc in SERVICES}
    env |= {
        "CHATMESH_GATEWAY_PORT": str(ports["gateway"]),
        "CHATMESH_EMBEDDED_POSTGRES_PORT": str(ports["postgres"]),
        "CHATMESH_EMBEDDED_REDIS_PORT": str(ports["redis"]),
        "CHATMESH_METRICS_PORT_OFFSET": str(METRICS_OFFSET),
        "CHATMESH_DATA_DIR": str(_data_dir()),
        "CHATMESH_SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS),
        "CHATMESH_ENVIRONMENT": "test",
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(REPO), str(REPO / "gen"), os.environ.get("PYTHONPATH")])
        ),
    }
    env |= extra_env or {}
    return Mesh(env, root, ports)
