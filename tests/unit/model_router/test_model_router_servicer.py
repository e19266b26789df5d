"""The assembled servicer serves every RPC of ModelRouterService (none falls to the generated base)."""

from __future__ import annotations

from chatmesh.model_router.v1 import model_router_pb2, model_router_pb2_grpc

from model_router.api import ModelRouterServicer


def test_every_rpc_is_served() -> None:
    base = model_router_pb2_grpc.ModelRouterServiceServicer
    service = model_router_pb2.DESCRIPTOR.services_by_name["ModelRouterService"]
    served = ModelRouterServicer
    unserved = [m.name for m in service.methods if getattr(served, m.name) is getattr(base, m.name)]
    assert unserved == []
