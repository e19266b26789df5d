"""Who may register into a tenant on their own: the per-tenant signup policy.

A tenant admits self-registration in one of three modes: ``open`` (anyone),
``invite_only`` (nobody; admins create users) or ``email_domains`` (addresses of the
listed domains, and only once the address is proven). A new tenant starts
``invite_only``; only the ``default`` tenant starts ``open``.

The refusal for a closed tenant is the same answer as for a tenant that does not
exist, so Register does not tell strangers which tenants there are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from identity.domain.users import DEFAULT_TENANT_SLUG

__all__ = [
    "MAX_SIGNUP_DOMAINS",
    "SIGNUP_MODES",
    "SignupDecision",
    "SignupMode",
    "default_mode",
    "domain_problem",
    "email_domain",
    "normalize_domain",
    "signup_decision",
]

SignupMode = Literal["open", "invite_only", "email_domains"]
SIGNUP_MODES: tuple[SignupMode, ...] = ("open", "invite_only", "email_domains")
MAX_SIGNUP_DOMAINS = 100
_DOMAIN = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$")


def default_mode(slug: str) -> SignupMode:
    return "open" if slug == DEFAULT_TENANT_SLUG else "invite_only"


def normalize_domain(raw: str) -> str:
    return raw.strip().lower().removeprefix("@").rstrip(".")


def domain_problem(domain: str) -> str | None:
    if not _DOMAIN.match(domain):
        return f"{domain[:80]!r} is not a domain name like example.com"
    return None


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].lower()


@dataclass(frozen=True)
class SignupDecision:
    """Whether a self-registration may go ahead, and whether the address must be proven first."""

    allowed: bool
    verify_first: bool = False


def signup_decision(
    mode: str, domains: tuple[str, ...], email: str, *, tenant_active: bool
) -> SignupDecision:
    """The policy's answer for ``email``; a suspended or deleted tenant admits nobody."""
    if not tenant_active or mode not in SIGNUP_MODES or mode == "invite_only":
        return SignupDecision(allowed=False)
    if mode == "open":
        return SignupDecision(allowed=True)
    domain = email_domain(email)
    return SignupDecision(allowed=domain in domains, verify_first=True)
