"""An API key's own quota, as its owner set it in identity, enforced by the quota engine here.

identity stores a key's quota (``remaining_quota`` unless ``unlimited_quota``) but never sees
a request's cost; model_router charges every request to the key's account
``api_key.<key id>`` — which, without this, exists only if an operator created it, so a key
"limited to 1000 units" spent without limit. The limit travels in the principal
(``Principal.quota_remaining``); the first request of a limited key opens its account with
that balance, and from then on the account is where the key's spending is counted and
refused (RESOURCE_EXHAUSTED with QuotaFailure details, like any other account). A later
change to the limit is made on the account (AdjustQuota), which the account's ledger records.
"""

from __future__ import annotations

from mesh.auth import Principal
from model_router.quota.accounts import AccountRef
from model_router.quota.ledger import QuotaLedger

__all__ = ["KeyGrants"]

_MAX_REMEMBERED = 100_000


class KeyGrants:
    """Opens limited keys' accounts once; remembers which it saw so later requests cost nothing."""

    def __init__(self, ledger: QuotaLedger | None) -> None:
        self._ledger = ledger
        self._opened: set[str] = set()

    async def ensure(self, principal: Principal) -> None:
        key_id = principal.token_id
        if (
            self._ledger is None
            or principal.kind != "api_key"
            or principal.quota_remaining is None
            or not key_id
            or key_id in self._opened
        ):
            return
        await self._ledger.open_account(
            AccountRef("api_key", key_id),
            principal.tenant_id,
            max(principal.quota_remaining, 0),
            reason="the API key's quota as set in identity",
        )
        if len(self._opened) >= _MAX_REMEMBERED:
            self._opened.clear()
        self._opened.add(key_id)
