"""model_router's rules as plain Python: channels, model patterns and channel selection."""
