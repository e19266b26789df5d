"""Quota: prices and their history, the exact cost of a request, and accounts drawn down atomically.

- ``cost``: the pure cost function (integer quota units; 1 unit = one millionth of the
  billing currency).
- ``engine``: reserve / settle / refund / expire, one conditional statement per change,
  ledger rows in the same transaction.
- ``ledger``: operator top-ups and settings, ledger reads.
- ``price_store`` / ``price_book``: prices in Postgres with history, and in memory for pricing.
- ``sweeper``: refunds reservations nobody settled.
"""
