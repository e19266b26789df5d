"""orchestrator's one SQLAlchemy MetaData: every table module registers on it.

One instance lets the migration drift test compare all of the service's tables with what
its migrations create (separate MetaData objects would each look like a partial schema).
"""

from __future__ import annotations

from mesh.db import outbox_table, service_metadata

__all__ = ["metadata", "outbox"]

metadata = service_metadata("orchestrator")
outbox = outbox_table(metadata)
