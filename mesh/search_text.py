"""Search lexemes for Chinese and English text, computed in Python.

Shared by every service with Postgres full-text search (conversation's message search,
knowledge's chunk search), so a query is split the same way as the text it searches.

Postgres' ``simple`` configuration keeps a whole run of Chinese characters as one
token, so "搜索" would never match inside "全文搜索引擎". Text is therefore indexed as
lexemes: words of other scripts lower-cased, and CJK runs as their single characters
plus overlapping bigrams. A query's CJK run becomes the AND of its bigrams (a single
character stays itself), and other words match as prefixes. The lexemes are handed to
Postgres as arrays (``array_to_tsvector``) and quoted ``tsquery`` literals, so no
parser or locale on the server side decides how text is split.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["document_lexemes", "highlight", "query_terms", "tsquery_text"]

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_APOSTROPHES = "'\u2019"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W{_CJK}_]+(?:[{_APOSTROPHES}][^\W{_CJK}_]+)*", re.UNICODE)
_IS_CJK = re.compile(rf"[{_CJK}]")
# Postgres refuses lexemes over 2 KB; such "words" are not worth finding anyway.
_MAX_LEXEME_CHARS = 256
_MAX_QUERY_TERMS = 32


def _tokens(text: str) -> Iterable[str]:
    for match in _TOKEN.finditer(text.lower()):
        yield match.group(0)


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def document_lexemes(text: str) -> list[str]:
    """Distinct lexemes of a document, in first-seen order."""
    seen: dict[str, None] = {}
    for token in _tokens(text):
        if _IS_CJK.match(token):
            for lexeme in (*token, *_bigrams(token)):
                seen.setdefault(lexeme, None)
        elif len(token) <= _MAX_LEXEME_CHARS:
            seen.setdefault(token, None)
    return list(seen)


def query_terms(query: str) -> list[str]:
    """The query's tokens (CJK runs whole, other words lower-cased), deduplicated, capped."""
    seen: dict[str, None] = {}
    for token in _tokens(query):
        if len(token) <= _MAX_LEXEME_CHARS:
            seen.setdefault(token, None)
    return list(seen)[:_MAX_QUERY_TERMS]


def _quote(lexeme: str) -> str:
    escaped = lexeme.replace("\\", "\\\\").replace("'", "''")
    return f"'{escaped}'"


def tsquery_text(terms: Iterable[str]) -> str:
    """A ``tsquery`` literal matching documents that contain every term ("" when none)."""
    parts: list[str] = []
    for term in terms:
        if _IS_CJK.match(term):
            grams = _bigrams(term) or [term]
            parts.extend(_quote(g) for g in dict.fromkeys(grams))
        else:
            parts.append(f"{_quote(term)}:*")
    return " & ".join(parts)


def _pattern(terms: Iterable[str]) -> re.Pattern[str] | None:
    alternatives = []
    for term in sorted(terms, key=len, reverse=True):
        escaped = re.escape(term)
        alternatives.append(escaped if _IS_CJK.match(term) else rf"(?<![^\W_]){escaped}[^\W_]*")
    return re.compile("|".join(alternatives), re.IGNORECASE) if alternatives else None


def highlight(text: str, terms: Iterable[str], *, width: int = 160) -> str:
    """A window of ``text`` around the first match with every match wrapped in ``<mark>``.

    Without a match (the hit came from another field) the start of the text is returned.
    """
    pattern = _pattern(terms)
    first = pattern.search(text) if pattern else None
    start = 0 if first is None else max(0, first.start() - width // 3)
    end = min(len(text), start + width)
    window = text[start:end]
    if pattern is not None:
        window = pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", window)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return f"{prefix}{window}{suffix}"
