"""Live statistics: sliding windows over the per-second Redis counters."""
