"""Per-user preferences: stored rows and their domain value."""
