"""Threshold alert rules: CRUD, periodic evaluation over the minute rollups, notifications via the outbox."""
