"""Every SQL statement and Redis key of notification; tables.py holds its one MetaData."""

from notification.store.tables import metadata, outbox

__all__ = ["metadata", "outbox"]
