"""Quota account ids: ``"<kind>.<owner_id>"`` (``tenant.…``, ``api_key.…``, ``user.…``).

The id is derived from the owner, so a request knows which accounts to charge without a
lookup, and an account that does not exist simply sets no limit (a tenant with no account
is unlimited; a key with no account has no key-level limit).
"""

from __future__ import annotations

from dataclasses import dataclass

from mesh.errors import FieldViolation, InvalidArgument

__all__ = ["KINDS", "AccountRef", "account_id", "charged_accounts", "parse_account_id"]

KINDS = ("tenant", "api_key", "user")


@dataclass(frozen=True)
class AccountRef:
    kind: str
    owner_id: str

    @property
    def id(self) -> str:
        return account_id(self.kind, self.owner_id)


def account_id(kind: str, owner_id: str) -> str:
    return f"{kind}.{owner_id}"


def parse_account_id(value: str, field: str = "account_id") -> AccountRef:
    kind, _, owner = value.partition(".")
    if kind not in KINDS or not owner:
        raise InvalidArgument(
            "bad account id",
            [FieldViolation(field, 'must be "tenant.<id>", "api_key.<id>" or "user.<id>"')],
        )
    return AccountRef(kind, owner)


def charged_accounts(tenant_id: str, api_key_id: str, user_id: str) -> list[str]:
    """Every account a request draws from, sorted: the lock order that keeps reservations deadlock-free."""
    owners = (("tenant", tenant_id), ("api_key", api_key_id), ("user", user_id))
    return sorted(account_id(kind, owner) for kind, owner in owners if owner)
