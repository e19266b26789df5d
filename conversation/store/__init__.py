"""conversation's tables and queries, one module per area on one shared ``metadata``.

Area modules that declare tables are imported here so every table is registered on
``metadata`` (the migrations env reads it). conv-stream adds its own import line below.
Tables are reached through ``conversation.store.tables`` (the names ``conversations`` and
``messages`` here are the query modules).
"""

# isort: off
from conversation.store import tables  # noqa: F401  (conv-core)
from conversation.store import generations  # noqa: F401  (conv-stream)

# isort: on
from conversation.store.tables import metadata, outbox

__all__ = ["metadata", "outbox"]
