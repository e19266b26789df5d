"""Routing rules as values: split accuracy, stickiness, rule choice, and validation."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter

import pytest

from model_router.domain.routing_rules import choose_arm
from model_router.routing import RouteArmSpec, RouteResolution, RuleIndex, RuleSpec, validate_rule

SPLIT = RuleSpec(
    id="rule-1",
    name="chat default",
    model_alias="chat-default",
    arms=(
        RouteArmSpec("a", "gpt-4o-mini", 70),
        RouteArmSpec("b", "claude-haiku", 20),
        RouteArmSpec("c", "gemini-2.5-flash", 10),
    ),
)


def _fields(bad: list) -> set[str]:
    return {v.field for v in bad}


def test_no_rule_keeps_the_model() -> None:
    assert RuleIndex([SPLIT]).resolve("gpt-4o", "t1", "u1") == RouteResolution(model="gpt-4o")


def test_split_distribution_within_tolerance() -> None:
    index = RuleIndex([SPLIT])
    users = 20_000
    counts = Counter(index.resolve("chat-default", "t1", f"user-{i}").arm for i in range(users))
    for arm in SPLIT.arms:
        share = counts[arm.name] / users
        assert abs(share - arm.percent / 100) < 0.015, (arm.name, share)


def test_sticky_per_user_and_stable_across_indexes() -> None:
    first = RuleIndex([SPLIT])
    second = RuleIndex([SPLIT])  # another instance, same rules
    for i in range(500):
        user = f"user-{i}"
        picks = {first.resolve("chat-default", "t1", user) for _ in range(5)}
        assert len(picks) == 1
        assert picks == {second.resolve("chat-default", "t9", user)}
    resolved = first.resolve("chat-default", "t1", "user-1")
    arm = next(a for a in SPLIT.arms if a.name == resolved.arm)
    assert (resolved.model, resolved.rule_id) == (arm.target_model, "rule-1")


def test_sticky_key_overrides_user_and_rule_id_reshuffles() -> None:
    index = RuleIndex([SPLIT])
    by_key = index.resolve("chat-default", "t1", "someone", sticky_key="conversation-7")
    assert by_key == index.resolve("chat-default", "t1", "someone-else", sticky_key="conversation-7")
    other = dataclasses.replace(SPLIT, id="rule-2")
    moved = sum(
        choose_arm(SPLIT, f"user-{i}").name != choose_arm(other, f"user-{i}").name for i in range(2000)
    )
    assert moved > 200  # independent hashes per rule, not one global ordering


def test_non_sticky_rule_draws_at_random() -> None:
    rule = RuleSpec(
        id="r",
        name="r",
        model_alias="m",
        sticky=False,
        arms=(RouteArmSpec("a", "x", 50), RouteArmSpec("b", "y", 50)),
    )
    rng = random.Random(7)
    picks = Counter(choose_arm(rule, "same-user", rng).name for _ in range(2000))
    assert 800 < picks["a"] < 1200 and 800 < picks["b"] < 1200


def test_zero_percent_arm_is_never_chosen() -> None:
    rule = RuleSpec(
        id="r", name="r", model_alias="m", arms=(RouteArmSpec("off", "x", 0), RouteArmSpec("on", "y", 100))
    )
    assert {choose_arm(rule, f"u{i}").name for i in range(1000)} == {"on"}


def test_priority_groups_and_disabled_rules() -> None:
    catch_all = RuleSpec(id="1", name="all", model_alias="m", arms=(RouteArmSpec("all", "x", 100),))
    vip = RuleSpec(
        id="2", name="vip", model_alias="m", groups=("vip",), arms=(RouteArmSpec("vip", "y", 100),)
    )
    tenant = RuleSpec(
        id="3", name="t", model_alias="m", groups=("t-42",), arms=(RouteArmSpec("t", "z", 100),)
    )
    urgent = RuleSpec(
        id="4",
        name="urgent",
        model_alias="m",
        priority=10,
        enabled=False,
        arms=(RouteArmSpec("u", "w", 100),),
    )
    index = RuleIndex([catch_all, vip, tenant, urgent])
    assert index.resolve("m", "t1", "u", group="default").arm == "all"
    assert index.resolve("m", "t1", "u", group="vip").arm == "vip"
    assert index.resolve("m", "t-42", "u").arm == "t"
    assert len(index) == 3


def test_valid_rule_passes() -> None:
    assert validate_rule(SPLIT) == []


@pytest.mark.parametrize(
    ("arms", "field"),
    [
        ((), "routing_rule.arms"),
        ((RouteArmSpec("a", "x", 60), RouteArmSpec("b", "y", 30)), "routing_rule.arms"),
        ((RouteArmSpec("a", "x", 110), RouteArmSpec("b", "y", -10)), "routing_rule.arms[0].percent"),
        ((RouteArmSpec("a", "x", 50), RouteArmSpec("a", "y", 50)), "routing_rule.arms[1].name"),
        ((RouteArmSpec("", "x", 100),), "routing_rule.arms[0].name"),
        ((RouteArmSpec("a", "", 100),), "routing_rule.arms[0].target_model"),
        ((RouteArmSpec("a", "chat-default", 100),), "routing_rule.arms[0].target_model"),
        ((RouteArmSpec("a", "x", 100, ("not a channel!",)),), "routing_rule.arms[0].channel_ids"),
    ],
)
def test_invalid_arms(arms: tuple[RouteArmSpec, ...], field: str) -> None:
    rule = RuleSpec(id="", name="n", model_alias="chat-default", arms=arms)
    assert field in _fields(validate_rule(rule))


def test_every_bad_field_is_reported_at_once() -> None:
    rule = RuleSpec(
        name="", model_alias="bad alias!", groups=("no spaces",), arms=(RouteArmSpec("a", "x", 90),)
    )
    assert _fields(validate_rule(rule)) == {
        "routing_rule.name",
        "routing_rule.model_alias",
        "routing_rule.groups",
        "routing_rule.arms",
    }
