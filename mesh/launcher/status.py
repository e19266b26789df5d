"""`python -m mesh status`: the health of every service, as the launcher would print it."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

from mesh.config import SERVICES, Settings
from mesh.launcher.probes import READY, SERVING, ServiceProbe, check_gateway, local_gateway_url
from mesh.launcher.report import mesh_table
from mesh.launcher.runfile import read_runfile

_TIMEOUT = 2.0


async def collect_status(settings: Settings) -> tuple[dict[str, str], str, str]:
    """Service statuses, the gateway's readiness and the services the gateway finds down."""
    probe = ServiceProbe.for_settings(settings, SERVICES)
    try:
        async with httpx.AsyncClient() as http:
            statuses, gateway = await asyncio.gather(
                probe.check_all(_TIMEOUT), check_gateway(http, local_gateway_url(settings), _TIMEOUT)
            )
    finally:
        await probe.close()
    return statuses, gateway.status, gateway.detail


def status(settings: Settings, cwd: Path | None = None) -> int:
    """Print the table; exit code 1 when any service is not SERVING or the gateway is not ready."""
    statuses, gateway, detail = asyncio.run(collect_status(settings))
    state = read_runfile(((cwd or Path.cwd()) / settings.data_dir).resolve())
    pids = dict(state.children) if state else None
    print(mesh_table(settings, statuses, gateway, pids))
    if detail:
        print(f"\ngateway reports not serving: {detail}")
    if state:
        print(f"\nlauncher pid {state.launcher_pid}")
    healthy = all(s == SERVING for s in statuses.values()) and gateway == READY
    sys.stdout.flush()
    return 0 if healthy else 1
