"""`python -m conversation`: wiring only (shared with the other services not built yet, see mesh.unbuilt)."""

from __future__ import annotations

from conversation import api
from mesh import unbuilt


def main() -> None:
    unbuilt.main("conversation", api.binding)


if __name__ == "__main__":
    main()
