"""orchestrator's pure rules and value types: no I/O, no protobuf, no SQLAlchemy."""
