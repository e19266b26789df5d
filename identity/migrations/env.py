"""Alembic environment of the identity service; the logic is mesh.migrate.run_env."""

from identity.store import metadata
from mesh.migrate import run_env

run_env("identity", metadata)
