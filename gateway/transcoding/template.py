"""The path-template grammar of ``google.api.http`` rules, parsed once at start.

    Template = "/" Segments [ Verb ] ;
    Segments = Segment { "/" Segment } ;
    Segment  = "*" | "**" | LITERAL | Variable ;
    Variable = "{" FieldPath [ "=" Segments ] "}" ;
    FieldPath = IDENT { "." IDENT } ;
    Verb     = ":" LITERAL ;

A parsed template is a flat list of segment matchers plus, for each variable, the range
of segments it captures. Flat because that is what the router's trie walks: variables
only name ranges, they never change what a segment matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

__all__ = ["PathTemplate", "SegmentKind", "TemplateError", "Variable", "parse_template"]

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# RFC 3986 pchar minus the characters the grammar itself uses ("/", "{", "}", "*", ":", "=").
_LITERAL = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()+,;@]|%[0-9A-Fa-f]{2})+")


class TemplateError(ValueError):
    """A template that does not follow the grammar: a contract bug, reported at start."""


class SegmentKind(Enum):
    LITERAL = "literal"
    SINGLE = "*"
    REST = "**"


@dataclass(frozen=True, slots=True)
class Variable:
    """``field_path`` captures segments ``start`` up to ``end`` (exclusive; None = to the end)."""

    field_path: tuple[str, ...]
    start: int
    end: int | None

    @property
    def multi_segment(self) -> bool:
        return self.end is None or self.end - self.start > 1

    @property
    def dotted(self) -> str:
        return ".".join(self.field_path)


@dataclass(frozen=True, slots=True)
class PathTemplate:
    text: str
    kinds: tuple[SegmentKind, ...]
    literals: tuple[str, ...]  # the literal text per segment ("" for wildcards)
    variables: tuple[Variable, ...]
    verb: str

    @property
    def ends_with_rest(self) -> bool:
        return bool(self.kinds) and self.kinds[-1] is SegmentKind.REST


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.kinds: list[SegmentKind] = []
        self.literals: list[str] = []
        self.variables: list[Variable] = []

    def fail(self, why: str) -> TemplateError:
        return TemplateError(f"bad path template {self.text!r} at {self.pos}: {why}")

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise self.fail(f"expected {char!r}")
        self.pos += 1

    def segments(self, inside_variable: bool) -> None:
        self.segment(inside_variable)
        while self.peek() == "/":
            self.pos += 1
            self.segment(inside_variable)

    def segment(self, inside_variable: bool) -> None:
        if self.kinds and self.kinds[-1] is SegmentKind.REST:
            raise self.fail("'**' must be the last segment")
        if self.text.startswith("**", self.pos):
            self.pos += 2
            self.add(SegmentKind.REST, "")
        elif self.peek() == "*":
            self.pos += 1
            self.add(SegmentKind.SINGLE, "")
        elif self.peek() == "{":
            if inside_variable:
                raise self.fail("variables cannot nest")
            self.variable()
        else:
            found = _LITERAL.match(self.text, self.pos)
            if found is None:
                raise self.fail("expected a segment")
            self.pos = found.end()
            self.add(SegmentKind.LITERAL, found.group())

    def add(self, kind: SegmentKind, literal: str) -> None:
        self.kinds.append(kind)
        self.literals.append(literal)

    def variable(self) -> None:
        self.expect("{")
        path: list[str] = []
        while True:
            found = _IDENT.match(self.text, self.pos)
            if found is None:
                raise self.fail("expected a field name")
            path.append(found.group())
            self.pos = found.end()
            if self.peek() != ".":
                break
            self.pos += 1
        start = len(self.kinds)
        if self.peek() == "=":
            self.pos += 1
            self.segments(inside_variable=True)
        else:
            self.add(SegmentKind.SINGLE, "")
        self.expect("}")
        end = None if self.kinds[-1] is SegmentKind.REST else len(self.kinds)
        if any(v.field_path == tuple(path) for v in self.variables):
            raise self.fail(f"field {'.'.join(path)!r} is bound twice")
        self.variables.append(Variable(tuple(path), start, end))

    def parse(self) -> PathTemplate:
        self.expect("/")
        self.segments(inside_variable=False)
        verb = ""
        if self.peek() == ":":
            self.pos += 1
            found = _LITERAL.match(self.text, self.pos)
            if found is None:
                raise self.fail("expected a verb after ':'")
            verb = found.group()
            self.pos = found.end()
        if self.pos != len(self.text):
            raise self.fail("unexpected character")
        return PathTemplate(self.text, tuple(self.kinds), tuple(self.literals), tuple(self.variables), verb)


def parse_template(text: str) -> PathTemplate:
    """Parse ``text``; raises :class:`TemplateError` naming the position of a mistake."""
    return _Parser(text).parse()
