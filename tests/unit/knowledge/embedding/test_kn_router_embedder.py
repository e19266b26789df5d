"""RouterEmbedder over a real gRPC channel to a stand-in ModelRouterService.Embed, and the
content-hash cache in front of an embedder."""

from __future__ import annotations

import math

import grpc
import pytest
from chatmesh.model_router.v1 import chat_pb2, inference_pb2, model_router_pb2_grpc

from knowledge.embedding import (
    CachedEmbedder,
    EmbeddingError,
    MemoryCacheStore,
    RouterEmbedder,
    Routing,
    make_embedder,
)


class _Router(model_router_pb2_grpc.ModelRouterServiceServicer):
    """Answers Embed with unnormalised vectors derived from the text; can be told to fail."""

    def __init__(self) -> None:
        self.requests: list[inference_pb2.EmbedRequest] = []
        self.fail: grpc.StatusCode | None = None
        self.dimension = 4
        self.drop_one = False

    async def Embed(self, request, context):
        self.requests.append(request)
        if self.fail is not None:
            await context.abort(self.fail, "upstream down")
        data = [
            chat_pb2.Embedding(object="embedding", index=i, embedding=_raw(text, self.dimension))
            for i, text in enumerate(request.input)
        ]
        if self.drop_one:
            data = data[1:]
        return inference_pb2.EmbedResponse(object="list", data=list(reversed(data)), model=request.model)


def _raw(text: str, dimension: int) -> list[float]:
    return [float(len(text) + i) for i in range(dimension)]


@pytest.fixture
async def router():
    servicer = _Router()
    server = grpc.aio.server()
    model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield servicer, model_router_pb2_grpc.ModelRouterServiceStub(channel)
    await channel.close()
    await server.stop(None)


async def test_batches_orders_and_normalises(router) -> None:
    servicer, stub = router
    embedder = RouterEmbedder(stub, model="text-embedding-3-small", dimension=4, batch_size=2)
    embedder = embedder.for_caller(Routing(tenant_id="t1", user_id="u1", request_id="r1"))
    texts = ["a", "bbb", "cc", "dddd", "e"]
    vectors = await embedder.embed(texts, input_type="query")
    assert len(servicer.requests) == 3
    first = servicer.requests[0]
    assert list(first.input) == ["a", "bbb"]
    assert first.input_type == "query"
    assert first.routing.tenant_id == "t1"
    assert first.routing.user_id == "u1"
    assert first.routing.source == "knowledge"
    assert not first.HasField("dimensions")
    for text, vector in zip(texts, vectors, strict=True):
        raw = _raw(text, 4)
        norm = math.sqrt(sum(x * x for x in raw))
        assert vector == pytest.approx([x / norm for x in raw])


async def test_wrong_dimension_and_missing_vectors_are_errors(router) -> None:
    servicer, stub = router
    with pytest.raises(EmbeddingError, match="dimensions"):
        await RouterEmbedder(stub, model="m", dimension=8).embed(["x"])
    servicer.drop_one = True
    with pytest.raises(EmbeddingError, match="1 vectors for 2 inputs"):
        await RouterEmbedder(stub, model="m", dimension=4).embed(["x", "y"])


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        (grpc.StatusCode.UNAVAILABLE, True),
        (grpc.StatusCode.NOT_FOUND, False),
        (grpc.StatusCode.INVALID_ARGUMENT, False),
    ],
)
async def test_rpc_failures_say_whether_to_retry(router, code: grpc.StatusCode, retryable: bool) -> None:
    servicer, stub = router
    servicer.fail = code
    with pytest.raises(EmbeddingError) as caught:
        await RouterEmbedder(stub, model="m", dimension=4).embed(["x"])
    assert caught.value.retryable is retryable
    assert code.name in str(caught.value)


async def test_factory_builds_a_cached_router_embedder(router) -> None:
    servicer, stub = router
    store = MemoryCacheStore()
    embedder = make_embedder("text-embedding-3-small", router_stub=stub, dimension=4, cache=store)
    assert isinstance(embedder, CachedEmbedder)
    first = await embedder.embed(["same", "other", "same"])
    assert [list(r.input) for r in servicer.requests] == [["same", "other"]]  # duplicates embedded once
    again = await embedder.embed(["other", "same"])
    assert len(servicer.requests) == 1  # all hits
    assert again[0] == pytest.approx(first[1], abs=1e-6)  # stored as float32
    assert again[1] == pytest.approx(first[0], abs=1e-6)
    await embedder.embed(["same"], input_type="query")  # another input type is another key
    assert len(servicer.requests) == 2


class _BrokenStore:
    async def get_many(self, keys):
        raise ConnectionError("redis down")

    async def set_many(self, items):
        raise ConnectionError("redis down")


async def test_a_broken_cache_store_only_costs_hits(router) -> None:
    _, stub = router
    embedder = CachedEmbedder(RouterEmbedder(stub, model="m", dimension=4), _BrokenStore())
    assert len(await embedder.embed(["x", "y"])) == 2


async def test_memory_store_is_bounded() -> None:
    store = MemoryCacheStore(max_entries=2)
    await store.set_many({"a": b"1", "b": b"2"})
    await store.get_many(["a"])
    await store.set_many({"c": b"3"})
    assert await store.get_many(["a", "b", "c"]) == [b"1", None, b"3"]
