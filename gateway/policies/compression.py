"""gzip for large responses (JSON above ``gateway_gzip_min_bytes``), never for streams.

Event streams and NDJSON are left alone: compressing them would either hold events back in the
compressor or, flushed per event, cost more than it saves; proxies also tend to buffer
compressed streams. Level 6 is zlib's default: most of level 9's gain for far less CPU.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from mesh.config import Settings

__all__ = ["gzip_middleware"]

COMPRESS_LEVEL = 6
EXCLUDED = (*DEFAULT_EXCLUDED_CONTENT_TYPES, "text/event-stream", "application/x-ndjson")


def gzip_middleware(settings: Settings) -> Middleware:
    return Middleware(
        GZipMiddleware,
        minimum_size=settings.gateway_gzip_min_bytes,
        compresslevel=COMPRESS_LEVEL,
        exclude_content_types=EXCLUDED,
    )
