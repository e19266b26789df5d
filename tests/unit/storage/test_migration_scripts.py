"""Each service's migration scripts form one straight line (no DB needed)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from mesh.config import SERVICES
from mesh.migrate import alembic_config


@pytest.mark.parametrize("service", SERVICES)
def test_one_head_and_a_first_revision(service: str) -> None:
    cfg = alembic_config(service, url="postgresql://u@h/db")
    assert cfg.get_main_option("script_location") == f"{service}:migrations"
    assert cfg.get_main_option("sqlalchemy.url") == "postgresql+asyncpg://u@h/db"
    script = ScriptDirectory.from_config(cfg)
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert revisions[-1].revision == "0001" and revisions[-1].down_revision is None
