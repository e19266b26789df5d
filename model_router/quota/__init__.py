"""Quota: accounts drawn down atomically and the prices requests are charged at.

- ``engine``: reserve / settle / refund / expire, one conditional statement per change,
  ledger rows in the same transaction (SQL in ``model_router.store.reservations``).
- ``ledger``: operator top-ups and settings, ledger reads.
- ``key_grants``: API keys' accounts kept in step with their quota in identity.
- ``price_book``: prices in memory for pricing (stored by ``model_router.store.prices``).
- ``sweeper``: refunds reservations nobody settled.

The pure rules (the cost function, which accounts a request charges) live in
``model_router.domain.cost`` and ``model_router.domain.quota_accounts``.
"""
