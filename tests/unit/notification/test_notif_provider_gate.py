"""Providers that asked us to back off are skipped by every worker until their Retry-After passes."""

from __future__ import annotations

import pytest

from notification.delivery.errors import DeliveryFailed, ProviderGate, retry_after


def test_a_paused_provider_is_skipped_until_its_retry_after() -> None:
    gate = ProviderGate()
    gate.check("twilio")
    gate.observe(DeliveryFailed("429", transient=True, provider="twilio", backoff=retry_after("60")))
    with pytest.raises(DeliveryFailed) as caught:
        gate.check("twilio")
    assert caught.value.transient
    gate.check("aliyun")
    assert retry_after("soon") == 5.0 and retry_after("99999") == 300.0
