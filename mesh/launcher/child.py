"""One supervised child process: spawn, stream its output, restart it when it dies.

Each child gets its own session (process group) so that Ctrl-C in the terminal
reaches only the launcher; the launcher then forwards SIGTERM to every group
itself, once, and the services run their graceful shutdown exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mesh.launcher.backoff import RestartBackoff
from mesh.launcher.logs import LogSink

_LINE_LIMIT = 64 * 1024
_READ_CHUNK = 64 * 1024
_CRASH_REPORT_LINES = 10
_CRASH_REPORT_WIDTH = 300


@dataclass(frozen=True)
class ChildSpec:
    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    cwd: Path


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


# Runs as the child's first program: ask Linux to SIGTERM it if the launcher dies (even by SIGKILL),
# then exec the real command, which keeps that setting. Done in a tiny exec'd program rather than a
# preexec_fn because a preexec_fn forces fork() in a process with gRPC threads, which gRPC warns
# about on every spawn; without one, Python spawns with vfork.
_ORPHAN_GUARD = (
    "import ctypes,os,signal,sys\n"
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)\n"
    "os.getppid() == int(sys.argv[1]) or os._exit(70)\n"
    "os.execv(sys.argv[2], sys.argv[2:])\n"
)


def guarded_argv(argv: Sequence[str]) -> list[str]:
    """``argv`` wrapped so the process cannot outlive the launcher (Linux only; elsewhere unchanged)."""
    if not sys.platform.startswith("linux"):
        return list(argv)
    return [sys.executable, "-S", "-c", _ORPHAN_GUARD, str(os.getpid()), *argv]


@dataclass
class Child:
    spec: ChildSpec
    sink: LogSink
    backoff: RestartBackoff = field(default_factory=RestartBackoff)
    clock: Callable[[], float] = time.monotonic
    on_change: Callable[[Child], None] | None = None
    process: asyncio.subprocess.Process | None = field(default=None, init=False)
    restarts: int = field(default=0, init=False)
    _stopping: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process and self.process.returncode is None else None

    async def supervise(self) -> None:
        """Run the child until stop() is called, restarting it with backoff whenever it dies."""
        while not self._stopping.is_set():
            started = self.clock()
            returncode = await self.run_once()
            if self._stopping.is_set():
                if returncode != 0:
                    self.sink.notice(self.name, f"{describe_exit(returncode)} while stopping", error=True)
                return
            uptime = self.clock() - started
            delay = self.backoff.next_delay(uptime)
            self._report_crash(returncode, uptime, delay)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=delay)
            self.restarts += 1

    async def run_once(self) -> int:
        """Run the command once, streaming its output; returns its exit status."""
        self.sink.forget(self.name)
        self.process = await asyncio.create_subprocess_exec(
            *guarded_argv(self.spec.argv),
            env=dict(self.spec.env),
            cwd=self.spec.cwd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        if self._stopping.is_set():
            self._signal(signal.SIGTERM)
        self._changed()
        assert self.process.stdout is not None and self.process.stderr is not None
        await asyncio.gather(
            self._pump(self.process.stdout),
            self._pump(self.process.stderr),
            self.process.wait(),
        )
        self._changed()
        return int(self.process.returncode or 0)

    def _changed(self) -> None:
        """Tell the owner the child started or exited (the launcher keeps its run file current)."""
        if self.on_change is not None:
            self.on_change(self)

    async def _pump(self, stream: asyncio.StreamReader) -> None:
        """Forward complete lines; a line past the limit is cut there and the rest of it skipped,
        so one runaway line cannot hold the launcher's memory or the terminal."""
        pending = b""
        skipping = False
        while chunk := await stream.read(_READ_CHUNK):
            *lines, pending = (pending + chunk).split(b"\n")
            for raw in lines:
                if skipping:
                    skipping = False
                    continue
                self._emit(raw)
            if len(pending) > _LINE_LIMIT:
                if not skipping:
                    self._emit(pending[:_LINE_LIMIT] + b" [truncated]")
                skipping = True
                pending = b""
        if pending and not skipping:
            self._emit(pending)

    def _emit(self, raw: bytes) -> None:
        self.sink.line(self.name, raw.decode("utf-8", errors="replace"))

    def _report_crash(self, returncode: int, uptime: float, delay: float) -> None:
        self.sink.notice(
            self.name,
            f"{describe_exit(returncode)} after {uptime:.1f}s; restarting in {delay:g}s",
            error=True,
        )
        last = self.sink.recent(self.name)[-_CRASH_REPORT_LINES:]
        if last:
            self.sink.notice(self.name, "last output:", error=True)
            for text in last:
                clipped = text if len(text) <= _CRASH_REPORT_WIDTH else text[:_CRASH_REPORT_WIDTH] + " …"
                self.sink.notice(self.name, f"  {clipped}", error=True)

    def stop(self) -> None:
        """Ask the child to shut down gracefully (SIGTERM to its process group) and stop restarting it."""
        self._stopping.set()
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        self._stopping.set()
        self._signal(signal.SIGKILL)

    def _signal(self, sig: signal.Signals) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)
