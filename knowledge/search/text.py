"""Full-text lexemes for Chinese/Japanese/Korean runs, on top of Postgres' English configuration.

Postgres' ``english`` configuration stems English words but keeps a CJK run as one token,
so a CJK run is also indexed as its characters and overlapping bigrams (the tokenizer the
conversation service uses for its search, shared through mesh); a query's CJK runs become
bigrams (or a lone character), any of which may match.
"""

from __future__ import annotations

import re

from mesh.search_text import document_lexemes, query_terms

__all__ = ["cjk_lexemes", "cjk_tsquery"]

_IS_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def cjk_lexemes(text: str) -> list[str]:
    """The CJK lexemes of a chunk (characters and bigrams); English words come from Postgres."""
    return [lexeme for lexeme in document_lexemes(text) if _IS_CJK.match(lexeme)]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def cjk_tsquery(query: str) -> str:
    """A tsquery literal OR-ing the query's CJK bigrams ("" when the query has no CJK)."""
    grams: dict[str, None] = {}
    for term in query_terms(query):
        if _IS_CJK.match(term):
            pairs = [term[i : i + 2] for i in range(len(term) - 1)] or [term]
            grams.update(dict.fromkeys(pairs))
    return " | ".join(_quote(g) for g in grams)
