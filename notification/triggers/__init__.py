"""Notifications caused by other services' events (identity, model_router), consumed from Redis Streams."""
