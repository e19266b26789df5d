"""A service believes a client address only when it is sealed for the call's own credential.

The address the gateway sealed reaches the handler (``current_client_ip`` and the principal)
and the next hop (next to the forwarded credential); a header sealed for another credential,
forged, or merely written by the caller counts for nothing: the transport peer is used.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import grpc
import pytest

from mesh.auth import current_client_ip, current_principal, outgoing_credentials
from mesh.client_ip import CLIENT_IP_HEADER, client_ip_seal
from mesh.server import start_server
from tests.integration.mesh.test_server import TokenTable, binding, make_settings
from tests.integration.mesh.test_server import echo as echo
from tests.integration.mesh.test_server import echo_dir as echo_dir


def _where_servicer(echo: SimpleNamespace) -> Any:
    class WhereServicer(echo.Servicer):  # type: ignore[misc, name-defined]
        async def Echo(self, request: Any, context: Any) -> Any:
            if request.text != "whereami":
                return await super().Echo(request, context)
            forwarded = dict(outgoing_credentials()).get(CLIENT_IP_HEADER, "")
            seen = f"{current_client_ip()}|{current_principal().client_ip}|{forwarded}"
            return echo.pb2.EchoResponse(text=seen)

    return WhereServicer()


async def test_only_a_seal_for_the_calls_credential_counts(echo: SimpleNamespace, tmp_path: Path) -> None:
    settings = make_settings(data_dir=tmp_path)
    seal = client_ip_seal(settings)
    server = await start_server(
        "meshtest",
        [binding(echo, _where_servicer(echo))],
        settings,
        port=0,
        metrics_port=-1,
        verifier=TokenTable(),
    )
    request = echo.pb2.EchoRequest(text="whereami")
    user = ("authorization", "Bearer good-token")

    async def where(*metadata: tuple[str, str]) -> list[str]:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            reply = await echo.grpc.EchoServiceStub(channel).Echo(request, metadata=metadata)
        return str(reply.text).split("|")

    try:
        ip, in_principal, forwarded = await where(user, seal.seal("203.0.113.7", "good-token"))
        assert ip == in_principal == "203.0.113.7"
        assert forwarded == seal.seal("203.0.113.7", "good-token")[1]
        # Public and anonymous: the address is sealed for "no credential".
        assert (await where(seal.seal("203.0.113.8")))[:2] == ["203.0.113.8", "203.0.113.8"]
        for attempt in (
            seal.seal("203.0.113.7", "another-token"),
            (CLIENT_IP_HEADER, "203.0.113.7 AAAAAAAAAAAAAAAAAAAAAA"),
            (CLIENT_IP_HEADER, "203.0.113.7"),
            ("x-forwarded-for", "203.0.113.7"),
        ):
            ip, in_principal, forwarded = await where(user, attempt)
            assert ip == in_principal == "127.0.0.1", attempt
            # What the service hands on is the address it established itself, sealed by it.
            assert forwarded == seal.seal("127.0.0.1", "good-token")[1]
    finally:
        await server.stop(0)


@pytest.mark.parametrize("value", ["", "not-an-ip x", "1.2.3.4"])
def test_malformed_values_never_open(value: str, tmp_path: Path) -> None:
    assert client_ip_seal(make_settings(data_dir=tmp_path)).open(value) is None
