"""The local embedder: the bundled all-MiniLM-L6-v2 run on NumPy, checked against the
similarities the model's own documentation reports for sentence-transformers."""

from __future__ import annotations

import asyncio
import math

import pytest

from knowledge.embedding import LOCAL_DIMENSION, LocalEmbedder, make_embedder


@pytest.fixture(scope="module")
def embedder():
    local = LocalEmbedder(batch_size=4)
    yield local
    local.close()


def _cos(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


async def test_vectors_are_unit_length_and_in_input_order(embedder: LocalEmbedder) -> None:
    texts = ["short", "a much longer sentence about databases and indexes", "", "short"]
    vectors = await embedder.embed(texts)
    assert len(vectors) == 4
    for v in vectors:
        assert len(v) == LOCAL_DIMENSION
        assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-4)
    assert vectors[0] == pytest.approx(vectors[3], abs=1e-5)
    alone = await embedder.embed([texts[1]])
    assert alone[0] == pytest.approx(vectors[1], abs=1e-4)  # batching and padding change nothing


async def test_matches_the_reference_model(embedder: LocalEmbedder) -> None:
    # sentence-transformers' quickstart reports these scores for all-MiniLM-L6-v2.
    pairs = [
        ("The cat sits outside", "The cat plays in the garden", 0.6788),
        ("A man is playing guitar", "A woman watches TV", -0.0327),
        ("The new movie is awesome", "The new movie is so great", 0.8939),
    ]
    for a, b, expected in pairs:
        va, vb = await embedder.embed([a, b])
        assert _cos(va, vb) == pytest.approx(expected, abs=2e-3)


async def test_does_not_block_the_event_loop(embedder: LocalEmbedder) -> None:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(tick())
    await embedder.embed(["some text to embed " * 20] * 8)
    ticker.cancel()
    assert ticks > 10


async def test_long_inputs_are_embedded_window_by_window(embedder: LocalEmbedder) -> None:
    # Two halves of 254 word pieces each (one per window): the whole is their mean.
    first = " ".join(["aircraft wing lift"] * 84) + " drag lift"
    second = " ".join(["chocolate cake recipe"] * 84) + " oven cake"
    va, vb, whole, head = await embedder.embed([first, second, f"{first} {second}", first])
    mean = [a + b for a, b in zip(va, vb, strict=True)]
    norm = math.sqrt(sum(x * x for x in mean))
    assert whole == pytest.approx([x / norm for x in mean], abs=1e-4)
    assert _cos(whole, vb) > 0.5  # the second half is not cut off
    assert _cos(head, va) > 0.999


async def test_very_long_inputs_are_bounded_not_refused(embedder: LocalEmbedder) -> None:
    [vector] = await embedder.embed(["word " * 50_000])
    assert len(vector) == LOCAL_DIMENSION


def test_factory_names() -> None:
    local = make_embedder("local")
    assert local.model == "local/all-minilm-l6-v2"
    assert local.dimension == 384
    with pytest.raises(ValueError, match="model_router"):
        make_embedder("text-embedding-3-small", dimension=1536)
    with pytest.raises(ValueError, match="dimension"):
        make_embedder("text-embedding-3-small", router_stub=object())
