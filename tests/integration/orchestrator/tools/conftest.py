"""Fixtures of the orch-tools tests live in ot_harness (shared with the agents folder)."""

from tests.integration.orchestrator.tools.ot_harness import orchestrator, ot_config, ot_database, ot_settings

__all__ = ["orchestrator", "ot_config", "ot_database", "ot_settings"]
