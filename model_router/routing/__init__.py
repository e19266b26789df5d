"""Routing rules: model aliases and A/B splits between target models, sticky per user.

``RoutingRules`` (the in-memory, cross-instance-refreshed cache) answers
``resolve(model, tenant_id, user_id) -> RouteResolution(model, rule_id, arm)``; the admin
RPCs in ``model_router.api.routing`` write the rules.
"""

from __future__ import annotations

from model_router.domain.routing_rules import (
    RouteArmSpec,
    RouteResolution,
    RuleIndex,
    RuleSpec,
    validate_rule,
)
from model_router.routing.cache import RULES_CHANGED, RoutingRules

__all__ = [
    "RULES_CHANGED",
    "RouteArmSpec",
    "RouteResolution",
    "RoutingRules",
    "RuleIndex",
    "RuleSpec",
    "validate_rule",
]
