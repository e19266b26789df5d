"""Model prices and group multipliers in Postgres. Every price change appends a history version.

``model_prices`` holds each price's latest values (soft-deleted with ``deleted_at``);
``model_price_history`` holds every version, written in the same transaction as the change,
so a price in effect at any past time can be read back (``model_router.quota.price_book``
applies them by ``effective_at``).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mesh.errors import AlreadyExists, NotFound
from model_router.store.tables import group_multipliers, model_price_history, model_prices

__all__ = ["PRICE_FIELDS", "PriceStore"]

PRICE_FIELDS = (
    "model",
    "input_price",
    "output_price",
    "cached_input_price",
    "request_price",
    "effective_at",
    "description",
)
_LIVE_MODEL_INDEX = "uq_model_prices_model_live"


def _taken(model: str) -> AlreadyExists:
    return AlreadyExists(
        f"a price for `{model}` exists already", reason="MODEL_PRICE_EXISTS", metadata={"model": model}
    )


def _missing(price_id: uuid.UUID) -> NotFound:
    return NotFound(
        "model price not found", reason="MODEL_PRICE_NOT_FOUND", metadata={"model_price_id": str(price_id)}
    )


class PriceStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # ---- prices ----

    async def create(self, values: dict[str, Any]) -> Any:
        try:
            async with self._sessions() as session, session.begin():
                row = (
                    await session.execute(
                        model_prices.insert()
                        .values({k: v for k, v in values.items() if v is not None})
                        .returning(*model_prices.c)
                    )
                ).one()
                await self._version(session, row, "create")
                return row
        except IntegrityError as exc:
            if _LIVE_MODEL_INDEX in str(exc.orig):
                raise _taken(values["model"]) from None
            raise

    async def update(self, price_id: uuid.UUID, values: dict[str, Any]) -> Any:
        try:
            async with self._sessions() as session, session.begin():
                row = (
                    await session.execute(
                        update(model_prices)
                        .where(model_prices.c.id == price_id, model_prices.c.deleted_at.is_(None))
                        .values(**values, updated_at=func.now())
                        .returning(*model_prices.c)
                    )
                ).first()
                if row is None:
                    raise _missing(price_id)
                await self._version(session, row, "update")
                return row
        except IntegrityError as exc:
            if _LIVE_MODEL_INDEX in str(exc.orig):
                raise _taken(values.get("model", "")) from None
            raise

    async def delete(self, price_id: uuid.UUID) -> None:
        """Stops the price from now on; its history stays readable."""
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    update(model_prices)
                    .where(model_prices.c.id == price_id, model_prices.c.deleted_at.is_(None))
                    .values(deleted_at=func.now(), updated_at=func.now(), effective_at=func.now())
                    .returning(*model_prices.c)
                )
            ).first()
            if row is None:
                raise _missing(price_id)
            await self._version(session, row, "delete")

    async def _version(self, session: AsyncSession, row: Any, action: str) -> None:
        await session.execute(
            model_price_history.insert().values(
                price_id=row.id, action=action, **{name: getattr(row, name) for name in PRICE_FIELDS}
            )
        )

    async def get(self, price_id: uuid.UUID) -> Any:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(model_prices).where(
                        model_prices.c.id == price_id, model_prices.c.deleted_at.is_(None)
                    )
                )
            ).first()
        if row is None:
            raise _missing(price_id)
        return row

    async def page(self, model: str, offset: int, limit: int) -> list[Any]:
        query = select(model_prices).where(model_prices.c.deleted_at.is_(None))
        if model:
            pattern = func.replace(func.replace(model_prices.c.model, "_", r"\_"), "*", "%")
            query = query.where(or_(model_prices.c.model == model, literal(model).like(pattern)))
        query = query.order_by(model_prices.c.model).offset(offset).limit(limit + 1)
        async with self._sessions() as session:
            return list((await session.execute(query)).all())

    async def history(self, price_id: uuid.UUID, offset: int, limit: int) -> list[Any]:
        async with self._sessions() as session:
            exists = (
                await session.execute(select(model_prices.c.id).where(model_prices.c.id == price_id))
            ).first()
            if exists is None:
                raise _missing(price_id)
            query = (
                select(model_price_history)
                .where(model_price_history.c.price_id == price_id)
                .order_by(model_price_history.c.version.desc())
                .offset(offset)
                .limit(limit + 1)
            )
            return list((await session.execute(query)).all())

    async def all_versions(self) -> list[Any]:
        async with self._sessions() as session:
            return list((await session.execute(select(model_price_history))).all())

    # ---- group multipliers ----

    async def multipliers(self, offset: int | None = None, limit: int | None = None) -> list[Any]:
        query = select(group_multipliers).order_by(group_multipliers.c.group_id)
        if limit is not None:
            query = query.offset(offset or 0).limit(limit + 1)
        async with self._sessions() as session:
            return list((await session.execute(query)).all())

    async def set_multiplier(self, group_id: str, values: dict[str, Any], *, allow_missing: bool) -> Any:
        async with self._sessions() as session, session.begin():
            if allow_missing:
                statement: Any = (
                    pg_insert(group_multipliers)
                    .values(group_id=group_id, **{"multiplier": Decimal(1), **values})
                    .on_conflict_do_update(
                        index_elements=["group_id"], set_={**values, "updated_at": func.now()}
                    )
                )
            else:
                statement = (
                    update(group_multipliers)
                    .where(group_multipliers.c.group_id == group_id)
                    .values(**values, updated_at=func.now())
                )
            row = (await session.execute(statement.returning(*group_multipliers.c))).first()
        if row is None:
            raise NotFound("group multiplier not found", reason="GROUP_MULTIPLIER_NOT_FOUND")
        return row

    async def delete_multiplier(self, group_id: str) -> None:
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                delete(group_multipliers).where(group_multipliers.c.group_id == group_id)
            )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound("group multiplier not found", reason="GROUP_MULTIPLIER_NOT_FOUND")
