"""model_router's gRPC servicer: one class assembled from per-area mixins.

Each mixin (channels, models, inference, prices, quota, usage, health, routing) serves the
RPCs of one area; together they serve every RPC of ModelRouterService
(tests/unit/model_router/test_servicer.py checks none is left to the generated base).
Mixins reach their dependencies via ``self.deps``, which `model_router/assembly.py` builds.
"""

from __future__ import annotations

from chatmesh.model_router.v1 import model_router_pb2, model_router_pb2_grpc

from mesh.server import ServiceBinding
from model_router.api.channels import ChannelsApi
from model_router.api.health import HealthApi
from model_router.api.inference import InferenceApi
from model_router.api.models import ModelsApi
from model_router.api.prices import PricesApi
from model_router.api.quota import QuotaApi
from model_router.api.routing import RoutingApi
from model_router.api.usage import UsageApi
from model_router.deps import ModelRouterDeps

__all__ = ["SERVICE_NAME", "ModelRouterServicer", "binding"]

SERVICE_NAME: str = model_router_pb2.DESCRIPTOR.services_by_name["ModelRouterService"].full_name


class ModelRouterServicer(
    ChannelsApi,
    ModelsApi,
    InferenceApi,
    PricesApi,
    QuotaApi,
    UsageApi,
    HealthApi,
    RoutingApi,
    model_router_pb2_grpc.ModelRouterServiceServicer,
):
    def __init__(self, deps: ModelRouterDeps) -> None:
        self.deps = deps


def binding(deps: ModelRouterDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=model_router_pb2_grpc.add_ModelRouterServiceServicer_to_server,
        servicer=ModelRouterServicer(deps),
    )
