"""`python -m mesh up`: the whole mesh on one machine, as separate processes.

The launcher owns the embedded infrastructure and the children's lifetimes; the
services themselves know nothing about it and run the same way under Docker or
Kubernetes.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import httpx

from mesh.config import SERVICES, Settings
from mesh.infra import Infra, InfraError
from mesh.launcher.child import Child, ChildSpec, describe_exit
from mesh.launcher.embedded import data_dir_of, redact_url, start_infra, stop_infra
from mesh.launcher.logs import LinePrefixer, LogSink, use_color
from mesh.launcher.probes import READY, SERVING, ServiceProbe, check_gateway, local_gateway_url
from mesh.launcher.report import mesh_table, ready_banner
from mesh.launcher.runfile import KIND_INFRA, read_runfile, remove_runfile, write_runfile

GATEWAY = "gateway"
MIGRATE = "migrate"
LAUNCHER = "mesh"
PROCESSES: tuple[str, ...] = (*SERVICES, GATEWAY)
_PROBE_TIMEOUT = 2.0
_POLL_INTERVAL = 0.5
_WATCH_INTERVAL = 2.0
_KILL_WAIT = 5.0


class ReadyTimeout(Exception):
    """The mesh did not come up in time; carries the processes still not serving."""

    def __init__(self, laggards: Mapping[str, str]) -> None:
        self.laggards = dict(laggards)
        names = ", ".join(f"{name} ({status})" for name, status in self.laggards.items())
        super().__init__(f"not ready: {names}")


def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def child_env(base: Mapping[str, str], infra: Infra) -> dict[str, str]:
    """Environment of every child: the launcher's own, plus the storage URLs and an import path that works
    without an installed package (the repo root for the service packages, gen/ for the contracts)."""
    env = dict(base)
    env["CHATMESH_DATABASE_URL"] = infra.database_url
    env["CHATMESH_REDIS_URL"] = infra.redis_url
    env["PYTHONUNBUFFERED"] = "1"
    root = repo_root()
    paths = [str(root), str(root / "gen")]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


class Launcher:
    def __init__(self, settings: Settings, *, ready_timeout: float, cwd: Path | None = None) -> None:
        self.settings = settings
        self.ready_timeout = ready_timeout
        self.cwd = cwd or Path.cwd()
        self.data_dir = data_dir_of(settings, self.cwd)
        self.sink = LogSink(LinePrefixer((*PROCESSES, MIGRATE, LAUNCHER), color=use_color(sys.stdout)))
        self.stop_requested = asyncio.Event()
        self.children: dict[str, Child] = {}
        self._signals_seen = 0

    def say(self, message: str, *, error: bool = False) -> None:
        self.sink.notice(LAUNCHER, message, error=error)

    async def run(self) -> int:
        self._install_signal_handlers()
        running = read_runfile(self.data_dir)
        if running is not None and running.kind != KIND_INFRA:
            self.say(
                f"a launcher (pid {running.launcher_pid}) already runs the mesh for {self.data_dir}",
                error=True,
            )
            return 1
        self.say("starting embedded infrastructure")
        try:
            infra = await start_infra(self.settings, adopt_running=running is None)
        except InfraError as exc:
            self.say(str(exc), error=True)
            return 1
        try:
            return await self._run_with_infra(infra)
        finally:
            remove_runfile(self.data_dir)
            self.say("stopping embedded infrastructure")
            try:
                await stop_infra(infra)
            except InfraError as exc:
                self.say(str(exc), error=True)
            self.say("stopped")

    async def _run_with_infra(self, infra: Infra) -> int:
        env = child_env(os.environ, infra)
        self.say(f"database {redact_url(infra.database_url)}, redis {redact_url(infra.redis_url)}")
        if self.stop_requested.is_set():
            return 0
        if not await self._migrate(env):
            return 0 if self.stop_requested.is_set() else 1
        tasks = self._start_children(env)
        try:
            return await self._serve(tasks)
        finally:
            await self._stop_children(tasks)

    async def _migrate(self, env: dict[str, str]) -> bool:
        self.say("running migrations")
        migrate = Child(
            ChildSpec(MIGRATE, [sys.executable, "-m", "mesh", "migrate"], env, self.cwd), self.sink
        )
        run = asyncio.ensure_future(migrate.run_once())
        stop = asyncio.ensure_future(self.stop_requested.wait())
        await asyncio.wait({run, stop}, return_when=asyncio.FIRST_COMPLETED)
        stop.cancel()
        if not run.done():
            migrate.stop()
            await run
            return False
        code = run.result()
        if code != 0:
            self.say(f"migrations failed: {describe_exit(code)}", error=True)
            return False
        return True

    def _start_children(self, env: dict[str, str]) -> list[asyncio.Task[None]]:
        for name in PROCESSES:
            spec = ChildSpec(name, [sys.executable, "-m", name], env, self.cwd)
            self.children[name] = Child(spec, self.sink, on_change=lambda _c: self._record_pids())
        return [
            asyncio.create_task(c.supervise(), name=f"supervise-{c.name}") for c in self.children.values()
        ]

    def _record_pids(self) -> None:
        write_runfile(self.data_dir, os.getpid(), {n: c.pid for n, c in self.children.items()})

    async def _serve(self, tasks: list[asyncio.Task[None]]) -> int:
        probe = ServiceProbe.for_settings(self.settings, SERVICES)
        try:
            async with httpx.AsyncClient() as http:
                try:
                    statuses = await self._wait_until_ready(probe, http)
                except ReadyTimeout as exc:
                    self.say(
                        f"gave up after {self.ready_timeout:g}s waiting for the mesh; {exc}. "
                        "See the log lines above for the cause.",
                        error=True,
                    )
                    return 1
                if statuses is None:
                    return 0
                table = mesh_table(self.settings, statuses, READY, self._pids())
                sys.stdout.write(ready_banner(self.settings, table, self.data_dir) + "\n")
                sys.stdout.flush()
                watcher = asyncio.create_task(self._watch(probe, http, statuses))
                try:
                    await self.stop_requested.wait()
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
        finally:
            await probe.close()
        return 0

    async def _probe(self, probe: ServiceProbe, http: httpx.AsyncClient) -> dict[str, str]:
        statuses, gateway = await asyncio.gather(
            probe.check_all(_PROBE_TIMEOUT),
            check_gateway(http, local_gateway_url(self.settings), _PROBE_TIMEOUT),
        )
        statuses[GATEWAY] = gateway.status
        return statuses

    async def _wait_until_ready(self, probe: ServiceProbe, http: httpx.AsyncClient) -> dict[str, str] | None:
        """Statuses once everything answers, None when asked to stop first; ReadyTimeout past the deadline."""
        deadline = time.monotonic() + self.ready_timeout
        while not self.stop_requested.is_set():
            statuses = await self._probe(probe, http)
            laggards = {n: s for n, s in statuses.items() if s not in (SERVING, READY)}
            if not laggards:
                return statuses
            if time.monotonic() >= deadline:
                raise ReadyTimeout(laggards)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), timeout=_POLL_INTERVAL)
        return None

    async def _watch(self, probe: ServiceProbe, http: httpx.AsyncClient, last: dict[str, str]) -> None:
        """Report health transitions after start-up, so a restart is visibly followed by recovery."""
        while True:
            await asyncio.sleep(_WATCH_INTERVAL)
            current = await self._probe(probe, http)
            for name, status in current.items():
                if status != last.get(name):
                    healthy = status in (SERVING, READY)
                    self.say(f"{name}: {last.get(name)} -> {status}", error=not healthy)
            last = current

    def _pids(self) -> dict[str, int]:
        return {n: c.pid for n, c in self.children.items() if c.pid}

    async def _stop_children(self, tasks: list[asyncio.Task[None]]) -> None:
        grace = self.settings.shutdown_grace_seconds + 5
        self.say(f"stopping {len(self.children)} processes (up to {grace:g}s)")
        for child in self.children.values():
            child.stop()
        done, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
        if pending:
            stragglers = [c.name for c in self.children.values() if c.pid]
            self.say(f"killing processes that did not stop in time: {', '.join(stragglers)}", error=True)
            for child in self.children.values():
                child.kill()
            await asyncio.wait(pending, timeout=_KILL_WAIT)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                self.say(f"{task.get_name()} failed: {task.exception()!r}", error=True)

    def _install_signal_handlers(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._on_signal, sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        self._signals_seen += 1
        if self._signals_seen == 1:
            self.say(f"{sig.name} received, shutting down (again to kill at once)")
            self.stop_requested.set()
            return
        self.say(f"{sig.name} received again, killing every process", error=True)
        for child in self.children.values():
            child.kill()


def up(settings: Settings, *, ready_timeout: float) -> int:
    return asyncio.run(Launcher(settings, ready_timeout=ready_timeout).run())
