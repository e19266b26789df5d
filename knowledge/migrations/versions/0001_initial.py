"""Initial knowledge schema: the transactional outbox, and pgvector for the embeddings to come.

The embedded Postgres already has the extension; a real cluster gets it here
(IF NOT EXISTS, so a cluster where an admin created it needs no privileges).

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

from mesh.migrate import create_outbox, drop_outbox

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "knowledge"


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public")
    create_outbox(SCHEMA)


def downgrade() -> None:
    drop_outbox(SCHEMA)
