"""One request's bill: who pays, the pre-consumed estimate, and the settlement with its usage record.

Who is charged (:func:`payer_for`): a caller authenticated with an API key pays with that
key, its owner and the owner's tenant; a user with a token pays as that user and tenant.
The routing context's tenant, user, API key and group are trusted only from mesh services
(and from anonymous callers, which exist only when no verifier is configured, i.e. in
tests and local development); edge callers cannot charge someone else or pick a cheaper
group. Descriptive fields (source, conversation and generation ids) are always taken.
``billing.reservation_id`` (charge a reservation made earlier with ReserveQuota) is trusted
from the same callers only, and only a reservation made for this very payer (tenant, user
and API key) can be charged; any other is "unknown" (no hint that it exists).

Quota (when the service has a quota engine): the estimate (prompt tokens counted with
the model's tokenizer, plus ``max_tokens`` or ``DEFAULT_COMPLETION_ESTIMATE`` per choice,
priced with the group's multiplier) is reserved on the API key's, user's and tenant's
accounts at once, all or none. Accounts that do not exist set no limit, so a tenant
without any account is unlimited, and such a request leaves no reservation. A model
without a price costs 0 units (its tokens are still recorded).

Request ids: the caller's ``routing.request_id`` names the reservation and the usage record
of its first model call. Callers legitimately reuse it (the orchestrator's tool loop makes
several calls for one generation), so a later call under an id already taken gets its own
``<id>.<8 hex>``: one reservation and one record per call, never a call settled against
another's reservation or left unrecorded. ``RouteInfo.request_id`` reports the new id when
the reservation made it; a call with no account at all learns of the rename only in its
usage record (the record is booked after the answer is sent).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta
from fractions import Fraction
from typing import Any

from chatmesh.model_router.v1 import chat_pb2

from mesh.auth import Principal
from mesh.errors import DomainError, FailedPrecondition, NotFound, PermissionDenied, ResourceExhausted
from model_router.domain.cost import ONE, Price, TokenUsage, cost
from model_router.quota.engine import Hold, QuotaEngine, Reservation
from model_router.quota.price_book import PriceBook
from model_router.relay import Route, route_of
from model_router.usage.records import UsageRecord, UsageStore, unique_request_id

__all__ = ["DEFAULT_GROUP", "INFERENCE_TTL", "Meter", "Payer", "payer_for", "usage_of"]

DEFAULT_GROUP = "default"
# Longer than any upstream timeout: the sweeper must not refund a request still streaming.
INFERENCE_TTL = timedelta(minutes=15)
_TRUSTED = ("service", "anonymous")


def _unknown_reservation() -> FailedPrecondition:
    return FailedPrecondition("unknown reservation", reason="RESERVATION_NOT_FOUND")


@dataclass(frozen=True)
class Payer:
    tenant_id: str
    user_id: str
    api_key_id: str
    group: str
    source: str = ""
    conversation_id: str = ""
    generation_id: str = ""


def payer_for(routing: chat_pb2.RoutingContext, principal: Principal) -> Payer:
    if routing.billing.reservation_id and principal.kind not in _TRUSTED:
        raise PermissionDenied(
            "routing.billing.reservation_id is accepted only from mesh services",
            reason="RESERVATION_ID_NOT_ALLOWED",
        )
    common = {
        "source": routing.source,
        "conversation_id": routing.conversation_id,
        "generation_id": routing.generation_id,
    }
    if principal.kind in _TRUSTED:
        return Payer(
            routing.tenant_id, routing.user_id, routing.api_key_id, routing.group or DEFAULT_GROUP, **common
        )
    api_key = principal.token_id if principal.kind == "api_key" else ""
    return Payer(principal.tenant_id, principal.user_id or "", api_key, DEFAULT_GROUP, **common)


def usage_of(usage: chat_pb2.Usage) -> TokenUsage:
    return TokenUsage(usage.prompt_tokens, usage.completion_tokens, usage.prompt_tokens_details.cached_tokens)


class Meter:
    """Reserve before the upstream call, then settle or refund with exactly one usage record."""

    def __init__(
        self,
        *,
        quota: QuotaEngine | None,
        prices: PriceBook | None,
        usage: UsageStore | None,
        payer: Payer,
        request_id: str,
        endpoint: str,
        model: str,
        stream: bool,
    ) -> None:
        self._quota, self._prices, self._usage = quota, prices, usage
        self.payer = payer
        self.request_id = request_id
        self.started = time.monotonic()
        self.record = UsageRecord(
            request_id=request_id,
            endpoint=endpoint,
            model=model,
            tenant_id=payer.tenant_id,
            user_id=payer.user_id,
            api_key_id=payer.api_key_id,
            source=payer.source,
            conversation_id=payer.conversation_id,
            generation_id=payer.generation_id,
            stream=stream,
        )
        self.reservation: Reservation | None = None
        self._owns_reservation = True
        self.routing_rule_id = self.arm = ""

    # ---- pricing ----

    def _price(self, model: str) -> tuple[Price | None, Fraction]:
        if self._prices is None:
            return None, ONE
        table = self._prices.table
        return table.price(model), table.multiplier(self.payer.group)

    def cost(self, model: str, tokens: TokenUsage) -> int:
        price, multiplier = self._price(model)
        return 0 if price is None else cost(price, tokens, multiplier)

    # ---- before ----

    async def reserve(self, model: str, estimate: TokenUsage, billing: chat_pb2.BillingHint) -> None:
        """Hold the estimate, or raise RESOURCE_EXHAUSTED (QuotaFailure details) before any upstream call."""
        amount = self.cost(model, estimate)
        if billing.max_cost and amount > billing.max_cost:
            raise ResourceExhausted(
                f"The estimated cost ({amount} units) exceeds max_cost ({billing.max_cost}).",
                reason="MAX_COST_EXCEEDED",
                metadata={"estimate": str(amount), "max_cost": str(billing.max_cost)},
            )
        if self._quota is None:
            return
        if billing.reservation_id:
            self.reservation = await self._existing(billing.reservation_id)
            self._owns_reservation = False
            return
        hold = Hold(
            request_id=self.request_id,
            tenant_id=self.payer.tenant_id,
            api_key_id=self.payer.api_key_id,
            user_id=self.payer.user_id,
            amount=amount,
            model=model,
            ttl=INFERENCE_TTL,
        )
        reservation = await self._quota.reserve(hold, keep_without_accounts=False)
        if reservation is not None and not reservation.fresh:
            self.request_id = self.record.request_id = unique_request_id(self.request_id)
            reservation = await self._quota.reserve(replace(hold, request_id=self.request_id))
        self.reservation = reservation

    async def _existing(self, reservation_id: str) -> Reservation:
        assert self._quota is not None
        try:
            found = await self._quota.get(uuid.UUID(reservation_id))
        except (ValueError, NotFound):
            raise _unknown_reservation() from None
        payer = self.payer
        if (found.tenant_id, found.user_id, found.api_key_id) != (
            payer.tenant_id,
            payer.user_id,
            payer.api_key_id,
        ):
            raise _unknown_reservation()
        if found.state != "reserved":
            raise FailedPrecondition("the reservation is closed", reason="RESERVATION_CLOSED")
        return found

    # ---- after ----

    def routed(self, route: Route | None) -> None:
        record = self.record
        if route is None:
            return
        channel = route.channel
        record.channel_id = (
            channel.id if channel else (route.attempts[-1].channel_id if route.attempts else "")
        )
        record.upstream_model = route.upstream_model
        record.retries = max(len(route.attempts) - 1, 0)
        record.attempts = [_attempt(attempt) for attempt in route.attempts]
        ttft = route.ttft_seconds
        if ttft is not None:
            record.ttft_seconds = ttft

    async def succeeded(
        self, model: str, usage: chat_pb2.Usage, *, estimated: bool, cancelled: bool = False
    ) -> int:
        """Settle to the exact cost of ``usage`` and write the record; returns the units charged."""
        cost = self.charge(model, usage, estimated=estimated, cancelled=cancelled)
        await self.settle()
        return cost

    def charge(self, model: str, usage: chat_pb2.Usage, *, estimated: bool, cancelled: bool = False) -> int:
        """Fill the record with ``usage`` and its exact cost (no I/O); :meth:`settle` then books it."""
        record = self.record
        record.status = "cancelled" if cancelled else "succeeded"
        record.prompt_tokens = usage.prompt_tokens
        record.completion_tokens = usage.completion_tokens
        record.cached_tokens = usage.prompt_tokens_details.cached_tokens
        record.reasoning_tokens = usage.completion_tokens_details.reasoning_tokens
        record.usage_estimated = estimated
        record.cost = self.cost(model, usage_of(usage))
        return record.cost

    async def settle(self) -> None:
        await self._commit(settle=True)

    async def failed(self, error: BaseException) -> None:
        """Refund everything held; record the failure (cost 0) with the attempts the relay made."""
        record = self.record
        if not record.channel_id and (route := route_of(error)) is not None:
            self.routed(route)
        record.status = "failed"
        record.cost = 0
        if isinstance(error, DomainError):
            record.error_code = error.code.name
            record.error_message = error.message[:500]
        else:
            record.error_code = "INTERNAL"
            record.error_message = type(error).__name__
        await self._commit(settle=False)

    async def _commit(self, *, settle: bool) -> None:
        record = self.record
        record.latency_seconds = time.monotonic() - self.started
        record.routing_rule_id, record.arm = self.routing_rule_id, self.arm
        owned = self.reservation if self._owns_reservation else None
        record.reservation_id = self.reservation.id if self.reservation is not None else None
        if self._usage is not None:
            await self._usage.commit(record, settle=settle, touch_reservation=owned is not None)
            self.request_id = record.request_id


def _attempt(attempt: Any) -> dict[str, Any]:
    outcome = str(attempt.outcome)
    status = int(outcome[5:]) if outcome.startswith("http_") and outcome[5:].isdigit() else 0
    return {
        "attempt": attempt.number,
        "channel_id": attempt.channel_id,
        "key_id": attempt.key_id,
        "seconds": round(float(attempt.seconds), 6),
        "http_status": getattr(attempt, "http_status", status),
        "error": "" if outcome == "ok" else outcome,
        "retryable": bool(getattr(attempt, "retryable", False)),
    }
