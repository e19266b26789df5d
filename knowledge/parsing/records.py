"""JSON and JSON Lines: one ``record`` block per element, nested keys flattened.

A top-level array (or each line of JSONL) gives one record per element. A top-level object
gives one record per key, except that a key holding an array of objects (``{"items":
[...]}``) gives one record per element in a section named after the key. Inside a record,
nested keys are joined with dots and arrays of scalars with commas: ``user.name: Ann;
tags: a, b``. Depth is bounded (``max_json_depth``) before Python's recursion limit is near.
"""

from __future__ import annotations

import json
from typing import Any

from knowledge.parsing.document import DocumentRejected, ParsedDocument, TextBuilder
from knowledge.parsing.limits import ParseLimits

__all__ = ["flatten", "parse_json"]


def parse_json(text: str, *, title: str, limits: ParseLimits, lines: bool) -> ParsedDocument:
    builder = TextBuilder(max_chars=limits.max_text_chars)
    count = 0

    def add(value: Any, path: tuple[str, ...] = ()) -> None:
        nonlocal count
        count += 1
        if count > limits.max_records:
            raise DocumentRejected(f"the JSON document has more than {limits.max_records:,} records")
        builder.add(_record(value, limits.max_json_depth), "record", heading_path=path, normalize=False)

    if lines:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                add(_load(line, f"line {number} of the JSON Lines file"))
        return builder.build(title=title, format="jsonl")
    try:
        value = _load(text, "the JSON document")
    except DocumentRejected:
        if not _looks_like_lines(text):
            raise
        return parse_json(text, title=title, limits=limits, lines=True)
    if isinstance(value, list):
        for element in value:
            add(element)
    elif isinstance(value, dict):
        for key, element in value.items():
            if isinstance(element, list) and element and all(isinstance(e, dict) for e in element):
                for item in element:
                    add(item, (str(key),))
            else:
                add({key: element})
    else:
        add(value)
    return builder.build(title=title, format="json")


def _looks_like_lines(text: str) -> bool:
    """A .json upload that is really JSON Lines: its first line is a complete value."""
    first = text.lstrip().split("\n", 1)
    if len(first) < 2:
        return False
    try:
        json.loads(first[0])
    except (ValueError, RecursionError):
        return False
    return True


def _load(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise DocumentRejected(f"{what} is nested too deeply") from exc
    except ValueError as exc:
        raise DocumentRejected(f"{what} is not valid JSON: {exc}") from exc


def _record(value: Any, max_depth: int) -> str:
    if not isinstance(value, (dict, list)):
        return _scalar(value)
    return "; ".join(f"{key}: {text}" if key else text for key, text in flatten(value, max_depth))


def flatten(value: Any, max_depth: int) -> list[tuple[str, str]]:
    """(dotted key, text) pairs of a JSON value; iterative, refusing nesting past max_depth."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[str, Any, int]] = [("", value, 0)]
    while stack:
        key, node, depth = stack.pop()
        if depth > max_depth:
            raise DocumentRejected(f"the JSON document is nested more than {max_depth} levels deep")
        if isinstance(node, dict):
            stack.extend(
                (f"{key}.{k}" if key else str(k), v, depth + 1) for k, v in reversed(list(node.items()))
            )
        elif isinstance(node, list) and all(not isinstance(v, (dict, list)) for v in node):
            joined = ", ".join(_scalar(v) for v in node if v is not None and v != "")
            if joined:
                out.append((key, joined))
        elif isinstance(node, list):
            stack.extend((f"{key}[{i}]", v, depth + 1) for i, v in reversed(list(enumerate(node))))
        else:
            text = _scalar(node)
            if text:
                out.append((key, text))
    return out


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return " ".join(str(value).split())
