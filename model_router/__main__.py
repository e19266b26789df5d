"""`python -m model_router`: settings → assembly (model_router/assembly.py) → serve."""

from __future__ import annotations

from mesh.server import run_service
from model_router.assembly import build


def main() -> None:
    run_service("model_router", build)


if __name__ == "__main__":
    main()
