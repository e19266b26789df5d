"""Routing rules as plain values: validation, arm choice, and the per-alias index ``resolve`` reads.

A rule maps a model alias to arms (target models) with percentages summing to 100. An arm
is chosen by a stable hash (SHA-256, not Python's per-process ``hash``) of the rule id and
the caller's sticky key, so every instance puts a given user on the same arm, and changing
one rule's split only moves users of that rule. The hash lands in one of 10,000 buckets,
so a split is exact to 0.01 %. A non-sticky rule (or a caller with no key) draws at random.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from mesh.errors import FieldViolation

__all__ = [
    "BUCKETS",
    "MAX_ARMS",
    "RouteArmSpec",
    "RouteResolution",
    "RuleIndex",
    "RuleSpec",
    "bucket_of",
    "choose_arm",
    "validate_rule",
]

BUCKETS = 10_000
MAX_ARMS = 20
MAX_GROUPS = 100
MAX_CHANNELS_PER_ARM = 100
MAX_NAME = 100
MAX_DESCRIPTION = 2000
_MODEL_RE = re.compile(r"^[A-Za-z0-9._:/@+-]{1,200}$")
_ARM_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_LABEL_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True)
class RouteResolution:
    """Where a request for ``model`` goes: the target model, and the rule and arm that chose it.

    ``rule_id`` and ``arm`` are "" when no rule applies (``model`` is then the one asked for).
    ``channel_ids`` restricts the arm to some channels (empty: any channel serving ``model``).
    """

    model: str
    rule_id: str = ""
    arm: str = ""
    channel_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RouteArmSpec:
    name: str
    target_model: str
    percent: int
    channel_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    """One rule's values as stored (``id`` is "" before it is created)."""

    name: str
    model_alias: str
    arms: tuple[RouteArmSpec, ...]
    id: str = ""
    sticky: bool = True
    groups: tuple[str, ...] = ()
    enabled: bool = True
    priority: int = 0
    description: str = ""
    cumulative: tuple[int, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        total, edges = 0, []
        for arm in self.arms:
            total += arm.percent * (BUCKETS // 100)
            edges.append(total)
        object.__setattr__(self, "cumulative", tuple(edges))


def validate_rule(rule: RuleSpec, prefix: str = "routing_rule") -> list[FieldViolation]:
    """Every problem with a rule at once (google.rpc.BadRequest field names are the proto's)."""
    bad: list[FieldViolation] = []

    def check(ok: bool, name: str, description: str) -> None:
        if not ok:
            bad.append(FieldViolation(f"{prefix}.{name}" if name else prefix, description))

    check(0 < len(rule.name.strip()) <= MAX_NAME, "name", f"required, at most {MAX_NAME} characters")
    check(bool(_MODEL_RE.match(rule.model_alias)), "model_alias", "required; letters, digits and ._:/@+-")
    check(len(rule.description) <= MAX_DESCRIPTION, "description", f"at most {MAX_DESCRIPTION} characters")
    check(len(rule.groups) <= MAX_GROUPS, "groups", f"at most {MAX_GROUPS}")
    check(all(_LABEL_RE.match(g) for g in rule.groups), "groups", "names are letters, digits and _.:-")
    check(abs(rule.priority) <= 1_000_000, "priority", "between -1000000 and 1000000")
    check(0 < len(rule.arms) <= MAX_ARMS, "arms", f"between 1 and {MAX_ARMS} arms")
    names: set[str] = set()
    for i, arm in enumerate(rule.arms):
        where = f"arms[{i}]"
        check(bool(_ARM_RE.match(arm.name)), f"{where}.name", "required; letters, digits and _.:-")
        check(arm.name not in names, f"{where}.name", "arm names must be unique within a rule")
        names.add(arm.name)
        check(bool(_MODEL_RE.match(arm.target_model)), f"{where}.target_model", "required model name")
        check(
            arm.target_model != rule.model_alias or len(rule.arms) > 1 or bool(arm.channel_ids),
            f"{where}.target_model",
            "a single arm routing the alias to itself does nothing",
        )
        check(0 <= arm.percent <= 100, f"{where}.percent", "between 0 and 100")
        check(len(arm.channel_ids) <= MAX_CHANNELS_PER_ARM, f"{where}.channel_ids", "too many channels")
        check(all(_LABEL_RE.match(c) for c in arm.channel_ids), f"{where}.channel_ids", "not channel ids")
    if rule.arms and all(0 <= a.percent <= 100 for a in rule.arms):
        total = sum(a.percent for a in rule.arms)
        check(total == 100, "arms", f"percents must sum to 100 (they sum to {total})")
    return bad


def bucket_of(rule_id: str, sticky_key: str) -> int:
    digest = hashlib.sha256(f"{rule_id}\x00{sticky_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def choose_arm(rule: RuleSpec, sticky_key: str, rng: random.Random | None = None) -> RouteArmSpec:
    """The arm for this key: by stable hash when the rule is sticky and a key is given, else at random."""
    if rule.sticky and sticky_key:
        bucket = bucket_of(rule.id, sticky_key)
    else:
        bucket = (rng or random).randrange(BUCKETS)
    for arm, edge in zip(rule.arms, rule.cumulative, strict=True):
        if bucket < edge:
            return arm
    return rule.arms[-1]


def _applies(rule: RuleSpec, group: str, tenant_id: str) -> bool:
    return not rule.groups or group in rule.groups or (bool(tenant_id) and tenant_id in rule.groups)


class RuleIndex:
    """Enabled rules by alias, best first: highest priority, then group-specific before catch-all."""

    def __init__(self, rules: Iterable[RuleSpec]) -> None:
        by_alias: dict[str, list[RuleSpec]] = {}
        for rule in rules:
            if rule.enabled and rule.arms:
                by_alias.setdefault(rule.model_alias, []).append(rule)
        for found in by_alias.values():
            found.sort(key=lambda r: (-r.priority, not r.groups, r.id))
        self._by_alias: Mapping[str, Sequence[RuleSpec]] = by_alias

    def __len__(self) -> int:
        return sum(len(r) for r in self._by_alias.values())

    def rule_for(self, model: str, group: str = "", tenant_id: str = "") -> RuleSpec | None:
        for rule in self._by_alias.get(model, ()):
            if _applies(rule, group, tenant_id):
                return rule
        return None

    def resolve(
        self, model: str, tenant_id: str, user_id: str, *, group: str = "", sticky_key: str = ""
    ) -> RouteResolution:
        rule = self.rule_for(model, group, tenant_id)
        if rule is None:
            return RouteResolution(model=model)
        arm = choose_arm(rule, sticky_key or user_id)
        return RouteResolution(
            model=arm.target_model, rule_id=rule.id, arm=arm.name, channel_ids=arm.channel_ids
        )
