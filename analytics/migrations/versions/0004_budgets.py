"""Spend budgets and the notices already sent for them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "analytics"


def upgrade() -> None:
    op.execute(
        f"""
CREATE TABLE {SCHEMA}.budgets (
  id uuid DEFAULT gen_random_uuid() NOT NULL,
  tenant_id text NOT NULL,
  name text NOT NULL,
  scope text NOT NULL,
  subject_id text DEFAULT '' NOT NULL,
  amount bigint NOT NULL,
  period text NOT NULL,
  thresholds double precision[] NOT NULL,
  targets jsonb DEFAULT '[]'::jsonb NOT NULL,
  spent bigint DEFAULT 0 NOT NULL,
  period_start timestamptz,
  last_evaluated_at timestamptz,
  created_by text DEFAULT '' NOT NULL,
  created_at timestamptz DEFAULT now() NOT NULL,
  CONSTRAINT pk_budgets PRIMARY KEY (id)
)"""
    )
    op.execute(f"CREATE UNIQUE INDEX uq_budgets_tenant_name ON {SCHEMA}.budgets (tenant_id, name)")
    op.execute(
        f"""
CREATE TABLE {SCHEMA}.budget_notices (
  budget_id uuid NOT NULL,
  period_start timestamptz NOT NULL,
  threshold double precision NOT NULL,
  spent bigint NOT NULL,
  notified_at timestamptz DEFAULT now() NOT NULL,
  CONSTRAINT pk_budget_notices PRIMARY KEY (budget_id, period_start, threshold)
)"""
    )


def downgrade() -> None:
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.budget_notices")
    op.execute(f"DROP TABLE IF EXISTS {SCHEMA}.budgets")
