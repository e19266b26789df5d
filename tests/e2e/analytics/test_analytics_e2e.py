"""Usage analytics through the whole running mesh, over HTTP like a client.

Users chat through the gateway (model_router → a fake OpenAI-compatible upstream, the seed
channel); model_router's UsageRecorded events reach analytics through the outbox relay and
Redis Streams; ``/v1/analytics/usage`` and ``/v1/analytics/dashboard`` then show exactly
those requests and the token sums the callers received. A plain user sees only their own
usage; the super-admin sees everyone's. Killing analytics mid-traffic loses and doubles
nothing: the consumer group hands it the events it missed when it is back.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, MeshRun, make_mesh, seed_channel_env

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o-mini"
REPLY = FakeReply(pieces=("Hello", " there", "."))
CATCH_UP_SECONDS = 60.0


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=REPLY)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream
) -> Iterator[tuple[Mesh, MeshRun]]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("analytics-mesh"), seed_channel_env(f"{upstream.base_url}/v1", [MODEL])
    )
    with mesh.running() as run:
        yield mesh, run


def _client(mesh: Mesh, token: str) -> httpx.Client:
    return httpx.Client(base_url=mesh.gateway, timeout=30.0, headers={"authorization": f"Bearer {token}"})


def _register(mesh: Mesh) -> str:
    with httpx.Client(base_url=mesh.gateway, timeout=30.0) as http:
        email = f"usage-{uuid.uuid4().hex[:8]}@example.com"
        response = http.post("/v1/auth:register", json={"email": email, "password": "e2e-Passw0rd!"})
        assert response.status_code == 200, response.text
        return str(response.json()["accessToken"])


def _admin(mesh: Mesh) -> str:
    fields = dict(
        line.split("=", 1)
        for line in (mesh.data_dir / "admin-credentials").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    with httpx.Client(base_url=mesh.gateway, timeout=30.0) as http:
        response = http.post(
            "/v1/auth:login", json={"email": fields["email"], "password": fields["password"]}
        )
        assert response.status_code == 200, response.text
        return str(response.json()["accessToken"])


def _chat(http: httpx.Client) -> tuple[int, int]:
    """One completion; returns the (prompt, completion) tokens the caller was told."""
    response = http.post(
        "/v1/chat/completions", json={"model": MODEL, "messages": [{"role": "user", "content": "hi there"}]}
    )
    assert response.status_code == 200, response.text
    usage = response.json()["usage"]
    return int(usage["prompt_tokens"]), int(usage["completion_tokens"])


def _usage(http: httpx.Client, **params: Any) -> httpx.Response:
    return http.get("/v1/analytics/usage", params=params)


def _eventually(read: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.5)


def _totals(http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = _usage(http, **params)
    assert response.status_code == 200, response.text
    return dict(response.json().get("totals", {}))


def _requests(totals: dict[str, Any]) -> int:
    return int(totals.get("requests", 0))


def test_usage_shows_exactly_what_callers_were_billed_and_only_to_them(
    running: tuple[Mesh, MeshRun],
) -> None:
    mesh, run = running
    alice, bob = _client(mesh, _register(mesh)), _client(mesh, _register(mesh))
    admin = _client(mesh, _admin(mesh))
    with alice, bob, admin:
        alice_tokens = [_chat(alice) for _ in range(3)]
        bob_tokens = [_chat(bob) for _ in range(2)]

        totals = _eventually(lambda: _totals(alice), lambda t: _requests(t) >= 3)
        assert _requests(totals) == 3
        assert int(totals["promptTokens"]) == sum(p for p, _ in alice_tokens)
        assert int(totals["completionTokens"]) == sum(c for _, c in alice_tokens)
        bob_totals = _eventually(lambda: _totals(bob), lambda t: _requests(t) >= 2)
        assert _requests(bob_totals) == 2
        assert int(bob_totals["totalTokens"]) == sum(p + c for p, c in bob_tokens)

        by_model = _usage(alice, groupBy="USAGE_DIMENSION_MODEL", granularity="GRANULARITY_HOUR")
        assert by_model.status_code == 200, by_model.text
        series = by_model.json()["series"]
        assert [s["dimensions"]["model"] for s in series] == [MODEL]
        assert sum(int(p["metrics"].get("requests", 0)) for p in series[0]["points"]) == 3

        me = bob.get("/v1/users/me").json()
        bob_id = me.get("user", me)["id"]
        peek = _usage(alice, **{"filter.userId": bob_id})
        assert peek.status_code == 403, peek.text
        bad = _usage(alice, groupBy="USAGE_DIMENSION_BOGUS")
        assert bad.status_code == 400, bad.text

        everyone = _totals(admin, groupBy="USAGE_DIMENSION_USER")
        assert _requests(everyone) >= 5

        board = alice.get("/v1/analytics/dashboard")
        assert board.status_code == 200, board.text
        dashboard = board.json()["dashboard"]
        assert int(dashboard["totals"]["requests"]) == 3
        assert [m["key"] for m in dashboard["topModels"]] == [MODEL]
        assert dashboard["latency"]["p99"] != "0s"

        assert _live_requests(alice, 3) == 3
        log = _export_csv(alice)
        assert len(log) == 3 and {row["model"] for row in log} == {MODEL}
        assert sum(int(row["prompt_tokens"]) for row in log) == sum(p for p, _ in alice_tokens)

        # analytics dies mid-traffic; what was sent meanwhile is counted once it is back.
        os.kill(run.service_pid("analytics"), signal.SIGKILL)
        more = [_chat(alice) for _ in range(2)]
        totals = _eventually(lambda: _safe_totals(alice), lambda t: _requests(t) >= 5)
        assert _requests(totals) == 5
        assert int(totals["promptTokens"]) == sum(p for p, _ in alice_tokens + more)


def _safe_totals(http: httpx.Client) -> dict[str, Any]:
    """Totals, or none while analytics is restarting (the gateway answers 503 meanwhile)."""
    response = _usage(http)
    return dict(response.json().get("totals", {})) if response.status_code == 200 else {}


def _live_requests(http: httpx.Client, wanted: int) -> int:
    """Requests in the live SSE stream's 5-minute window, once it shows ``wanted`` (at most 20 updates)."""
    seen = 0
    with http.stream("GET", "/v1/analytics/live", params={"window": "300s"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        updates = 0
        for line in response.iter_lines():
            if line.startswith("data:"):
                seen = int(json.loads(line[5:]).get("metrics", {}).get("requests", 0))
                updates += 1
                if seen >= wanted or updates >= 20:
                    return seen
    raise AssertionError(f"the live stream ended after {seen} requests")


def _export_csv(http: httpx.Client) -> list[dict[str, str]]:
    """The request log as CSV, streamed as NDJSON pieces whose bytes concatenate to the file."""
    spec = {"spec": {"type": "REPORT_TYPE_REQUEST_LOG", "format": "REPORT_FORMAT_CSV"}}
    data = b""
    with http.stream(
        "POST", "/v1/analytics/reports:export", params={"stream": "ndjson"}, json=spec
    ) as response:
        assert response.status_code == 200
        for line in response.iter_lines():
            if line:
                piece = json.loads(line)
                assert "result" in piece, piece
                data += base64.b64decode(piece["result"].get("data", ""))
    return list(csv.DictReader(io.StringIO(data.decode())))
