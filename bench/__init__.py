"""Benchmarks: each compares chatmesh with a baseline measured in the same run."""
