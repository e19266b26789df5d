"""Usage queries and dashboards over the rollups."""
