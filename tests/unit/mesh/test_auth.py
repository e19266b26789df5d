"""Credentials from metadata, the principal context, and the public-method option lookup."""

from __future__ import annotations

import asyncio

from mesh.auth import (
    ANONYMOUS,
    Principal,
    TokenVerifier,
    credential_from_metadata,
    current_principal,
    is_public_method,
    outgoing_credentials,
    reset_principal,
    set_principal,
)


def test_bearer_token_wins_over_api_key() -> None:
    metadata = (("x-api-key", "sk-abc"), ("authorization", "Bearer eyJ.token"))
    assert credential_from_metadata(metadata) == ("eyJ.token", (("authorization", "Bearer eyJ.token"),))


def test_api_key_and_odd_headers() -> None:
    assert credential_from_metadata((("x-api-key", " sk-abc "),)) == ("sk-abc", (("x-api-key", " sk-abc "),))
    assert credential_from_metadata((("authorization", "bearer sk-lower"),))[0] == "sk-lower"
    assert credential_from_metadata((("authorization", "Basic dXNlcjpwYXNz"),)) == (None, ())
    assert credential_from_metadata((("authorization", "Bearer "),)) == (None, ())
    assert credential_from_metadata(None) == (None, ())


def test_principal_properties() -> None:
    user = Principal(kind="user", subject="u1", tenant_id="t1", roles=frozenset({"admin"}))
    assert user.user_id == "u1" and user.is_authenticated and user.has_role("admin")
    assert not user.has_scope("chat:write")
    assert Principal(kind="service", subject="orchestrator").user_id is None
    assert ANONYMOUS.user_id is None and not ANONYMOUS.is_authenticated


async def test_principal_is_per_task_and_resets() -> None:
    user = Principal(kind="user", subject="u1")
    credential = (("authorization", "Bearer t"),)

    async def inside() -> tuple[str, tuple[tuple[str, str], ...]]:
        tokens = set_principal(user, credential)
        try:
            await asyncio.sleep(0)
            return current_principal().subject, outgoing_credentials()
        finally:
            reset_principal(tokens)

    assert await asyncio.create_task(inside()) == ("u1", credential)
    assert current_principal() is ANONYMOUS and outgoing_credentials() == ()


def test_token_verifier_is_a_structural_protocol() -> None:
    class Verifier:
        async def verify(self, token: str) -> Principal:
            return ANONYMOUS

    assert isinstance(Verifier(), TokenVerifier)


def test_methods_without_the_public_option_are_not_public() -> None:
    assert not is_public_method("/grpc.health.v1.Health/Check")
    assert not is_public_method("/no.such.Service/Method")
    assert not is_public_method("garbage")
