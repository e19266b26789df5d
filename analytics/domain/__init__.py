"""analytics's pure rules: sketches, dimensions, time buckets, scopes and alert states (no I/O)."""
