"""Delivering queued notifications: one handler per NotificationQueued, one sender per channel."""
