"""Consul discovery: register with a gRPC health check, resolve passing instances, watch.

The agent runs the check (``grpc.health.v1.Health/Check`` for the instance's full service
name) and drops an instance that stays critical past the deregister timeout, so a crashed
process disappears from the mesh without anyone deregistering it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import consul
import httpx

from mesh.config import Settings
from mesh.discovery.base import DiscoveryError, Endpoint, grpc_service_name, join_address
from mesh.discovery.consul_http import AsyncConsul, go_duration

log = logging.getLogger(__name__)

WATCH_WAIT_SECONDS = 30.0
CHECK_TIMEOUT_CAP_SECONDS = 10.0
WATCH_BACKOFF_INITIAL_SECONDS = 0.5
WATCH_BACKOFF_MAX_SECONDS = 15.0
SERVICE_TAGS = ("chatmesh", "grpc")

# RuntimeError covers httpx refusing requests on a client that close() already shut.
_REGISTRY_ERRORS = (consul.ConsulException, httpx.HTTPError, RuntimeError, ValueError, KeyError, TypeError)


class ConsulDiscovery:
    def __init__(self, settings: Settings, *, wait_seconds: float = WATCH_WAIT_SECONDS) -> None:
        url = urlsplit(settings.consul_url)
        scheme = url.scheme or "http"
        self._consul = AsyncConsul(
            host=url.hostname or "127.0.0.1",
            port=url.port or (8501 if scheme == "https" else 8500),
            scheme=scheme,
        )
        if settings.consul_token:
            # py-consul lets CONSUL_HTTP_TOKEN win; chatmesh's own setting is the explicit one.
            self._consul.token = settings.consul_token
        self._check_interval = settings.consul_check_interval_seconds
        self._deregister_after = settings.consul_deregister_after_seconds
        self._wait = go_duration(wait_seconds)
        self._closed = False

    def registration(self, endpoint: Endpoint) -> dict[str, Any]:
        """py-consul ``agent.service.register`` arguments for ``endpoint`` (public so tests can read them)."""
        full_name = grpc_service_name(endpoint.service)
        return {
            "name": endpoint.service,
            "service_id": endpoint.instance_id,
            "address": endpoint.host,
            "port": endpoint.port,
            "tags": list(SERVICE_TAGS),
            "meta": {"grpc_service": full_name},
            "check": consul.Check.grpc(
                f"{endpoint.address}/{full_name}",
                go_duration(self._check_interval),
                use_tls=False,
                timeout=go_duration(min(self._check_interval, CHECK_TIMEOUT_CAP_SECONDS)),
                deregister=go_duration(self._deregister_after),
            ),
        }

    async def register(self, endpoint: Endpoint) -> None:
        try:
            await self._consul.agent.service.register(
                **self.registration(endpoint), replace_existing_checks=True
            )
        except _REGISTRY_ERRORS as exc:
            raise DiscoveryError(f"registering {endpoint.instance_id} with Consul failed: {exc}") from exc
        log.info("registered %s at %s with Consul", endpoint.instance_id, endpoint.address)

    async def deregister(self, endpoint: Endpoint) -> None:
        """Idempotent: an instance the agent no longer knows counts as deregistered."""
        try:
            await self._consul.agent.service.deregister(endpoint.instance_id)
        except _REGISTRY_ERRORS as exc:
            raise DiscoveryError(f"deregistering {endpoint.instance_id} from Consul failed: {exc}") from exc
        log.info("deregistered %s from Consul", endpoint.instance_id)

    async def resolve(self, service: str) -> list[Endpoint]:
        _, endpoints = await self._passing(service, None)
        return endpoints

    async def watch(self, service: str) -> AsyncIterator[list[Endpoint]]:
        """Long-poll ``/v1/health/service`` and yield whenever the set of passing instances changes.

        Errors are logged and retried with backoff (the last known set stays in force), so a
        Consul outage never breaks callers that are already connected. Ends after close().
        """
        index: int | None = None
        last: list[Endpoint] | None = None
        backoff = WATCH_BACKOFF_INITIAL_SECONDS
        while not self._closed:
            try:
                new_index, endpoints = await self._passing(service, index)
            except DiscoveryError as exc:
                if self._closed:
                    return
                log.warning("watching %s in Consul failed, retrying in %.1fs: %s", service, backoff, exc)
                await asyncio.sleep(backoff * random.uniform(0.8, 1.2))
                backoff = min(backoff * 2, WATCH_BACKOFF_MAX_SECONDS)
                continue
            backoff = WATCH_BACKOFF_INITIAL_SECONDS
            # Consul's rules: an index that goes backwards means the state was reset, so start
            # over without blocking; an index below 1 is never valid to block on.
            index = 0 if index is not None and new_index < index else max(new_index, 1)
            if endpoints != last:
                last = endpoints
                yield endpoints

    async def close(self) -> None:
        self._closed = True
        await self._consul.http.close()

    async def _passing(self, service: str, index: int | None) -> tuple[int, list[Endpoint]]:
        try:
            raw_index, entries = await self._consul.health.service(
                service, passing=True, index=index or None, wait=self._wait
            )
            return int(raw_index), sorted(_endpoint(service, entry) for entry in entries or [])
        except _REGISTRY_ERRORS as exc:
            raise DiscoveryError(f"querying Consul for {service!r} failed: {exc!r}") from exc


def _endpoint(service: str, entry: dict[str, Any]) -> Endpoint:
    """A health entry's instance; an empty service address means "the node's address" in Consul."""
    svc = entry["Service"]
    host = svc.get("Address") or entry["Node"]["Address"]
    return Endpoint(service=service, address=join_address(host, int(svc["Port"])), instance_id=svc["ID"])
