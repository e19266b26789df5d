"""The assembled servicer serves every RPC of OrchestratorService (none falls to the generated base)."""

from __future__ import annotations

from chatmesh.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc

from orchestrator.api import OrchestratorServicer


def test_every_rpc_is_served() -> None:
    base = orchestrator_pb2_grpc.OrchestratorServiceServicer
    service = orchestrator_pb2.DESCRIPTOR.services_by_name["OrchestratorService"]
    served = OrchestratorServicer
    unserved = [m.name for m in service.methods if getattr(served, m.name) is getattr(base, m.name)]
    assert unserved == []
