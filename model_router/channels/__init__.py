"""Channels: the in-memory registry requests are routed from, and the seed channel written at start."""
