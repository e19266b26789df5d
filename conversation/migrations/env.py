"""Alembic environment of the conversation service; the logic is mesh.migrate.run_env."""

from mesh.db import outbox_table, service_metadata
from mesh.migrate import run_env

metadata = service_metadata("conversation")
outbox_table(metadata)
run_env("conversation", metadata)
