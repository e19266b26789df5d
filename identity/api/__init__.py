"""identity's gRPC servicer: one class assembled from per-area mixins.

Each mixin (accounts: tenants, users, sessions, tokens; access: API keys, RBAC,
audit; flows: email verification, password reset, OAuth, MFA) answers its RPCs
by converting protobuf, checking the caller and calling the use case in the
feature folder (``identity/accounts``, ``identity/oauth``, …). Mixins reach their
dependencies via ``self.deps``, which ``identity/assembly.py`` builds.
"""

from __future__ import annotations

from chatmesh.identity.v1 import identity_pb2, identity_pb2_grpc

from identity.api.access import AccessApi
from identity.api.accounts import AccountsApi
from identity.api.flows import FlowsApi
from identity.deps import IdentityDeps
from mesh.server import ServiceBinding

__all__ = ["SERVICE_NAME", "IdentityServicer", "binding"]

SERVICE_NAME: str = identity_pb2.DESCRIPTOR.services_by_name["IdentityService"].full_name


class IdentityServicer(AccountsApi, AccessApi, FlowsApi, identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, deps: IdentityDeps) -> None:
        self.deps = deps


def binding(deps: IdentityDeps) -> ServiceBinding:
    return ServiceBinding(
        name=SERVICE_NAME,
        add_to_server=identity_pb2_grpc.add_IdentityServiceServicer_to_server,
        servicer=IdentityServicer(deps),
    )
