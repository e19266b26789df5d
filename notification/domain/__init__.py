"""notification's pure rules and value types: no I/O, no protobuf, no SQL, no Redis."""
