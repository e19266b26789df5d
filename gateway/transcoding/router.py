"""Finds the binding for a request path: a trie over path segments, literal before wildcard.

Precedence is decided segment by segment from the left, the way Envoy's transcoder does
it: at each segment a literal match is tried before ``*``, and ``*`` before ``**``. So
``GET /v1/users/me`` reaches a ``/v1/users/me`` rule even though ``/v1/users/{user_id}``
also matches it, whatever order the rules were declared in. A path whose last segment
holds a colon is first tried as ``<segments>:<verb>`` and then with the colon kept as part
of the segment, so ``/v1/models/ft:gpt-4o:acme`` still reaches ``/v1/models/{model_id=**}``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

from gateway.transcoding.template import PathTemplate, SegmentKind

__all__ = ["MAX_SEGMENTS", "BadPath", "MethodMismatch", "PathMatch", "RouteConflict", "Router", "split_path"]

T = TypeVar("T")
MAX_SEGMENTS = 128


class RouteConflict(ValueError):
    """Two rules claim the same method and template: a contract bug, reported at start."""


class BadPath(ValueError):
    """A request path that cannot be decoded (bad percent-encoding or not UTF-8)."""


@dataclass(slots=True)
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    single: _Node[T] | None = None
    rest: _Node[T] | None = None
    # verb -> HTTP method -> (template, target)
    ends: dict[str, dict[str, tuple[PathTemplate, T]]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PathMatch(Generic[T]):
    target: T
    template: PathTemplate
    bindings: dict[tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class MethodMismatch:
    """The path is served, but not for this HTTP method."""

    allowed: tuple[str, ...]


def split_path(raw_path: str) -> list[str]:
    """Raw (still percent-encoded) segments of an absolute path."""
    return raw_path[1:].split("/") if raw_path.startswith("/") else raw_path.split("/")


def _decode_multi(raw: str) -> str:
    """Decode a multi-segment capture, leaving ``%2F`` encoded as http.proto asks."""
    pieces = raw.replace("%2f", "%2F").split("%2F")
    return "%2F".join(unquote(piece, errors="strict") for piece in pieces)


class Router(Generic[T]):
    def __init__(self) -> None:
        self._root: _Node[T] = _Node()
        self.size = 0

    def add(self, http_method: str, template: PathTemplate, target: T) -> None:
        node = self._root
        for kind, literal in zip(template.kinds, template.literals, strict=True):
            if kind is SegmentKind.LITERAL:
                key = unquote(literal)
                node = node.literals.setdefault(key, _Node())
            elif kind is SegmentKind.SINGLE:
                node.single = node.single or _Node()
                node = node.single
            else:
                node.rest = node.rest or _Node()
                node = node.rest
        by_method = node.ends.setdefault(template.verb, {})
        if http_method in by_method:
            other = by_method[http_method][0].text
            raise RouteConflict(f"{http_method} {template.text} collides with {http_method} {other}")
        by_method[http_method] = (template, target)
        self.size += 1

    def match(self, http_method: str, raw_path: str) -> PathMatch[T] | MethodMismatch | None:
        """The best binding for the path, a MethodMismatch (405), or None (404).

        Raises BadPath when a segment that must be compared or captured cannot be decoded.
        """
        raw = split_path(raw_path)
        if len(raw) > MAX_SEGMENTS:
            return None
        allowed: set[str] = set()
        try:
            for segments, verb in _candidates(raw):
                decoded = [unquote(s, errors="strict") for s in segments]
                for ends in self._walk(self._root, decoded, 0, verb):
                    found = ends.get(http_method)
                    if found is not None:
                        template, target = found
                        return PathMatch(target, template, _bindings(template, segments))
                    allowed.update(ends)
        except UnicodeDecodeError as exc:
            raise BadPath(f"the path is not valid percent-encoded UTF-8: {exc.reason}") from None
        if allowed:
            return MethodMismatch(tuple(sorted(allowed)))
        return None

    def _walk(
        self, node: _Node[T], segments: list[str], index: int, verb: str
    ) -> Iterator[dict[str, tuple[PathTemplate, T]]]:
        if index == len(segments):
            ends = node.ends.get(verb)
            if ends:
                yield ends
        else:
            child = node.literals.get(segments[index])
            if child is not None:
                yield from self._walk(child, segments, index + 1, verb)
            if node.single is not None and segments[index]:
                yield from self._walk(node.single, segments, index + 1, verb)
        if node.rest is not None:
            ends = node.rest.ends.get(verb)
            if ends:
                yield ends


def _candidates(raw: list[str]) -> Iterator[tuple[list[str], str]]:
    last = raw[-1]
    if ":" in last:
        head, _, verb = last.rpartition(":")
        yield [*raw[:-1], head], verb
    yield raw, ""


def _bindings(template: PathTemplate, raw: list[str]) -> dict[tuple[str, ...], str]:
    values: dict[tuple[str, ...], str] = {}
    for variable in template.variables:
        captured = raw[variable.start : variable.end]
        if variable.multi_segment:
            values[variable.field_path] = _decode_multi("/".join(captured))
        else:
            values[variable.field_path] = unquote(captured[0], errors="strict")
    return values
