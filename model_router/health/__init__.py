"""Channel health: circuit breakers and live stats (tracker), probes, auto-disable and recovery (monitor)."""
