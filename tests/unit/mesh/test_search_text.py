"""Lexemes and queries for Chinese and English search text."""

from __future__ import annotations

from mesh.search_text import document_lexemes, highlight, query_terms, tsquery_text


def test_cjk_runs_become_characters_and_bigrams() -> None:
    lexemes = document_lexemes("全文搜索")
    assert lexemes == ["全", "文", "搜", "索", "全文", "文搜", "搜索"]


def test_other_words_are_lower_cased_and_deduplicated() -> None:
    assert document_lexemes("Redis, redis and REDIS's cache") == ["redis", "and", "redis's", "cache"]


def test_mixed_scripts_split_at_the_boundary() -> None:
    assert document_lexemes("用Redis做缓存") == ["用", "redis", "做", "缓", "存", "做缓", "缓存"]


def test_query_terms_keep_cjk_runs_whole() -> None:
    assert query_terms("搜索引擎 Search, search!") == ["搜索引擎", "search"]


def test_tsquery_ands_bigrams_and_prefixes_words() -> None:
    assert tsquery_text(["搜索引擎", "tomato"]) == "'搜索' & '索引' & '引擎' & 'tomato':*"
    assert tsquery_text(["擎"]) == "'擎'"


def test_tsquery_quotes_are_escaped() -> None:
    assert tsquery_text(["it's"]) == "'it''s':*"
    assert tsquery_text([]) == ""


def test_highlight_marks_every_match_in_a_window() -> None:
    text = "x" * 300 + " the Tomato and the tomatoes " + "y" * 300
    snippet = highlight(text, ["tomato"], width=80)
    assert snippet.startswith("…") and snippet.endswith("…")
    assert (
        snippet.count("<mark>") == 2
        and "<mark>Tomato</mark>" in snippet
        and "<mark>tomatoes</mark>" in snippet
    )


def test_highlight_does_not_mark_inside_words() -> None:
    assert highlight("potato tomato", ["tomato"]) == "potato <mark>tomato</mark>"
    assert highlight("我们的全文搜索引擎", ["搜索"]) == "我们的全文<mark>搜索</mark>引擎"
    assert highlight("no match here", ["zebra"]) == "no match here"
