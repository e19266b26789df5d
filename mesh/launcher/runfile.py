"""The launcher's record of what it runs, so `mesh status` can name the process behind each service.

Kept in the data dir next to the embedded servers' data: it describes this
checkout's mesh, and a stale file (launcher gone) is recognized and ignored.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

RUNFILE_NAME = "launcher.json"
KIND_UP = "up"
KIND_INFRA = "infra"


@dataclass(frozen=True)
class RunState:
    launcher_pid: int
    children: dict[str, int]
    kind: str = KIND_UP


def runfile_path(data_dir: Path) -> Path:
    return data_dir / RUNFILE_NAME


def write_runfile(
    data_dir: Path, launcher_pid: int, children: Mapping[str, int | None], *, kind: str = KIND_UP
) -> None:
    """Replace the file atomically so a concurrent `mesh status` never reads half of it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = runfile_path(data_dir)
    tmp = path.with_suffix(".tmp")
    payload = {
        "kind": kind,
        "launcher_pid": launcher_pid,
        "children": {k: v for k, v in children.items() if v},
    }
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_runfile(data_dir: Path) -> RunState | None:
    """The current state, or None when no launcher is running for this data dir."""
    try:
        raw = json.loads(runfile_path(data_dir).read_text(encoding="utf-8"))
        children = {str(k): int(v) for k, v in raw["children"].items()}
        state = RunState(int(raw["launcher_pid"]), children, str(raw.get("kind", KIND_UP)))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return state if _alive(state.launcher_pid) else None


def remove_runfile(data_dir: Path) -> None:
    runfile_path(data_dir).unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
