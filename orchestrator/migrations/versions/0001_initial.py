"""Initial orchestrator schema: the transactional outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from mesh.migrate import create_outbox, drop_outbox

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "orchestrator"


def upgrade() -> None:
    create_outbox(SCHEMA)


def downgrade() -> None:
    drop_outbox(SCHEMA)
