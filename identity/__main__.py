"""`python -m identity`: settings, then identity/assembly.py builds the service, then it serves."""

from __future__ import annotations

from identity.assembly import build
from mesh.server import run_service


def main() -> None:
    run_service("identity", build)


if __name__ == "__main__":
    main()
