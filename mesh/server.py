"""The gRPC server every chatmesh service runs: ops surface, layers, graceful shutdown.

:func:`start_server` does the work and returns a :class:`RunningServer` (bound port,
health servicer, ``stop()``), which is what tests and benchmarks drive. :func:`serve`
wraps it for processes: start, wait for SIGTERM/SIGINT, stop. :func:`run_service` is the
synchronous ``python -m <svc>`` entry: settings, logging, tracing, ``asyncio.run``.

Shutdown order matters: health goes NOT_SERVING first (load balancers and Consul stop
sending work), the instance deregisters, then ``server.stop(grace)`` refuses new RPCs and
lets in-flight ones finish for up to ``shutdown_grace_seconds`` before cancelling them,
and only then do the service's own hooks close pools and clients those RPCs were using.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc
import grpc.aio
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import SERVICE_NAME as HEALTH_SERVICE
from grpc_health.v1.health import aio as health_aio  # type: ignore[attr-defined]

from mesh.auth import AuthLayer, TokenVerifier
from mesh.client_ip import client_ip_seal
from mesh.config import Settings, exit_on_bad_settings
from mesh.handlers import Layer, LayeredRegistrar
from mesh.interceptors import ErrorLayer, LogSampling, ObservabilityLayer
from mesh.reflection import enable_reflection
from mesh.stubs import unimplemented
from mesh.telemetry.logging import setup_logging
from mesh.telemetry.metrics import MetricsServer, rpc_metrics
from mesh.telemetry.tracing import server_tracing, setup_tracing, shutdown_tracing

if TYPE_CHECKING:
    from mesh.discovery.base import Discovery, Endpoint

__all__ = [
    "RunningServer",
    "ServiceBinding",
    "ServiceParts",
    "ShutdownHook",
    "run_service",
    "serve",
    "start_server",
    "unimplemented",
]

log = logging.getLogger(__name__)
ShutdownHook = Callable[[], Awaitable[None]]
_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class ServiceBinding:
    """One gRPC service to host: its full proto name, the generated adder and the servicer."""

    name: str
    add_to_server: Callable[[Any, Any], None]
    servicer: object


@dataclass
class ServiceParts:
    """What a service's ``build(settings)`` hands to :func:`run_service`.

    ``on_shutdown`` hooks run after the last RPC drained (close DB pools, clients...);
    ``discovery`` is registered with and, after the hooks, closed by :func:`run_service`.
    """

    bindings: list[ServiceBinding]
    on_shutdown: list[ShutdownHook] = field(default_factory=list)
    discovery: Discovery | None = None
    verifier: TokenVerifier | None = None


class RunningServer:
    """A started server. ``stop()`` performs the graceful shutdown sequence (idempotent)."""

    def __init__(
        self,
        *,
        service: str,
        server: grpc.aio.Server,
        health: health_aio.HealthServicer,
        port: int,
        address: str,
        service_names: tuple[str, ...],
        metrics: MetricsServer | None,
        discovery: Discovery | None,
        endpoint: Endpoint | None,
        on_shutdown: Sequence[ShutdownHook],
        grace: float,
    ) -> None:
        self.service = service
        self.server = server
        self.health = health
        self.port = port
        self.address = address
        self.service_names = service_names
        self.endpoint = endpoint
        self.metrics_port: int | None = metrics.port if metrics else None
        self._metrics = metrics
        self._discovery = discovery
        self._on_shutdown = list(on_shutdown)
        self._grace = grace
        self._stopping: asyncio.Task[None] | None = None

    async def set_serving(self, serving: bool) -> None:
        """Flip every health status, e.g. while a dependency the service cannot work without is down."""
        status = _SERVING if serving else _NOT_SERVING
        for name in ("", *self.service_names):
            await self.health.set(name, status)

    async def stop(self, grace: float | None = None) -> None:
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop(self._grace if grace is None else grace))
        await asyncio.shield(self._stopping)

    async def wait_for_termination(self) -> None:
        await self.server.wait_for_termination()

    async def _stop(self, grace: float) -> None:
        log.info("shutting down", extra={"grace_seconds": grace})
        await self.health.enter_graceful_shutdown()
        if self._discovery is not None and self.endpoint is not None:
            try:
                await self._discovery.deregister(self.endpoint)
            except Exception:
                log.exception("deregistering %s failed", self.endpoint)
        await self.server.stop(grace)
        for hook in self._on_shutdown:
            try:
                await hook()
            except Exception:
                log.exception("shutdown hook %r failed", hook)
        if self._metrics is not None:
            await asyncio.to_thread(self._metrics.close)
        log.info("stopped")


def _server_options(settings: Settings) -> list[tuple[str, Any]]:
    """Message limits and keepalive. Clients may ping every 10 s even when idle, so mesh
    channels (mesh.clients) must use a keepalive time of at least 10 s."""
    keepalive_ms = int(settings.grpc_keepalive_seconds * 1000)
    return [
        ("grpc.max_send_message_length", settings.grpc_max_message_bytes),
        ("grpc.max_receive_message_length", settings.grpc_max_message_bytes),
        ("grpc.keepalive_time_ms", keepalive_ms),
        ("grpc.keepalive_timeout_ms", min(keepalive_ms, 20_000)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.min_recv_ping_interval_without_data_ms", 10_000),
        ("grpc.http2.max_pings_without_data", 0),
        ("grpc.so_reuseport", 0),
    ]


def _host_port(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


def _check_known(bindings: Sequence[ServiceBinding]) -> None:
    """Reflection and health name services by their proto names; a typo would make
    ``grpcurl describe`` fail far from its cause, so refuse it at start."""
    pool = descriptor_pool.Default()
    for binding in bindings:
        try:
            pool.FindServiceByName(binding.name)
        except KeyError:
            raise ValueError(f"{binding.name!r} is not a service in any imported proto module") from None


def _start_metrics(service: str, host: str, port: int) -> MetricsServer | None:
    if port < 0:
        return None
    try:
        return MetricsServer.start(host, port)
    except OSError as exc:
        raise OSError(f"{service}: cannot serve metrics on {_host_port(host, port)}: {exc}") from exc


async def start_server(
    service: str,
    bindings: Sequence[ServiceBinding],
    settings: Settings,
    *,
    discovery: Discovery | None = None,
    on_shutdown: Sequence[ShutdownHook] = (),
    port: int | None = None,
    metrics_port: int | None = None,
    verifier: TokenVerifier | None = None,
) -> RunningServer:
    """Build, bind and start the server; health is SERVING and the instance registered on return.

    ``port`` defaults to ``settings.grpc_port(service)``; 0 picks a free port. ``metrics_port``
    defaults to ``settings.metrics_port(service)``, or to a free port when ``port=0`` (tests);
    a negative value runs no metrics endpoint.
    """
    _check_known(bindings)
    grpc_port = settings.grpc_port(service) if port is None else port
    if metrics_port is None:
        metrics_port = 0 if port == 0 else settings.metrics_port(service)
    trace_layers, interceptors = server_tracing(settings)
    layers: list[Layer] = [
        *trace_layers,
        ObservabilityLayer(
            rpc_metrics(), LogSampling(settings.access_log_sample_rate, settings.access_log_slow_ms)
        ),
        AuthLayer(verifier, service, client_ip_seal(settings)),
        ErrorLayer(service),
    ]
    server = grpc.aio.server(interceptors=interceptors, options=_server_options(settings))
    registrar = LayeredRegistrar(server, layers)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, registrar)
    for binding in bindings:
        binding.add_to_server(binding.servicer, registrar)
    names = tuple(b.name for b in bindings)
    enable_reflection([*names, HEALTH_SERVICE], registrar)
    bind = _host_port(settings.host, grpc_port)
    try:
        bound = server.add_insecure_port(bind)
    except RuntimeError as exc:
        raise OSError(f"{service}: cannot bind gRPC on {bind} (port in use?)") from exc
    metrics = _start_metrics(service, settings.host, metrics_port)
    await server.start()
    for name in ("", *names):
        await health.set(name, _SERVING)
    address = _host_port(settings.advertise_host or settings.host, bound)
    endpoint = None
    if discovery is not None:
        from mesh.discovery.base import Endpoint

        endpoint = Endpoint.of(service, address)
        try:
            await discovery.register(endpoint)
        except BaseException:
            await server.stop(None)
            if metrics is not None:
                await asyncio.to_thread(metrics.close)
            raise
    log.info(
        "serving %s on %s",
        service,
        _host_port(settings.host, bound),
        extra={"grpc_port": bound, "metrics_port": metrics.port if metrics else None, "services": names},
    )
    return RunningServer(
        service=service,
        server=server,
        health=health,
        port=bound,
        address=address,
        service_names=names,
        metrics=metrics,
        discovery=discovery,
        endpoint=endpoint,
        on_shutdown=on_shutdown,
        grace=settings.shutdown_grace_seconds,
    )


def _install_signal_handlers(stop: asyncio.Event) -> Callable[[], None]:
    """SIGTERM/SIGINT set ``stop``. A repeated signal does not cut the drain short: the
    grace period already bounds how long shutdown takes."""
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    def on_signal(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("received %s", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
            installed.append(sig)
        except (NotImplementedError, RuntimeError, ValueError):
            log.debug("cannot handle %s in this thread", sig.name)

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


async def serve(
    service: str,
    bindings: Sequence[ServiceBinding],
    settings: Settings,
    *,
    discovery: Discovery | None = None,
    on_shutdown: Sequence[ShutdownHook] = (),
    ready: asyncio.Event | None = None,
    port: int | None = None,
    metrics_port: int | None = None,
    verifier: TokenVerifier | None = None,
    stop: asyncio.Event | None = None,
    started: asyncio.Future[RunningServer] | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or until ``stop`` is set), then shut down gracefully.

    Signal handlers are installed only when no ``stop`` event is passed: a caller that
    brings its own event owns the signals. ``ready`` is set and ``started`` resolved with
    the :class:`RunningServer` (bound port and all) once the server accepts RPCs.
    """
    remove_handlers: Callable[[], None] | None = None
    if stop is None:
        stop = asyncio.Event()
        remove_handlers = _install_signal_handlers(stop)
    try:
        running = await start_server(
            service,
            bindings,
            settings,
            discovery=discovery,
            on_shutdown=on_shutdown,
            port=port,
            metrics_port=metrics_port,
            verifier=verifier,
        )
        if started is not None:
            started.set_result(running)
        if ready is not None:
            ready.set()
        await stop.wait()
        await running.stop()
    finally:
        if remove_handlers is not None:
            remove_handlers()


Build = Callable[[Settings], Awaitable[ServiceParts]]


async def _run(service: str, build: Build, settings: Settings) -> None:
    stop = asyncio.Event()
    remove_handlers = _install_signal_handlers(stop)
    try:
        parts = await build(settings)
        try:
            await serve(
                service,
                parts.bindings,
                settings,
                discovery=parts.discovery,
                on_shutdown=parts.on_shutdown,
                verifier=parts.verifier,
                stop=stop,
            )
        finally:
            if parts.discovery is not None:
                await parts.discovery.close()
    finally:
        remove_handlers()


def run_service(service: str, build: Build) -> None:
    """Entry point of ``python -m <service>``; returns normally (exit 0) after a clean shutdown.

    Bad settings exit 2 with a readable message (before anything starts); a crash while
    building or serving is logged with its traceback and exits 1. A signal that arrives
    while ``build`` is still running is honoured as soon as the server is up.
    """
    settings = exit_on_bad_settings()
    setup_logging(service, settings)
    setup_tracing(service, settings)
    try:
        asyncio.run(_run(service, build, settings))
    except Exception:
        log.exception("%s crashed", service)
        raise SystemExit(1) from None
    finally:
        shutdown_tracing()
