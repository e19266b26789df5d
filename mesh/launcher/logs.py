"""Prefixing of child output so eight interleaved log streams stay readable.

Colors only when writing to a terminal: escape codes in a file or a CI log are
noise.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TextIO

_RESET = "\x1b[0m"
_PALETTE = (
    "\x1b[36m",  # cyan
    "\x1b[32m",  # green
    "\x1b[33m",  # yellow
    "\x1b[35m",  # magenta
    "\x1b[34m",  # blue
    "\x1b[96m",  # bright cyan
    "\x1b[92m",  # bright green
    "\x1b[93m",  # bright yellow
    "\x1b[95m",  # bright magenta
)
_ERROR_COLOR = "\x1b[31m"


@dataclass(frozen=True)
class LinePrefixer:
    """Formats one line of a named child's output as ``name | line``."""

    names: Sequence[str]
    color: bool = False

    @property
    def width(self) -> int:
        return max((len(n) for n in self.names), default=0)

    def color_of(self, name: str) -> str:
        try:
            index = list(self.names).index(name)
        except ValueError:
            index = sum(name.encode()) % len(_PALETTE)
        return _PALETTE[index % len(_PALETTE)]

    def format(self, name: str, line: str) -> str:
        text = line.rstrip("\r\n")
        label = name.ljust(self.width)
        if self.color:
            return f"{self.color_of(name)}{label} |{_RESET} {text}"
        return f"{label} | {text}"

    def format_notice(self, name: str, message: str, *, error: bool = False) -> str:
        """A line written by the launcher itself about a child (crash, restart)."""
        label = name.ljust(self.width)
        if self.color:
            tint = _ERROR_COLOR if error else self.color_of(name)
            return f"{tint}{label} * {message}{_RESET}"
        return f"{label} * {message}"


@dataclass
class LogSink:
    """Writes prefixed lines to the terminal and remembers each child's last lines for crash reports."""

    prefixer: LinePrefixer
    out: TextIO = field(default_factory=lambda: sys.stdout)
    keep_lines: int = 20
    _recent: dict[str, deque[str]] = field(default_factory=dict, init=False)

    def line(self, name: str, text: str) -> None:
        self._recent.setdefault(name, deque(maxlen=self.keep_lines)).append(text.rstrip("\r\n"))
        self._write(self.prefixer.format(name, text))

    def notice(self, name: str, message: str, *, error: bool = False) -> None:
        self._write(self.prefixer.format_notice(name, message, error=error))

    def recent(self, name: str) -> list[str]:
        return list(self._recent.get(name, ()))

    def forget(self, name: str) -> None:
        """Start a new run's memory, so a crash report shows only the run that crashed."""
        self._recent.pop(name, None)

    def _write(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


def use_color(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
