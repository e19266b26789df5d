"""Every SQL statement and Redis key of model_router; ``tables.py`` holds its one MetaData.

One module per thing stored: ``channels`` (channels and their keys), ``health`` (transitions
and channel tests), ``routing_rules``, ``reservation_sql`` (the quota engine's multi-step
statements), and the quota, price and usage stores.
"""
