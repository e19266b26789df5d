"""Agents: named turn configurations per tenant (store, validation, proto mapping)."""
