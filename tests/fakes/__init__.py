"""Stand-ins for peers that cannot run here; each speaks its peer's real wire protocol."""
