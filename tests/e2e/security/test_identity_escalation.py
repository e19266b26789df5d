"""Identity probed as a hostile tenant admin, an API key holder and a stranger would (issue 10).

Items 1, 2, 3, 4c, 10 and 14 of the issue, each driven through the gateway over HTTP
and, where a caller could go around the gateway, over gRPC straight at identity's port.
(Item 16, the README's quickstart with a self-registered user's own key, is run as written
by tests/e2e/test_readme_quickstart.py.)
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import grpc
import httpx
import pytest
from chatmesh.identity.v1 import api_keys_pb2, auth_pb2, users_pb2
from google.protobuf import field_mask_pb2

from tests.e2e.security.identity_support import PASSWORD, Probe, rpc_error
from tests.e2e.security.identity_support import probe as probe
from tests.e2e.security.principal_support import http_reason, reason

pytestmark = pytest.mark.e2e


def test_a_tenant_admin_cannot_mint_a_key_for_the_super_admin(probe: Probe) -> None:
    _, _, admin_token = probe.user("tenant_admin")
    with probe.http(admin_token) as http:
        refused = http.post("/v1/api-keys", params={"ownerId": probe.admin_id}, json={"name": "takeover"})
        assert refused.status_code == 403, refused.text
        assert http_reason(refused) == "PROTECTED_USER"

        # Provisioning a key for a user it outranks stays possible, and is audited as such.
        member_id, _, _ = probe.user("user")
        minted = http.post("/v1/api-keys", params={"ownerId": member_id}, json={"name": "provisioned"})
        assert minted.status_code == 200, minted.text
        assert minted.json()["apiKey"]["ownerId"] == member_id
        audit = http.get("/v1/audit-events", params={"action": "api_key.create", "resourceId": ""})
        assert audit.status_code == 200, audit.text
        mine = [e for e in audit.json()["auditEvents"] if e["metadata"].get("owner_id") == member_id]
        assert mine and mine[0]["metadata"]["for_another_user"] == "True"

    # A user of another tenant does not exist for the tenant admin.
    other_tenant = probe.tenant(f"t-{uuid.uuid4().hex[:8]}")
    stranger_id, _, _ = probe.user("user", tenant_id=other_tenant)
    with probe.http(admin_token) as http:
        hidden = http.post("/v1/api-keys", params={"ownerId": stranger_id}, json={"name": "x"})
        assert hidden.status_code == 404, hidden.text

    channel, identity = probe.identity()
    with channel:
        error = rpc_error(
            identity.CreateApiKey,
            api_keys_pb2.CreateApiKeyRequest(
                api_key=api_keys_pb2.ApiKey(name="direct"), owner_id=probe.admin_id
            ),
            admin_token,
        )
        assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED, "PROTECTED_USER")


def test_a_tenant_admin_cannot_edit_or_disable_the_super_admin(probe: Probe) -> None:
    _, _, admin_token = probe.user("tenant_admin")
    with probe.http(admin_token) as http:
        takeover = http.patch(
            f"/v1/users/{probe.admin_id}",
            params={"updateMask": "email"},
            json={"email": "attacker@example.com"},
        )
        assert takeover.status_code == 403, takeover.text
        assert http_reason(takeover) == "PROTECTED_USER"
        for path, body in (
            (f"/v1/users/{probe.admin_id}:disable", {}),
            (f"/v1/users/{probe.admin_id}:revokeRole", {"roleId": "user"}),
        ):
            answer = http.post(path, json=body)
            assert answer.status_code == 403, (path, answer.text)
        sessions = http.get(f"/v1/users/{probe.admin_id}/sessions")
        assert sessions.status_code == 403, sessions.text
    with probe.http(probe.admin_token) as http:
        me = http.get("/v1/users/me")
        assert me.json()["email"] != "attacker@example.com"

    channel, identity = probe.identity()
    with channel:
        error = rpc_error(
            identity.UpdateUser,
            users_pb2.UpdateUserRequest(
                user_id=probe.admin_id,
                user=users_pb2.User(email="attacker@example.com"),
                update_mask=field_mask_pb2.FieldMask(paths=["email"]),
            ),
            admin_token,
        )
        assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED, "PROTECTED_USER")


def test_an_email_change_must_be_verified_again(probe: Probe) -> None:
    _, _, admin_token = probe.user("tenant_admin")
    member_id, _, member_token = probe.user("user")
    new_email = f"moved-{uuid.uuid4().hex[:8]}@example.com"
    with probe.http(member_token) as http:
        own = http.patch("/v1/users/me", params={"updateMask": "email"}, json={"email": new_email})
        assert own.status_code == 400, own.text  # people do not move their own address
    with probe.http(admin_token) as http:
        changed = http.patch(
            f"/v1/users/{member_id}", params={"updateMask": "email"}, json={"email": new_email}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["email"] == new_email
        assert not changed.json().get("emailVerified", False)
    with probe.http(member_token) as http:
        again = http.post("/v1/auth:requestEmailVerification", json={})
        assert again.status_code == 200, again.text
    with probe.http() as http:
        forged = http.post("/v1/auth:verifyEmail", json={"token": "A" * 43})
        assert forged.status_code == 400, forged.text
        assert http_reason(forged) == "VERIFICATION_TOKEN_INVALID"


def test_revoking_a_role_ends_the_old_token_everywhere_at_once(probe: Probe) -> None:
    admin_id, _, admin_token = probe.user("tenant_admin")
    with probe.http(admin_token) as http:
        assert http.get("/v1/users").status_code == 200
        assert http.get("/v1/conversations").status_code == 200
    with probe.http(probe.admin_token) as http:
        revoked = http.post(f"/v1/users/{admin_id}:revokeRole", json={"roleId": "tenant_admin"})
        assert revoked.status_code == 200, revoked.text
    with probe.http(admin_token) as http:
        assert http.get("/v1/users").status_code == 401
        assert http.get("/v1/conversations").status_code == 401
    channel, identity = probe.identity()
    with channel:
        error = rpc_error(identity.ListUsers, users_pb2.ListUsersRequest(), admin_token)
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED


def test_an_api_key_cannot_manage_keys_or_credentials(probe: Probe) -> None:
    _, _, token = probe.user("user")
    with probe.http(token) as http:
        created = http.post("/v1/api-keys", json={"name": "narrow", "allowedModels": ["gpt-4o-mini"]})
        assert created.status_code == 200, created.text
        secret = created.json()["secret"]
    with probe.http(secret) as http:
        assert http.get("/v1/users/me").status_code == 200  # the key is a working credential
        for method, path, body in (
            ("POST", "/v1/api-keys", {"name": "wide"}),
            ("GET", "/v1/api-keys", None),
            (
                "POST",
                "/v1/auth:changePassword",
                {"currentPassword": PASSWORD, "newPassword": "N3w-Passw0rd!"},
            ),
            ("POST", "/v1/auth:logoutAll", {}),
            ("GET", "/v1/users/me/sessions", None),
        ):
            answer = http.request(method, path, json=body)
            assert answer.status_code == 403, (path, answer.text)
            assert http_reason(answer) == "USER_LOGIN_REQUIRED", path
    channel, identity = probe.identity()
    with channel:
        error = rpc_error(
            identity.CreateApiKey,
            api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name="w")),
            secret,
        )
        assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED, "USER_LOGIN_REQUIRED")


def _register(http: httpx.Client, email: str, tenant: str) -> httpx.Response:
    return http.post("/v1/auth:register", json={"email": email, "password": PASSWORD, "tenant": tenant})


def _answer(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()
    return body["code"], body["message"], http_reason(response)


def test_signup_follows_the_tenant_policy_and_reveals_no_tenant(probe: Probe) -> None:
    slug = f"acme-{uuid.uuid4().hex[:6]}"
    tenant_id = probe.tenant(slug)
    with probe.http() as http:
        closed = _register(http, "eve@example.com", slug)
        missing = _register(http, "eve@example.com", f"nope-{uuid.uuid4().hex[:6]}")
        assert closed.status_code == missing.status_code == 403, (closed.text, missing.text)
        assert _answer(closed) == _answer(missing)

    _, _, tenant_admin = probe.user("tenant_admin", tenant_id=tenant_id)
    policy = {"signup": {"mode": "SIGNUP_MODE_EMAIL_DOMAINS", "emailDomains": ["acme.test"]}}
    with probe.http(tenant_admin) as http:
        escalate = http.patch(
            f"/v1/tenants/{tenant_id}",
            params={"updateMask": "signup.defaultRoleId"},
            json={"signup": {"defaultRoleId": "super_admin"}},
        )
        assert escalate.status_code == 403, escalate.text
        changed = http.patch(f"/v1/tenants/{tenant_id}", params={"updateMask": "signup"}, json=policy)
        assert changed.status_code == 200, changed.text

    with probe.http() as http:
        outsider = _register(http, "eve@evil.test", slug)
        assert outsider.status_code == 403, outsider.text
        first = _register(http, "alice@acme.test", slug)
        second = _register(http, "alice@acme.test", slug)
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        assert first.json() == second.json()
        assert first.json()["emailVerificationRequired"] is True and not first.json().get("accessToken")
        unproven = http.post(
            "/v1/auth:login", json={"email": "alice@acme.test", "password": PASSWORD, "tenant": slug}
        )
        assert unproven.status_code == 400 and http_reason(unproven) == "EMAIL_NOT_VERIFIED", unproven.text

    channel, identity = probe.identity()
    with channel:
        error = rpc_error(
            identity.Register, auth_pb2.RegisterRequest(email="eve@evil.test", password=PASSWORD, tenant=slug)
        )
        assert (error.code(), reason(error)) == (grpc.StatusCode.PERMISSION_DENIED, "SIGNUP_CLOSED")


def _errors(probe: Probe) -> list[str]:
    """The distinct ERROR messages the mesh logged (to say what a 5xx was)."""
    found: dict[str, None] = {}
    for line in probe.run.lines:
        _, _, text = line.partition("| ")
        if '"level": "ERROR"' in text:
            found.setdefault(json.loads(text).get("message", text)[:200])
    return list(found)[:10]


def test_the_user_limit_holds_under_200_concurrent_registrations(probe: Probe) -> None:
    slug = f"crowd-{uuid.uuid4().hex[:6]}"
    tenant_id = probe.tenant(slug, quota={"maxUsers": 50}, signup={"mode": "SIGNUP_MODE_OPEN"})

    def register(i: int) -> int:
        with probe.http() as http:
            return _register(http, f"crowd-{i}@example.com", slug).status_code

    with ThreadPoolExecutor(max_workers=200) as pool:
        codes = list(pool.map(register, range(200)))
    assert codes.count(200) == 50, (sorted(set(codes)), _errors(probe))
    assert codes.count(429) == 150, (sorted(set(codes)), _errors(probe))
    with probe.http(probe.admin_token) as http:
        quota = http.get(f"/v1/tenants/{tenant_id}/quota")
        assert quota.status_code == 200, quota.text
        assert quota.json()["usage"]["users"] == 50
