"""Agents (named turn configurations) and the MCP servers whose tools a tenant's turns may call.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "orchestrator"
_NOW = sa.text("now()")
_NO_TEXTS = sa.text("'{}'::text[]")
_NO_JSON = sa.text("'{}'::jsonb")


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("owner_user_id", sa.Text(), server_default="", nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("system_prompt_template", sa.Text(), server_default="", nullable=False),
        sa.Column("template_variables", JSONB(), server_default=_NO_JSON, nullable=False),
        sa.Column("model", sa.Text(), server_default="", nullable=False),
        sa.Column("parameters", JSONB(), server_default=_NO_JSON, nullable=False),
        sa.Column("tools", sa.ARRAY(sa.Text()), server_default=_NO_TEXTS, nullable=False),
        sa.Column("knowledge_base_ids", sa.ARRAY(sa.Text()), server_default=_NO_TEXTS, nullable=False),
        sa.Column("max_tool_steps", sa.Integer(), nullable=True),
        sa.Column("visibility", sa.Text(), server_default="private", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint("visibility IN ('private', 'tenant')", name=op.f("ck_agents_visibility_known")),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_agents_tenant_id_name")),
        schema=SCHEMA,
    )
    op.create_table(
        "mcp_servers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("tenant_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("transport", sa.Text(), nullable=False),
        sa.Column("command", sa.Text(), server_default="", nullable=False),
        sa.Column("args", sa.ARRAY(sa.Text()), server_default=_NO_TEXTS, nullable=False),
        sa.Column("env_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("url", sa.Text(), server_default="", nullable=False),
        sa.Column("headers_ciphertext", sa.LargeBinary(), nullable=True),
        sa.Column("allowed_tools", sa.ARRAY(sa.Text()), server_default=_NO_TEXTS, nullable=False),
        sa.Column("enabled", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("timeout_ms", sa.Integer(), server_default=sa.text("30000"), nullable=False),
        sa.Column("state", sa.Text(), server_default="unspecified", nullable=False),
        sa.Column("state_message", sa.Text(), server_default="", nullable=False),
        sa.Column("tool_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "transport IN ('stdio', 'streamable_http')", name=op.f("ck_mcp_servers_transport_known")
        ),
        sa.UniqueConstraint("tenant_id", "name", name=op.f("uq_mcp_servers_tenant_id_name")),
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("mcp_servers", schema=SCHEMA)
    op.drop_table("agents", schema=SCHEMA)
