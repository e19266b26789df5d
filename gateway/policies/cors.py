"""Cross-origin access for browser apps served from other origins (``gateway_cors_origins``).

Only exact origins are allowed (settings refuse ``*``), so credentials (the Authorization
header, cookies) may be sent. No origins configured: no CORS headers at all, and browsers keep
other sites' pages from calling the API. Any request header is allowed (``Grpc-Metadata-*``
names are open-ended); the headers clients need to read are exposed.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from mesh.config import Settings

__all__ = ["EXPOSED_HEADERS", "cors_middleware"]

EXPOSED_HEADERS = (
    "X-Request-Id",
    "Retry-After",
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "Grpc-Status",
    "Grpc-Message",
)
PREFLIGHT_MAX_AGE_SECONDS = 600


def cors_middleware(settings: Settings) -> Middleware | None:
    if not settings.gateway_cors_origins:
        return None
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.gateway_cors_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["*"],
        allow_credentials=True,
        expose_headers=list(EXPOSED_HEADERS),
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
