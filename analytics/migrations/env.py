"""Alembic environment of the analytics service; the logic is mesh.migrate.run_env."""

from analytics.store.tables import metadata
from mesh.migrate import run_env

run_env("analytics", metadata)
