"""Where a request came from: the caller's address and user agent.

Login throttling, sessions and the audit log all record it; the api layer reads it once
from the RPC (``identity.api.access_support.origin_of``) and the use cases pass it on.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None
    user_agent: str | None
