"""Notifications as a user meets them, over HTTP through the whole running mesh.

The mesh mails through a real SMTP server on loopback (aiosmtpd) given as CHATMESH_SMTP_URL.
A new user gets a welcome in the inbox (and, when identity asks for it, a verification
email); a password reset request mails a link whose token really resets the password; the
inbox lists, counts and marks read; the SSE stream replays from Last-Event-ID and pushes
inbox changes as they happen.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.smtp_sink import SmtpSink
from tests.support.eventually import eventually_sync
from tests.support.mesh_process import Mesh, MeshRun, make_mesh

pytestmark = pytest.mark.e2e

PASSWORD = "e2e-Passw0rd!"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[tuple[Mesh, MeshRun]]:
    mesh = make_mesh(tmp_path_factory.mktemp("notif"), {"CHATMESH_SMTP_URL": smtp.url()})
    run: MeshRun = mesh.start()
    try:
        run.wait_ready()
        yield mesh, run
    finally:
        if run.process.poll() is None:
            run.stop()


@pytest.fixture(scope="module")
def mesh(running: tuple[Mesh, MeshRun]) -> Mesh:
    return running[0]


@pytest.fixture(scope="module")
def http(mesh: Mesh) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mesh.gateway, timeout=30.0) as client:
        yield client


def _wait_for_subject(smtp: SmtpSink, address: str, subject: str, seconds: float = 60.0) -> EmailMessage:
    def arrived() -> EmailMessage | None:
        return next((mail for mail in smtp.to(address) if mail["Subject"] == subject), None)

    return eventually_sync(arrived, within=seconds, what=f"{subject!r} mailed to {address}", interval=0.1)


def _register(http: httpx.Client) -> tuple[str, str]:
    email = f"notif-{uuid.uuid4().hex[:8]}@example.com"
    answer = http.post("/v1/auth:register", json={"email": email, "password": PASSWORD, "displayName": "Neo"})
    assert answer.status_code == 200, answer.text
    return email, str(answer.json().get("accessToken", ""))


def _login(http: httpx.Client, email: str, password: str) -> httpx.Response:
    return http.post("/v1/auth:login", json={"email": email, "password": password})


def _token(http: httpx.Client, email: str) -> str:
    answer = _login(http, email, PASSWORD)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["accessToken"])


def _inbox(http: httpx.Client, token: str, **params: Any) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        answer = http.get("/v1/notifications", params=params, headers={"authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        if body.get("notifications") or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_password_reset_mails_a_link_that_resets_the_password(http: httpx.Client, smtp: SmtpSink) -> None:
    email, _ = _register(http)
    asked = http.post("/v1/auth:requestPasswordReset", json={"email": email})
    assert asked.status_code == 200, asked.text
    mail = _wait_for_subject(smtp, email, "Reset your password")
    text = mail.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "token=" in word)
    token = parse_qs(urlsplit(link).query)["token"][0]

    reset = http.post("/v1/auth:resetPassword", json={"token": token, "newPassword": "N3w-Passw0rd!"})
    assert reset.status_code == 200, reset.text
    assert _login(http, email, "N3w-Passw0rd!").status_code == 200
    assert _login(http, email, PASSWORD).status_code != 200


def test_registration_mails_verification_when_identity_asks_for_it(
    http: httpx.Client, smtp: SmtpSink
) -> None:
    email, _ = _register(http)
    mail = _wait_for_subject(smtp, email, "Confirm your email address")
    assert "token=" in mail.get_body(("plain",)).get_content()


def _events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    event_id, data = "", []
    for line in response.iter_lines():
        if line == "":
            if data:
                yield event_id, json.loads("\n".join(data))
            event_id, data = "", []
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


def test_inbox_and_live_stream(http: httpx.Client) -> None:
    email, _ = _register(http)
    token = _token(http, email)
    auth = {"authorization": f"Bearer {token}"}
    inbox = _inbox(http, token)
    [welcome] = inbox["notifications"]
    assert welcome["subject"] == "Welcome to chatmesh"
    assert inbox["unreadCount"] == 1

    other_email, _ = _register(http)
    other = _inbox(http, _token(http, other_email))
    assert welcome["id"] not in {n["id"] for n in other["notifications"]}
    hidden = http.get(
        f"/v1/notifications/{welcome['id']}", headers={"authorization": f"Bearer {_token(http, other_email)}"}
    )
    assert hidden.status_code == 404

    headers = auth | {"accept": "text/event-stream", "last-event-id": "0-0"}
    with httpx.Client(base_url=http.base_url, timeout=30.0) as live:
        with live.stream("GET", "/v1/notifications:subscribe", headers=headers) as stream:
            assert stream.status_code == 200
            events = _events(stream)
            first_id, first = next(events)
            assert first["notification"]["id"] == welcome["id"]
            marked = http.post("/v1/notifications:markRead", json={"all": True}, headers=auth)
            assert marked.status_code == 200, marked.text
            assert marked.json()["updatedCount"] == 1
            second_id, second = next(events)
            assert second["inboxState"]["readNotificationIds"] == [welcome["id"]]
            assert second["inboxState"].get("unreadCount", 0) == 0
            assert second_id != first_id
    counted = http.get("/v1/notifications", params={"unreadOnly": "true"}, headers=auth).json()
    assert counted.get("unreadCount", 0) == 0
    assert counted.get("notifications", []) == []


def test_the_websocket_route_streams_the_same_inbox(http: httpx.Client, mesh: Mesh) -> None:
    from websockets.sync.client import connect

    email, _ = _register(http)
    token = _token(http, email)
    [welcome] = _inbox(http, token)["notifications"]
    url = (
        mesh.gateway.replace("http://", "ws://")
        + f"/v1/notifications:subscribe?token={token}&lastEventId=0-0"
    )
    with connect(url, open_timeout=30) as socket:
        frame = json.loads(socket.recv(timeout=30))
        while "ping" in frame:
            frame = json.loads(socket.recv(timeout=30))
        assert frame["notification"]["id"] == welcome["id"]


def test_a_killed_service_delivers_every_queued_email_after_its_restart(
    http: httpx.Client, running: tuple[Mesh, MeshRun], smtp: SmtpSink
) -> None:
    """SIGKILL mid-batch: the launcher restarts notification, which finishes the batch. Every
    email arrives; the only possible repeats are the few in flight at the kill (the SMTP
    server had them but the commit never happened), and they carry the same Message-ID."""
    import os
    import signal

    mesh, run = running
    admin = mesh.admin_credentials()
    token = _login(http, admin["email"], admin["password"]).json()["accessToken"]
    auth = {"authorization": f"Bearer {token}"}
    total = 1000
    body = {
        "idempotencyKey": f"kill-{uuid.uuid4()}",
        "channel": "NOTIFICATION_CHANNEL_EMAIL",
        "category": "product",
        "content": {"subject": "Kill test", "body": "hello"},
        "recipients": [{"recipient": {"email": f"k{i}@kill.test"}} for i in range(total)],
    }
    accepted = http.post("/v1/admin/notifications:sendBatch", json=body, headers=auth)
    assert accepted.status_code == 200, accepted.text
    batch_id = accepted.json()["batch"]["id"]

    def arrived() -> list[EmailMessage]:
        return [m for m in smtp.messages if m["To"].endswith("@kill.test")]

    deadline = time.monotonic() + 60
    while not arrived() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert 0 < len(arrived()) < total, "the batch finished before the kill"
    os.kill(run.service_pid("notification"), signal.SIGKILL)

    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        got = http.get(f"/v1/admin/notificationBatches/{batch_id}", headers=auth)
        if got.status_code == 200 and got.json()["batch"].get("sent", 0) == total:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"batch not finished: {got.text}")
    mails = arrived()
    unique = {m["Message-ID"] for m in mails}
    assert len(unique) == total
    assert len(mails) - total <= 10, f"{len(mails) - total} repeats (delivery workers in flight at the kill)"
