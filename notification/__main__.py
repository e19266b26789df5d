"""`python -m notification`: wiring only (shared with the other services not built yet, see mesh.unbuilt)."""

from __future__ import annotations

from mesh import unbuilt
from notification import api


def main() -> None:
    unbuilt.main("notification", api.binding)


if __name__ == "__main__":
    main()
