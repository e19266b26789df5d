"""Every SQL statement of the knowledge service; tables.py holds its one MetaData."""

from knowledge.store.tables import metadata, outbox

__all__ = ["metadata", "outbox"]
