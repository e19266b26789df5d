"""Reciprocal rank fusion: order, weights, normalisation, duplicates."""

from __future__ import annotations

import itertools

import pytest

from knowledge.domain.fusion import Ranking, rrf


def test_an_item_high_in_both_rankings_wins() -> None:
    fused = rrf([Ranking(["a", "b", "c"]), Ranking(["b", "d", "a"])], k=60)
    assert [f.key for f in fused][:2] == ["b", "a"]
    assert fused[0].ranks == (2, 1)
    assert {f.key for f in fused} == {"a", "b", "c", "d"}


def test_first_everywhere_scores_one_and_scores_fall() -> None:
    fused = rrf([Ranking(["x", "y"]), Ranking(["x", "z"])])
    assert fused[0].key == "x" and fused[0].score == pytest.approx(1.0)
    assert all(a.score >= b.score for a, b in itertools.pairwise(fused))
    assert all(0 < f.score <= 1 for f in fused)


def test_weights_decide_between_disagreeing_rankings() -> None:
    vector, keyword = ["v", "k"], ["k", "v"]
    assert rrf([Ranking(vector, 3.0), Ranking(keyword, 1.0)])[0].key == "v"
    assert rrf([Ranking(vector, 1.0), Ranking(keyword, 3.0)])[0].key == "k"
    only_keyword = rrf([Ranking(vector, 0.0), Ranking(keyword, 1.0)])
    assert [f.key for f in only_keyword] == ["k", "v"]


def test_duplicates_in_one_ranking_count_once_and_bad_input_is_refused() -> None:
    once = rrf([Ranking(["a", "a", "b"])])
    assert once[0].score == pytest.approx(1.0) and once[1].ranks == (3,)
    assert rrf([]) == []
    with pytest.raises(ValueError):
        rrf([Ranking(["a"], -1.0)])
    with pytest.raises(ValueError):
        rrf([Ranking(["a"])], k=0)
