"""Every SQL statement of model_router; ``tables.py`` holds its one MetaData.

One module per thing stored: ``channels`` (channels and their keys, rows as domain values),
``health`` (transitions and channel tests), ``routing_rules``, ``reservations`` (the quota
engine's statements), ``quota_accounts`` (accounts and ledger), ``prices`` (prices, their
history, group multipliers) and ``usage_records`` (records and their outbox events).
Its only Redis names are the pub/sub channels of mesh.invalidation an admin change publishes
on (``channels.CHANNELS_CHANGED``, ``routing_rules.RULES_CHANGED``); it keeps no Redis keys.
"""
