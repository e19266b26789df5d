"""Running assistant turns: the orchestrator call, the per-generation event log in Redis Streams,
cross-instance Stop, and the persistence of partial answers.

A generation runs as a task of its own, decoupled from whoever asked for it: SendMessage,
Regenerate and ResumeGeneration all read the same event log, so a caller that goes away
loses nothing and can come back with the last event id it saw.
"""
