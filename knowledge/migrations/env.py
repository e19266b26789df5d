"""Alembic environment of the knowledge service; the logic is mesh.migrate.run_env."""

from knowledge.store import metadata
from mesh.migrate import run_env

run_env("knowledge", metadata)
