"""Usage: who pays for a request, its settlement, and the per-request usage record with its event.

- ``metering``: the payer of a request and the reserve → settle/refund lifecycle.
- ``records``: the usage_records table access and the UsageRecorded outbox event.
- ``background``: settlements that outlive a cancelled RPC.
"""
