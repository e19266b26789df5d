"""Tools a model may call during a turn: the registry, the built-ins and the tenants' MCP servers."""
