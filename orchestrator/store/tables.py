"""orchestrator's one SQLAlchemy MetaData (schema ``orchestrator``): every table the migrations create.

One module so the migration drift test compares one MetaData with the revisions, and a
newcomer finds a table's columns without knowing which feature wrote it first. The
queries live next to this file, one module per thing stored (agents, generations,
mcp_servers).
"""

from __future__ import annotations

from sqlalchemy import (
    ARRAY,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from mesh.db import outbox_table, service_metadata

__all__ = ["agents", "generations", "mcp_servers", "metadata", "outbox"]

metadata = service_metadata("orchestrator")
outbox = outbox_table(metadata)

# Agents a tenant's users define; ``version`` counts updates and backs the etag.
agents = Table(
    "agents",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("owner_user_id", Text, nullable=False, server_default=""),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("system_prompt_template", Text, nullable=False, server_default=""),
    Column("template_variables", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("model", Text, nullable=False, server_default=""),
    Column("parameters", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("tools", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("knowledge_base_ids", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("max_tool_steps", Integer, nullable=True),
    Column("visibility", Text, nullable=False, server_default="private"),
    Column("version", Integer, nullable=False, server_default=text("1")),
    Column("create_time", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("update_time", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant_id", "name"),
)

# One status record per turn, written as the turn moves through its states.
generations = Table(
    "generations",
    metadata,
    Column("id", Text, primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("user_id", Text, nullable=False, server_default=""),
    Column("conversation_id", Text, nullable=False, server_default=""),
    Column("message_id", Text, nullable=False, server_default=""),
    Column("request_id", Text, nullable=False, server_default=""),
    Column("instance_id", Text, nullable=False, server_default=""),
    Column("state", SmallInteger, nullable=False),
    Column("priority", SmallInteger, nullable=False),
    Column("model", Text, nullable=False, server_default=""),
    Column("finish_reason", SmallInteger, nullable=False, server_default="0"),
    Column("usage", JSONB, nullable=False),
    Column("tool_calls", JSONB, nullable=False),
    Column("error_reason", Text, nullable=False, server_default=""),
    Column("error_message", Text, nullable=False, server_default=""),
    Column("ttft_ms", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("create_time", DateTime(timezone=True), nullable=False),
    Column("start_time", DateTime(timezone=True), nullable=True),
    Column("end_time", DateTime(timezone=True), nullable=True),
    Index("ix_generations_tenant_created", "tenant_id", "create_time", "id"),
    Index("ix_generations_conversation", "conversation_id", "create_time"),
    Index("ix_generations_live", "state", postgresql_where=text("state IN (1, 2)")),
)

# Per-tenant MCP server settings; env and headers are SecretBox ciphertexts (store/mcp_servers.py).
mcp_servers = Table(
    "mcp_servers",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("tenant_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("transport", Text, nullable=False),
    Column("command", Text, nullable=False, server_default=""),
    Column("args", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("env_ciphertext", LargeBinary, nullable=True),
    Column("url", Text, nullable=False, server_default=""),
    Column("headers_ciphertext", LargeBinary, nullable=True),
    Column("allowed_tools", ARRAY(Text), nullable=False, server_default=text("'{}'::text[]")),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    Column("timeout_ms", Integer, nullable=False, server_default=text("30000")),
    Column("state", Text, nullable=False, server_default="unspecified"),
    Column("state_message", Text, nullable=False, server_default=""),
    Column("tool_count", Integer, nullable=False, server_default=text("0")),
    Column("create_time", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("update_time", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("tenant_id", "name"),
)
