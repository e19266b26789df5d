"""Every SQL statement of model_router; ``tables.py`` holds its one MetaData.

One module per thing stored: ``channels`` (channels and their keys, rows as domain values),
``health`` (transitions and channel tests), ``routing_rules``, ``reservations`` (the quota
engine's statements), ``quota_accounts`` (accounts and ledger), ``prices`` (prices, their
history, group multipliers) and ``usage_records`` (records and their outbox events).
model_router keeps no Redis keys: it only publishes and listens on the invalidation channels
of mesh.invalidation (``CHANNELS_CHANGED``, ``RULES_CHANGED``).
"""
