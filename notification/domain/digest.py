"""One message out of the several collected for a digest window.

Plain text only: the parts were rendered for their own messages, and an HTML digest would
have to trust or re-escape each part's HTML. The count goes first in the subject so a
mail client's list shows what the digest holds.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["compose"]


def compose(items: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """(subject, body) of a digest of ``items`` (subject, body), oldest first."""
    if len(items) == 1:
        return items[0]
    first = items[0][0] or items[0][1][:60]
    subject = f"{len(items)} notifications: {first}"
    parts = []
    for subject_i, body_i in items:
        parts.append(f"* {subject_i}\n{body_i.strip()}" if subject_i else f"* {body_i.strip()}")
    return subject, "\n\n".join(parts) + "\n"
