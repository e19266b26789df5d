"""conversation's own knobs (env prefix ``CHATMESH_CONVERSATION_``), all with working defaults.

Kept apart from mesh.config so the service's tuning does not touch the shared settings.
conv-stream may add its fields at the end of the class.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConversationConfig", "load_conversation_config"]


class ConversationConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHATMESH_CONVERSATION_", extra="ignore")

    # Days a soft-deleted conversation stays in the trash before it is removed for good.
    retention_days: float = Field(default=30.0, ge=0)
    # Seconds between two runs of the purge task (hard deletion past retention).
    purge_interval_seconds: float = Field(default=3600.0, gt=0)
    # Conversations removed per purge transaction (keeps each transaction short).
    purge_batch_size: int = Field(default=100, ge=1)
    # Limits on what a user may store in a conversation's settings and fields.
    max_system_prompt_chars: int = Field(default=32_000, ge=1)
    max_title_chars: int = Field(default=200, ge=1)
    max_tags: int = Field(default=32, ge=0)
    max_tag_chars: int = Field(default=64, ge=1)
    max_folder_chars: int = Field(default=256, ge=1)
    max_message_chars: int = Field(default=200_000, ge=1)
    # Largest accepted ImportConversation document.
    max_import_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    # Page sizes of the List RPCs.
    default_page_size: int = Field(default=50, ge=1)
    max_page_size: int = Field(default=500, ge=1)
    # conv-stream: seconds between saves of a streaming answer (what a crash could lose at most).
    generation_save_seconds: float = Field(default=1.0, gt=0)
    # Events kept per generation stream (Redis XADD MAXLEN) and seconds kept after the turn ends.
    generation_max_events: int = Field(default=50_000, ge=100)
    generation_events_ttl_seconds: int = Field(default=900, ge=1)
    # Seconds a stopping service waits for running turns before it cancels them (stored incomplete).
    generation_shutdown_seconds: float = Field(default=5.0, ge=0)
    # Name a conversation with a background model call after its first exchange.
    auto_title: bool = True
    # turn-limits: seconds between refreshes of a running turn's heartbeat, seconds it outlives
    # its last refresh (a turn of a dead process is known lost then), and seconds between sweeps
    # that close lost turns (also run at start). A lost turn is closed within about ttl + sweep.
    generation_heartbeat_seconds: float = Field(default=3.0, gt=0)
    generation_heartbeat_ttl_seconds: float = Field(default=10.0, gt=0)
    generation_sweep_seconds: float = Field(default=5.0, gt=0)


def load_conversation_config(**overrides: object) -> ConversationConfig:
    """Settings from the environment, with explicit overrides winning (tests)."""
    return ConversationConfig(**overrides)  # type: ignore[arg-type]
