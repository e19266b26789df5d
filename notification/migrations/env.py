"""Alembic environment of the notification service; the logic is mesh.migrate.run_env."""

from mesh.migrate import run_env
from notification.store import metadata

run_env("notification", metadata)
