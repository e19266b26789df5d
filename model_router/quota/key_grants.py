"""An API key's own quota, as its owner sets it in identity, enforced by the quota engine here.

identity stores a key's quota (``remaining_quota`` unless ``unlimited_quota``) but never sees
a request's cost; model_router charges every request to the key's account
``api_key.<key id>`` — which, without this, existed only if an operator created it, so a key
"limited to 1000 units" spent without limit. The figure travels in the principal
(``Principal.quota_remaining``, None when unlimited) and the account follows it:

- the first request of a limited key opens the account with that balance;
- when identity's figure changes (only an UpdateApiKey changes it: identity never counts
  spending), the balance becomes the new figure ("quota left" means exactly that), and an
  unlimited key's account becomes unlimited; an unchanged figure leaves the account alone,
  so spending recorded here is never undone by a stale figure.

Each change is one ledger row (kind ``adjust``) whose idempotency key records the figure it
applied, so every instance (and a restarted one) knows what was applied last; the account
row is locked while deciding, so concurrent instances apply a change once. An instance
remembers what it saw for a minute (``RECHECK_SECONDS``), after which it asks the ledger
again: another instance may have applied a newer figure meanwhile.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.auth import Principal
from model_router.domain.quota_accounts import account_id
from model_router.store import quota_accounts as accounts

__all__ = ["KeyGrants"]

_MARK = "identity-quota:"
_UNLIMITED = "unlimited"
_MAX_REMEMBERED = 100_000
RECHECK_SECONDS = 60.0


def _figure(quota_remaining: int | None) -> str:
    return _UNLIMITED if quota_remaining is None else str(max(quota_remaining, 0))


class KeyGrants:
    """Keeps API keys' accounts in step with identity; remembers what it applied (requests cost nothing)."""

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._applied: dict[str, tuple[str, float]] = {}

    async def ensure(self, principal: Principal) -> None:
        key_id = principal.token_id
        if principal.kind != "api_key" or not key_id:
            return
        figure = _figure(principal.quota_remaining)
        seen = self._applied.get(key_id)
        now = self._clock()
        if seen is not None and seen[0] == figure and now - seen[1] < RECHECK_SECONDS:
            return
        async with self._sessions() as session, session.begin():
            await self._follow(session, key_id, principal.tenant_id, figure)
        if len(self._applied) >= _MAX_REMEMBERED:
            self._applied.clear()
        self._applied[key_id] = (figure, now)

    async def _follow(self, session: AsyncSession, key_id: str, tenant_id: str, figure: str) -> None:
        account = account_id("api_key", key_id)
        if figure != _UNLIMITED:
            await accounts.open_account(
                session, {"id": account, "kind": "api_key", "owner_id": key_id, "tenant_id": tenant_id}
            )
        row = await accounts.get_account(session, account, lock=True)
        if row is None:
            return  # an unlimited key that never had an account needs none
        last = await accounts.last_key_with_prefix(session, account, _MARK)
        if last is not None and last.split(":")[1] == figure:
            return
        if last is None and figure == _UNLIMITED:
            return  # an operator's account for a key identity never limited: not ours to change
        unlimited = figure == _UNLIMITED
        balance = int(row.balance) if unlimited else int(figure)
        await accounts.set_balance(session, account, balance=balance, unlimited=unlimited)
        await accounts.append_entry(
            session,
            {
                "account_id": account,
                "kind": "adjust",
                "amount": balance - int(row.balance),
                "balance_after": balance,
                "reason": "the API key's quota as set in identity",
                "idempotency_key": f"{_MARK}{figure}:{uuid.uuid4().hex}",
            },
        )
