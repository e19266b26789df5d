"""The in-app inbox: listing, read state, and the live stream of changes."""
