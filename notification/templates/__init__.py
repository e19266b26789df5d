"""Templates: stored per tenant (and platform-wide), with the built-in defaults as the fallback."""
