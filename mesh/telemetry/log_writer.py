"""A logging handler that writes an event loop's log lines once per loop iteration.

A service logs one access line per RPC on its event loop, and a plain StreamHandler pays a
``write`` and a ``flush`` system call for each (stdout is a pipe to the launcher or a
container runtime). :class:`BatchingHandler` formats a record where it is logged, as a
StreamHandler does (the ids and the message come from the caller's context), but on an event
loop thread it only queues the line and writes everything queued with one call at the end
of the loop iteration. Lines logged outside a running loop are written at once.

Measured on a trivial RPC (bench/bench_runtime_rpc.py): a writer *thread* (stdlib
QueueHandler + QueueListener) made the server slower, not faster, since formatting and
the GIL hand-offs between the two threads cost more than the write calls it saved.

``flush()`` (which ``logging.shutdown`` calls at exit) writes whatever is still queued.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TextIO

__all__ = ["BatchingHandler"]


class BatchingHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A StreamHandler whose writes from an event loop are gathered per loop iteration."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self._pending: list[str] = []
        # The loop a drain is scheduled on: a loop that closed before running it must not
        # keep the next loop's lines waiting.
        self._draining_on: asyncio.AbstractEventLoop | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Called with the handler lock held (``Handler.handle``)."""
        try:
            line = self.format(record)
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self._write_now(line)
                return
            self._pending.append(line)
            if self._draining_on is not loop:
                self._draining_on = loop
                loop.call_soon(self._drain)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write_pending()
            super().flush()

    def _drain(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._draining_on = None
            self._write_pending()
            try:
                self.stream.flush()
            except Exception:
                self.handleError(logging.makeLogRecord({"msg": "flushing log lines failed"}))

    def _write_now(self, line: str) -> None:
        self._write_pending()
        self.stream.write(line + self.terminator)
        self.stream.flush()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        self.stream.write(self.terminator.join(lines) + self.terminator)
