"""Report jobs and their files (kept as chunks until the report expires).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"


def upgrade() -> None:
    op.execute(
        f"""
CREATE TABLE {SCHEMA}.reports (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id text NOT NULL,
  requested_by text NOT NULL,
  spec bytea NOT NULL,
  scope jsonb DEFAULT '{{}}'::jsonb NOT NULL,
  state text DEFAULT 'pending' NOT NULL,
  content_type text DEFAULT '' NOT NULL,
  file_name text DEFAULT '' NOT NULL,
  row_count bigint DEFAULT 0 NOT NULL,
  size_bytes bigint DEFAULT 0 NOT NULL,
  error_message text DEFAULT '' NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  completed_at timestamptz,
  expires_at timestamptz NOT NULL,
  CONSTRAINT pk_reports PRIMARY KEY (id)
)"""
    )
    op.execute(
        f"CREATE INDEX ix_reports_owner_created ON {SCHEMA}.reports (tenant_id, requested_by, created_at)"
    )
    op.execute(f"CREATE INDEX ix_reports_state ON {SCHEMA}.reports (state, created_at)")
    op.execute(
        f"""
CREATE TABLE {SCHEMA}.report_chunks (
  report_id uuid NOT NULL,
  seq integer NOT NULL,
  data bytea NOT NULL,
  CONSTRAINT pk_report_chunks PRIMARY KEY (report_id, seq)
)"""
    )


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.report_chunks")
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.reports")
