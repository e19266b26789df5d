"""Listing and removing a user's OAuth links (ListLinkedAccounts, UnlinkAccount).

Removing a link must never lock a person out: the last link of a user without a
password is refused. The user row is locked while that is decided, so two concurrent
unlinks cannot each believe the other link is still there.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from identity.api.access_support import Caller, guard_target
from identity.api.account_support import target_user
from identity.domain.origin import Origin
from identity.store import audit
from identity.store import oauth as link_store
from identity.store.oauth import LinkRow
from identity.store.paging import Cursor, encode_cursor
from mesh.errors import FailedPrecondition, NotFound

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["list_linked_accounts", "unlink_account"]


async def list_linked_accounts(
    deps: IdentityDeps, caller: Caller, user_ref: str, *, limit: int, after: Cursor | None
) -> tuple[Sequence[LinkRow], str]:
    """A page of links, newest first, and the next page token ("" on the last page)."""
    async with deps.sessions() as db:
        user = await target_user(db, caller, user_ref, permission="users:read")
        rows = await link_store.list_links(db, user.id, limit=limit + 1, after=after)
    page = list(rows[:limit])
    token = encode_cursor((page[-1].created_at, page[-1].id)) if len(rows) > limit else ""
    return page, token


async def unlink_account(
    deps: IdentityDeps, caller: Caller, user_ref: str, link_id: uuid.UUID, origin: Origin
) -> None:
    async with deps.sessions.begin() as db:
        user = await target_user(db, caller, user_ref, permission="users:update", for_update=True)
        await guard_target(deps, caller, user.id, db)
        link = await link_store.get_link(db, user.id, link_id)
        if link is None:
            raise NotFound("linked account not found", reason="LINKED_ACCOUNT_NOT_FOUND")
        if user.password_hash is None and await link_store.count_links(db, user.id) <= 1:
            raise FailedPrecondition(
                "this is the account's only way to log in; set a password (password reset) "
                "or link another provider first",
                reason="LAST_LOGIN_METHOD",
            )
        await link_store.delete_link(db, link.id)
        await audit.record(
            db,
            tenant_id=user.tenant_id,
            actor_id=caller.actor_id,
            actor_kind=caller.actor_kind,
            action="oauth.unlink",
            resource=("oauth_link", str(link.id)),
            outcome="success",
            ip=origin.ip,
            user_agent=origin.user_agent,
            metadata={"provider": link.provider, "user_id": str(user.id)},
        )
