"""Reports: usage exported as CSV or JSON Lines, streamed while it is read."""
