"""An asyncio transport for py-consul built on httpx.

py-consul's own asyncio client (``consul.aio``) needs aiohttp, which py-consul does not
declare and chatmesh does not otherwise use; httpx is already a dependency. py-consul lets
a client plug in its transport (``http_connect``), so the API layer (endpoints, parameters,
``X-Consul-Index`` handling, error mapping) stays py-consul's and only the socket work is ours.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable, Sequence
from typing import Any

import consul.base
import httpx

CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 10.0
# Consul holds a blocking query without an explicit wait for five minutes.
DEFAULT_BLOCKING_WAIT_SECONDS = 300.0

_DURATION_PART = re.compile(r"([\d.]+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}

Params = Sequence[tuple[str, Any]] | None


def go_duration_seconds(text: str) -> float:
    """Seconds in a Go duration string such as ``30s`` or ``1m30s`` (Consul's format)."""
    return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _DURATION_PART.findall(text))


def go_duration(seconds: float) -> str:
    """Format seconds the way Consul parses durations (``5s``, ``200ms``)."""
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


class HttpxTransport(consul.base.HTTPClient):
    """py-consul HTTP adapter whose verbs return coroutines, like ``consul.aio``'s."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 8500,
        scheme: str = "http",
        verify: bool | str = True,
        cert: Any = None,
    ) -> None:
        super().__init__(host, port, scheme, verify, cert)
        tls: bool | ssl.SSLContext = (
            verify if isinstance(verify, bool) else ssl.create_default_context(cafile=verify)
        )
        if cert is not None and isinstance(tls, ssl.SSLContext):
            cert_files = cert if isinstance(cert, tuple) else (cert,)
            tls.load_cert_chain(*cert_files)
        self._client = httpx.AsyncClient(verify=tls, timeout=REQUEST_TIMEOUT_SECONDS)

    def _timeout(self, params: Params) -> httpx.Timeout:
        """A blocking query is silent until its wait (plus Consul's wait/16 jitter) ends."""
        values = dict(params or ())
        read = REQUEST_TIMEOUT_SECONDS
        if "index" in values:
            wait = (
                go_duration_seconds(str(values["wait"]))
                if "wait" in values
                else DEFAULT_BLOCKING_WAIT_SECONDS
            )
            read += wait + wait / 16
        return httpx.Timeout(read, connect=CONNECT_TIMEOUT_SECONDS)

    async def _request(
        self,
        callback: Callable[[consul.base.Response], Any],
        method: str,
        path: str,
        params: Params,
        headers: dict[str, str] | None,
        data: str | bytes | None = None,
        raw: bool = False,
    ) -> Any:
        response = await self._client.request(
            method,
            self.uri(path, list(params) if params else None),
            headers=headers,
            content=data or None,
            timeout=self._timeout(params),
        )
        body = response.content if raw else response.text
        return callback(consul.base.Response(response.status_code, response.headers, body))

    def get(  # type: ignore[override]
        self,
        callback: Callable[[consul.base.Response], Any],
        path: str,
        params: Params = None,
        headers: dict[str, str] | None = None,
        raw: bool = False,
    ) -> Any:
        return self._request(callback, "GET", path, params, headers, raw=raw)

    def put(  # type: ignore[override]
        self,
        callback: Callable[[consul.base.Response], Any],
        path: str,
        params: Params = None,
        data: str | bytes = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        return self._request(callback, "PUT", path, params, headers, data)

    def delete(  # type: ignore[override]
        self,
        callback: Callable[[consul.base.Response], Any],
        path: str,
        params: Params = None,
        data: str | bytes = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        return self._request(callback, "DELETE", path, params, headers, data)

    def post(  # type: ignore[override]
        self,
        callback: Callable[[consul.base.Response], Any],
        path: str,
        params: Params = None,
        data: str = "",
        headers: dict[str, str] | None = None,
    ) -> Any:
        return self._request(callback, "POST", path, params, headers, data)

    def close(self) -> Any:
        return self._client.aclose()


class AsyncConsul(consul.base.Consul):
    """py-consul's API surface on the httpx transport: every call returns a coroutine."""

    http: HttpxTransport

    def http_connect(
        self, host: str, port: int, scheme: str, verify: bool | str = True, cert: Any = None
    ) -> HttpxTransport:
        return HttpxTransport(host, port, scheme, verify, cert)
