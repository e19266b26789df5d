"""identity's gRPC servicer: one class assembled from per-area mixins.

Each mixin (accounts: id-core, access: id-access, flows: id-flows) overrides
the RPCs it builds; whatever none of them overrides still answers UNIMPLEMENTED
through the sanctioned stub base. Mixins reach their dependencies via
``self.deps``, which `identity/__main__.py` builds.
"""

from __future__ import annotations

from chatmesh.identity.v1 import identity_pb2, identity_pb2_grpc

from identity.api.access import AccessApi
from identity.api.accounts import AccountsApi
from identity.api.flows import FlowsApi
from identity.deps import IdentityDeps
from mesh.server import ServiceBinding, unimplemented

__all__ = ["SERVICE_NAME", "IdentityServicer", "binding"]

SERVICE_NAME: str = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name

_Unbuilt = unimplemented(identity_pb2_grpc.IdentityServiceServicer, issue="issue 3")


class IdentityServicer(AccountsApi, AccessApi, FlowsApi, _Unbuilt):  # type: ignore[misc,valid-type]
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps


def binding(deps: IdentityDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=IdentityServicer(deps),
    )
