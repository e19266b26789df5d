"""Alembic environment of the model_router service; the logic is mesh.migrate.run_env."""

from mesh.migrate import run_env
from model_router.store.tables import metadata

run_env("model_router", metadata)
