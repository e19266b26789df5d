"""Accepting notifications: render, apply preferences, store once per idempotency key, queue."""
