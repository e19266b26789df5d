"""Parked keys sit out their cool-down, then come back."""

from __future__ import annotations

import random

from model_router.domain.channels import ChannelKey
from model_router.key_parking import KeyParking


def test_parked_key_is_skipped_until_the_cooldown_ends() -> None:
    now = [100.0]
    parking = KeyParking(cooldown_seconds=30, clock=lambda: now[0])
    keys = [ChannelKey("k1", "sk-1"), ChannelKey("k2", "sk-2")]
    parking.park("k1", "http_401")
    rng = random.Random(0)
    assert {parking.pick(keys, rng).id for _ in range(20)} == {"k2"}  # type: ignore[union-attr]
    parking.park("k2", "quota")
    assert parking.pick(keys, rng) is None
    now[0] += 30
    assert parking.parked("k1") is None
    assert parking.pick(keys, rng) is not None
