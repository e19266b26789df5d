"""Search: vector, full-text and hybrid retrieval over the knowledge bases a caller may read."""
