"""Alembic environment of the conversation service; the logic is mesh.migrate.run_env."""

from conversation.store import metadata
from mesh.migrate import run_env

run_env("conversation", metadata)
