"""The launcher's use of mesh.infra: start the embedded servers off the event loop, and `mesh infra`."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from mesh.config import Settings
from mesh.infra import Infra, ensure_infrastructure_async
from mesh.launcher.runfile import KIND_INFRA, read_runfile, remove_runfile, write_runfile

ENV_FILE = "infra.env"


def redact_url(url: str) -> str:
    """A URL fit for the terminal: any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


async def start_infra(settings: Settings, *, adopt_running: bool) -> Infra:
    return await ensure_infrastructure_async(settings, adopt_running=adopt_running)


async def stop_infra(infra: Infra) -> None:
    await asyncio.to_thread(infra.stop)


def data_dir_of(settings: Settings, cwd: Path | None = None) -> Path:
    return ((cwd or Path.cwd()) / settings.data_dir).expanduser().resolve()


async def _infra_only(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    data_dir = data_dir_of(settings)
    running = read_runfile(data_dir)
    if running is not None:
        print(f"chatmesh: `mesh {running.kind}` (pid {running.launcher_pid}) already runs for {data_dir}")
        return 1
    infra = await start_infra(settings, adopt_running=True)
    write_runfile(data_dir, os.getpid(), {}, kind=KIND_INFRA)
    env_file = write_env_file(data_dir, infra)
    try:
        print(f"CHATMESH_DATABASE_URL={redact_url(infra.database_url)}")
        print(f"CHATMESH_REDIS_URL={redact_url(infra.redis_url)}")
        print(f"the URLs with their passwords: {env_file} (`set -a; . {env_file}; set +a`)")
        print("embedded infrastructure is up; Ctrl-C stops it.", flush=True)
        await stop.wait()
    finally:
        env_file.unlink(missing_ok=True)
        remove_runfile(data_dir)
        await stop_infra(infra)
    return 0


def write_env_file(data_dir: Path, infra: Infra) -> Path:
    """The storage URLs for services started by hand, in a 0600 file rather than on the terminal."""
    path = data_dir / ENV_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"CHATMESH_DATABASE_URL={infra.database_url}\nCHATMESH_REDIS_URL={infra.redis_url}\n")
    return path


def run_infra_only(settings: Settings) -> int:
    """`python -m mesh infra`: the embedded Postgres and Redis for development, until Ctrl-C."""
    return asyncio.run(_infra_only(settings))
