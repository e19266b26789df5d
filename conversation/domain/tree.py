"""Orders of a message tree that are not stored: depth-first (children in creation order).

Computed from (id, parent id) pairs already sorted by creation, iteratively so that a
conversation of ten thousand turns (a ten-thousand-deep chain) needs no recursion.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

__all__ = ["depth_first", "newest_leaf_below"]


def _children(nodes: Iterable[tuple[uuid.UUID, uuid.UUID | None]]) -> dict[uuid.UUID | None, list[uuid.UUID]]:
    children: dict[uuid.UUID | None, list[uuid.UUID]] = {}
    for node, parent in nodes:
        children.setdefault(parent, []).append(node)
    return children


def depth_first(
    nodes: Iterable[tuple[uuid.UUID, uuid.UUID | None]], root: uuid.UUID | None = None
) -> list[uuid.UUID]:
    """Pre-order ids below ``root`` (itself included), or of the whole forest when ``root`` is None.

    ``nodes`` must come in creation order; that order is kept among siblings.
    """
    children = _children(nodes)
    stack = [root] if root is not None else list(reversed(children.get(None, [])))
    order: list[uuid.UUID] = []
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(reversed(children.get(node, [])))
    return order


def newest_leaf_below(
    nodes: Iterable[tuple[uuid.UUID, uuid.UUID | None]], start: uuid.UUID
) -> list[uuid.UUID]:
    """The path from ``start`` down through each newest child to a leaf (``start`` first)."""
    children = _children(nodes)
    path = [start]
    while kids := children.get(path[-1]):
        path.append(kids[-1])
    return path
