"""Background upkeep: raw partitions created ahead and dropped, rollups and ledger trimmed."""
