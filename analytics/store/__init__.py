"""Every SQL statement and Redis key of analytics; ``tables`` holds its one MetaData."""
