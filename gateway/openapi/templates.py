"""google.api.http path templates as OpenAPI paths.

``/v1/{name=tenants/*/users/*}:verb`` becomes ``/v1/{name}:verb`` with the parameter's value
constrained by a pattern (``^tenants/[^/]+/users/[^/]+$``); a plain ``{id}`` is one path segment
and ``**`` any number of them (the value may then contain slashes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PathTemplate", "PathVariable", "parse_template"]


@dataclass(frozen=True, slots=True)
class PathVariable:
    field_path: str
    pattern: str
    multi_segment: bool


@dataclass(frozen=True, slots=True)
class PathTemplate:
    path: str
    variables: tuple[PathVariable, ...]


def _split_outside_braces(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced '}}' in {text!r}")
        if char == separator and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise ValueError(f"unbalanced '{{' in {text!r}")
    parts.append(current)
    return parts


def _segments_pattern(segments: list[str]) -> str:
    pieces = []
    for segment in segments:
        if segment == "*":
            pieces.append("[^/]+")
        elif segment == "**":
            pieces.append(".+")
        else:
            pieces.append(re.escape(segment))
    return "^" + "/".join(pieces) + "$"


def _variable(segment: str) -> PathVariable:
    inner = segment[1:-1]
    field_path, _, sub = inner.partition("=")
    if not field_path:
        raise ValueError(f"variable without a field in {segment!r}")
    sub_segments = sub.split("/") if sub else ["*"]
    return PathVariable(field_path, _segments_pattern(sub_segments), "**" in sub_segments)


def parse_template(template: str) -> PathTemplate:
    """Raises ValueError for templates OpenAPI cannot express (a bare ``*`` outside a variable)."""
    if not template.startswith("/"):
        raise ValueError(f"template must start with '/': {template!r}")
    segments = _split_outside_braces(template[1:], "/")
    last = _split_outside_braces(segments[-1], ":")
    verb = ""
    if len(last) == 2:
        segments[-1], verb = last
    elif len(last) > 2:
        raise ValueError(f"more than one verb in {template!r}")
    rendered: list[str] = []
    variables: list[PathVariable] = []
    for segment in segments:
        if segment.startswith("{") and segment.endswith("}"):
            variable = _variable(segment)
            variables.append(variable)
            rendered.append("{" + variable.field_path + "}")
        elif segment in ("*", "**") or "{" in segment or "}" in segment:
            raise ValueError(f"segment {segment!r} of {template!r} has no name OpenAPI could use")
        else:
            rendered.append(segment)
    path = "/" + "/".join(rendered) + (":" + verb if verb else "")
    return PathTemplate(path, tuple(variables))
