"""`python -m orchestrator`: settings → assembly (orchestrator/assembly.py) → serve."""

from __future__ import annotations

from mesh.server import run_service
from orchestrator.assembly import build


def main() -> None:
    run_service("orchestrator", build)


if __name__ == "__main__":
    main()
