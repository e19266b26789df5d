"""The selection benchmark's baseline: the rules of ``select_channel`` applied by scanning every channel.

What a registry without an index does; kept here (not in model_router) because only the
benchmark and the test that checks the index picks what a scan picks need it.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from model_router.domain.channels import RoutableChannel, model_matches
from model_router.domain.selection import DEFAULT_GROUP, SelectionRequest, weighted_pick

__all__ = ["select_linear"]


def select_linear(
    channels: Sequence[RoutableChannel], request: SelectionRequest, rng: random.Random | None = None
) -> RoutableChannel | None:
    """The channel ``select_channel`` would choose, found by scanning every channel per request."""
    draw_rng = rng or random.Random()
    eligible = [
        c
        for c in channels
        if request.group in (c.groups or {DEFAULT_GROUP})
        and (request.model in c.model_mapping or any(model_matches(p, request.model) for p in c.models))
        and c.supports(request.model, request.abilities)
        and c.id not in request.exclude
    ]
    if not eligible:
        return None
    top = max(c.priority for c in eligible)
    return weighted_pick([c for c in eligible if c.priority == top], draw_rng)
