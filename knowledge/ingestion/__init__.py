"""Ingestion: receiving documents, and the background jobs that parse, chunk, embed and index them."""
