"""Model price and group multiplier RPCs (admin: ``channels:read`` to read, ``channels:update`` to write).

Every create, update and delete of a price appends a version to its history in the same
transaction (ListModelPriceHistory reads them, newest first); this instance's price book
reloads after each write, the others within their reload interval.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chatmesh.model_router.v1 import routing_pb2

from mesh.authz import require
from mesh.errors import FieldViolation, InvalidArgument, Unavailable
from mesh.paging import decode_offset, encode_offset, page_size
from model_router.api.quota_messages import multiplier_message, parse_uuid, price_message, when
from model_router.store.prices import PriceStore

if TYPE_CHECKING:
    from model_router.deps import ModelRouterDeps

__all__ = ["PricesApi"]

READ_PERMISSION = "channels:read"
UPDATE_PERMISSION = "channels:update"
_PRICE_PATHS = {
    "model": "model",
    "input_price": "input_price",
    "output_price": "output_price",
    "cached_input_price": "cached_input_price",
    "request_price": "request_price",
    "effective_time": "effective_at",
    "description": "description",
}
_MULTIPLIER_PATHS = ("multiplier", "description")


def _price_values(price: routing_pb2.ModelPrice, paths: list[str]) -> dict[str, Any]:
    bad = [FieldViolation(f"model_price.{p}", "cannot be updated") for p in paths if p not in _PRICE_PATHS]
    bad += [
        FieldViolation(f"model_price.{p}", "must not be negative")
        for p in ("input_price", "output_price", "cached_input_price", "request_price")
        if p in paths and getattr(price, p) < 0
    ]
    if "model" in paths and not price.model.strip():
        bad.append(FieldViolation("model_price.model", "is required"))
    if bad:
        raise InvalidArgument("bad model price", bad)
    values: dict[str, Any] = {}
    for path in paths:
        column = _PRICE_PATHS[path]
        if path == "effective_time":
            values[column] = when(price, "effective_time") or datetime.now(UTC)
        else:
            values[column] = getattr(price, path)
    return values


def _set_paths(message: Any, mask: Any, allowed: Any) -> list[str]:
    if mask.paths:
        return list(dict.fromkeys(mask.paths))
    return [f.name for f, _ in message.ListFields() if f.name in allowed]


class PricesApi:
    deps: ModelRouterDeps

    def _prices(self) -> PriceStore:
        if self.deps.price_store is None:
            raise Unavailable("prices are not configured", reason="PRICES_NOT_CONFIGURED")
        return self.deps.price_store

    async def _changed(self) -> None:
        if self.deps.prices is not None:
            await self.deps.prices.reload()

    async def CreateModelPrice(
        self, request: routing_pb2.CreateModelPriceRequest, context: Any
    ) -> routing_pb2.CreateModelPriceResponse:
        await require(UPDATE_PERMISSION)
        values = _price_values(request.model_price, list(_PRICE_PATHS))
        row = await self._prices().create(values)
        await self._changed()
        return routing_pb2.CreateModelPriceResponse(model_price=price_message(row))

    async def GetModelPrice(
        self, request: routing_pb2.GetModelPriceRequest, context: Any
    ) -> routing_pb2.GetModelPriceResponse:
        await require(READ_PERMISSION)
        row = await self._prices().get(parse_uuid(request.model_price_id, "model_price_id"))
        return routing_pb2.GetModelPriceResponse(model_price=price_message(row))

    async def ListModelPrices(
        self, request: routing_pb2.ListModelPricesRequest, context: Any
    ) -> routing_pb2.ListModelPricesResponse:
        await require(READ_PERMISSION)
        size, offset = page_size(request.page_size, 100, 1000), decode_offset(request.page_token)
        rows = await self._prices().page(request.model, offset, size)
        return routing_pb2.ListModelPricesResponse(
            model_prices=[price_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateModelPrice(
        self, request: routing_pb2.UpdateModelPriceRequest, context: Any
    ) -> routing_pb2.UpdateModelPriceResponse:
        await require(UPDATE_PERMISSION)
        price_id = parse_uuid(request.model_price_id, "model_price_id")
        paths = _set_paths(request.model_price, request.update_mask, _PRICE_PATHS)
        if not paths:
            raise InvalidArgument("nothing to update", [FieldViolation("update_mask", "no field set")])
        values = _price_values(request.model_price, paths)
        if "effective_at" not in values:
            values["effective_at"] = datetime.now(UTC)
        row = await self._prices().update(price_id, values)
        await self._changed()
        return routing_pb2.UpdateModelPriceResponse(model_price=price_message(row))

    async def DeleteModelPrice(
        self, request: routing_pb2.DeleteModelPriceRequest, context: Any
    ) -> routing_pb2.DeleteModelPriceResponse:
        await require(UPDATE_PERMISSION)
        await self._prices().delete(parse_uuid(request.model_price_id, "model_price_id"))
        await self._changed()
        return routing_pb2.DeleteModelPriceResponse()

    async def ListModelPriceHistory(
        self, request: routing_pb2.ListModelPriceHistoryRequest, context: Any
    ) -> routing_pb2.ListModelPriceHistoryResponse:
        await require(READ_PERMISSION)
        price_id = parse_uuid(request.model_price_id, "model_price_id")
        size, offset = page_size(request.page_size, 50, 1000), decode_offset(request.page_token)
        rows = await self._prices().history(price_id, offset, size)
        return routing_pb2.ListModelPriceHistoryResponse(
            model_prices=[price_message(row, price_id=price_id) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def ListGroupMultipliers(
        self, request: routing_pb2.ListGroupMultipliersRequest, context: Any
    ) -> routing_pb2.ListGroupMultipliersResponse:
        await require(READ_PERMISSION)
        size, offset = page_size(request.page_size, 100, 1000), decode_offset(request.page_token)
        rows = await self._prices().multipliers(offset, size)
        return routing_pb2.ListGroupMultipliersResponse(
            group_multipliers=[multiplier_message(row) for row in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateGroupMultiplier(
        self, request: routing_pb2.UpdateGroupMultiplierRequest, context: Any
    ) -> routing_pb2.UpdateGroupMultiplierResponse:
        await require(UPDATE_PERMISSION)
        given = request.group_multiplier
        group_id = request.group_id.strip()
        paths = _set_paths(given, request.update_mask, _MULTIPLIER_PATHS)
        bad = [
            FieldViolation("update_mask", f"{p!r} cannot be updated")
            for p in paths
            if p not in _MULTIPLIER_PATHS
        ]
        if not group_id:
            bad.append(FieldViolation("group_id", "is required"))
        if "multiplier" in paths and given.multiplier < 0:
            bad.append(FieldViolation("group_multiplier.multiplier", "must not be negative"))
        if bad or not paths:
            raise InvalidArgument(
                "bad group multiplier", bad or [FieldViolation("update_mask", "no field set")]
            )
        values: dict[str, Any] = {}
        if "multiplier" in paths:
            values["multiplier"] = Decimal(repr(given.multiplier))
        if "description" in paths:
            values["description"] = given.description
        row = await self._prices().set_multiplier(group_id, values, allow_missing=request.allow_missing)
        await self._changed()
        return routing_pb2.UpdateGroupMultiplierResponse(group_multiplier=multiplier_message(row))

    async def DeleteGroupMultiplier(
        self, request: routing_pb2.DeleteGroupMultiplierRequest, context: Any
    ) -> routing_pb2.DeleteGroupMultiplierResponse:
        await require(UPDATE_PERMISSION)
        await self._prices().delete_multiplier(request.group_id)
        await self._changed()
        return routing_pb2.DeleteGroupMultiplierResponse()
