"""Every SQL statement of orchestrator: tables.py holds the one MetaData, one module per thing stored."""
