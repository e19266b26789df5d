"""An API key's limits, as every service checks them from the principal."""

from __future__ import annotations

import time

import pytest

from mesh.auth import Principal
from mesh.errors import PermissionDenied
from mesh.key_limits import ip_allowed, model_allowed, require_model

KEY = Principal(kind="api_key", subject="u1", tenant_id="t1", token_id="k1", allowed_models=("gpt-4o-mini*",))


def test_a_restricted_key_may_use_only_matching_models() -> None:
    require_model(KEY, "gpt-4o-mini")
    require_model(KEY, "gpt-4o-mini-2024")
    with pytest.raises(PermissionDenied) as refused:
        require_model(KEY, "gpt-4o")
    assert refused.value.reason == "API_KEY_MODEL_NOT_ALLOWED"
    assert KEY.may_use_model("gpt-4o-mini") and not KEY.may_use_model("o3")


def test_callers_without_limits_may_use_any_model() -> None:
    require_model(Principal(kind="user", subject="u1", tenant_id="t1"), "anything")
    assert model_allowed((), "anything") and model_allowed(("a",), "")


def test_network_allow_lists() -> None:
    assert ip_allowed((), "")
    assert ip_allowed(("10.0.0.0/8",), "10.1.2.3")
    assert ip_allowed(("10.0.0.0/8",), "::ffff:10.1.2.3")
    assert not ip_allowed(("10.0.0.0/8",), "192.0.2.1")
    assert not ip_allowed(("10.0.0.0/8",), "")
    assert not ip_allowed(("10.0.0.0/8",), "garbage")


def test_expiry() -> None:
    assert not KEY.expired()
    assert Principal(kind="api_key", expires_at=time.time() - 1).expired()
    assert not Principal(kind="api_key", expires_at=time.time() + 60).expired()
