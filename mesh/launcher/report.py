"""What `mesh up` and `mesh status` print about the running mesh."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mesh.config import SERVICES, Settings
from mesh.discovery.base import grpc_service_name
from mesh.launcher.probes import local_gateway_url, local_grpc_address, local_host
from mesh.launcher.table import render_table

HEADERS = ("service", "gRPC address", "metrics address", "status")


def mesh_table(
    settings: Settings,
    statuses: Mapping[str, str],
    gateway_status: str,
    pids: Mapping[str, int] | None = None,
) -> str:
    """One row per service plus the gateway; a pid column when the launcher's run file is known."""
    host = local_host(settings)
    rows: list[list[str]] = [
        [
            svc,
            local_grpc_address(settings, svc),
            f"{host}:{settings.metrics_port(svc)}",
            statuses.get(svc, "UNKNOWN"),
        ]
        for svc in SERVICES
    ]
    rows.append(
        ["gateway", local_gateway_url(settings), f"{host}:{settings.gateway_port}/metrics", gateway_status]
    )
    headers: list[str] = list(HEADERS)
    if pids is not None:
        headers.append("pid")
        for row in rows:
            pid = pids.get(row[0])
            row.append(str(pid) if pid else "-")
    return render_table(headers, rows)


def ready_banner(settings: Settings, table: str, data_dir: Path) -> str:
    """The block printed once the whole mesh answers: table, gateway and console URLs, grpcurl hints."""
    identity = local_grpc_address(settings, "identity")
    lines = [
        "",
        table,
        "",
        f"gateway:  {local_gateway_url(settings)}  (try: curl {local_gateway_url(settings)}/readyz)",
        f"console:  {local_gateway_url(settings)}/console/  (sign up, chat, API keys)",
        f"grpcurl:  grpcurl -plaintext {identity} list",
        f"          grpcurl -plaintext {identity} describe {grpc_service_name('identity')}",
    ]
    credentials = data_dir / "admin-credentials"
    if credentials.exists():
        lines.append(f"admin:    credentials of the first super-admin are in {credentials}")
    lines += ["", "chatmesh is up. Ctrl-C stops everything.", ""]
    return "\n".join(lines)
