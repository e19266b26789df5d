"""Alembic environment of the analytics service; the logic is mesh.migrate.run_env."""

from mesh.db import outbox_table, service_metadata
from mesh.migrate import run_env

metadata = service_metadata("analytics")
outbox_table(metadata)
run_env("analytics", metadata)
