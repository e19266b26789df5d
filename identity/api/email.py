"""VerifyEmail and RequestEmailVerification: proving the address a user logs in and resets with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.identity.v1 import auth_pb2

from identity.accounts.email_verification import request_verification, verify_email
from identity.api.access_support import origin_of, resolve_person

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["EmailApi"]


class EmailApi:
    deps: IdentityDeps

    async def VerifyEmail(
        self, request: auth_pb2.VerifyEmailRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await verify_email(self.deps, request.token, origin_of(context))
        return auth_pb2.VerifyEmailResponse()

    async def RequestEmailVerification(
        self, request: auth_pb2.RequestEmailVerificationRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_person(self.deps)
        await request_verification(self.deps, caller.user_id)
        return auth_pb2.RequestEmailVerificationResponse()
