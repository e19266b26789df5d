"""The one exception a tool raises for a fault the model should read (bad input, upstream failure)."""

from __future__ import annotations

__all__ = ["ToolError"]


class ToolError(Exception):
    """A tool could not do what was asked; the message goes back to the model verbatim."""
