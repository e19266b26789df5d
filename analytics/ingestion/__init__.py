"""Ingestion: producers' events → processed-event ledger, raw rows, rollups and live counters."""
