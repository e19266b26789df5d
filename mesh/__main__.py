"""`python -m mesh`: run, inspect and migrate the mesh on this machine."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mesh", description="Run and inspect the chatmesh mesh.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    up = commands.add_parser(
        "up", help="start embedded Postgres/Redis, migrate, and run every service and the gateway"
    )
    up.add_argument(
        "--ready-timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="give up if the mesh is not serving after this long (default: %(default)s)",
    )
    commands.add_parser("status", help="print the health of every service; exit 1 if any is not SERVING")
    migrate = commands.add_parser(
        "migrate",
        add_help=False,
        help="run the Alembic migrations of all (or the named) services; `migrate --help` for options",
    )
    migrate.add_argument("arguments", nargs=argparse.REMAINDER, metavar="[SERVICE ...]")
    commands.add_parser("infra", help="start the embedded Postgres and Redis only and print their URLs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["migrate"]:
        from mesh import migrate

        return int(migrate.main(arguments[1:]) or 0)
    args = _parser().parse_args(arguments)

    from mesh.config import exit_on_bad_settings

    settings = exit_on_bad_settings()
    if args.command == "up":
        from mesh.launcher.up import up

        return up(settings, ready_timeout=args.ready_timeout)
    if args.command == "status":
        from mesh.launcher.status import status

        return status(settings)
    from mesh.launcher.embedded import run_infra_only

    return run_infra_only(settings)


if __name__ == "__main__":
    sys.exit(main())
