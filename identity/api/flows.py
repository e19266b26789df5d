"""Password reset, OAuth2/OIDC login and MFA RPCs: protobuf in, use cases, protobuf out.

The rules live in identity.domain (reset, oauth, mfa); the transactions in
identity.password_reset.reset, identity.oauth.login, identity.oauth.linked_accounts and
identity.mfa.totp. Handlers only parse, pick the caller, and build responses.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import grpc
from chatmesh.identity.v1 import auth_pb2, mfa_pb2, oauth_pb2

from identity.api.access_support import (
    Caller,
    origin_of,
    page_size,
    parse_cursor,
    parse_id,
    resolve_caller,
    to_timestamp,
)
from identity.api.account_messages import user_message
from identity.api.account_support import target_user
from identity.mfa.totp import (
    complete_mfa_login,
    confirm_totp,
    disable_totp,
    enroll_totp,
    mfa_status,
    regenerate_recovery_codes,
)
from identity.oauth.linked_accounts import list_linked_accounts, unlink_account
from identity.oauth.login import LINK, LOGIN, complete_oauth, start_oauth
from identity.password_reset.reset import request_password_reset, reset_password
from identity.store.oauth import LinkRow
from mesh.auth import current_principal
from mesh.errors import FieldViolation, InvalidArgument, PermissionDenied, Unauthenticated

if TYPE_CHECKING:
    from identity.deps import IdentityDeps

__all__ = ["FlowsApi"]

BEARER = "Bearer"
_INTENTS = {
    oauth_pb2.EXTERNAL_LOGIN_INTENT_UNSPECIFIED: LOGIN,
    oauth_pb2.EXTERNAL_LOGIN_INTENT_LOGIN: LOGIN,
    oauth_pb2.EXTERNAL_LOGIN_INTENT_LINK: LINK,
}


def linked_account_message(link: LinkRow) -> oauth_pb2.LinkedAccount:
    return oauth_pb2.LinkedAccount(
        id=str(link.id),
        user_id=str(link.user_id),
        provider_id=link.provider,
        provider_user_id=link.provider_user_id,
        provider_email=link.provider_email or "",
        provider_username=link.provider_username or "",
        create_time=to_timestamp(link.created_at),
        last_login_time=to_timestamp(link.last_login_at),
    )


def _user_caller_id() -> uuid.UUID | None:
    """The calling user on a public RPC, if the request carried a user's credentials."""
    principal = current_principal()
    if principal.kind != "user" or not principal.subject:
        return None
    try:
        return uuid.UUID(principal.subject)
    except ValueError:
        return None


class FlowsApi:
    """Mixin of IdentityServicer; dependencies come from ``self.deps``."""

    deps: IdentityDeps

    async def _person(self) -> Caller:
        """The calling user; an API key or a service may not change how a person logs in."""
        caller = await resolve_caller(self.deps)
        if caller.principal.kind != "user":
            raise PermissionDenied(
                "only a logged-in user can do this, not an API key", reason="USER_LOGIN_REQUIRED"
            )
        return caller

    # ---- password reset ----

    async def RequestPasswordReset(
        self, request: auth_pb2.RequestPasswordResetRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await request_password_reset(
            self.deps, email=request.email, tenant_ref=request.tenant, origin=origin_of(context)
        )
        return auth_pb2.RequestPasswordResetResponse()

    async def ResetPassword(
        self, request: auth_pb2.ResetPasswordRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        await reset_password(
            self.deps, token=request.token, new_password=request.new_password, origin=origin_of(context)
        )
        return auth_pb2.ResetPasswordResponse()

    # ---- OAuth ----

    async def StartOAuth(
        self, request: oauth_pb2.StartOAuthRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        intent = _INTENTS.get(request.intent)
        if intent is None:
            raise InvalidArgument("unknown intent", [FieldViolation("intent", "must be LOGIN or LINK")])
        caller_id = None
        if intent == LINK:
            caller_id = _user_caller_id()
            if caller_id is None:
                raise Unauthenticated(
                    "linking an account needs the user's access token", reason="CREDENTIALS_MISSING"
                )
            await self._person()
        started = await start_oauth(
            self.deps,
            provider_id=request.provider_id,
            redirect_uri=request.redirect_uri,
            intent=intent,
            caller_id=caller_id,
        )
        return oauth_pb2.StartOAuthResponse(
            authorization_url=started.authorization_url,
            state=started.state,
            expire_time=to_timestamp(started.expire_time),
        )

    async def CompleteOAuth(
        self, request: oauth_pb2.CompleteOAuthRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        result = await complete_oauth(
            self.deps,
            provider_id=request.provider_id,
            code=request.code,
            state=request.state,
            error=request.error,
            origin=origin_of(context),
            caller_id=_user_caller_id(),
        )
        response = oauth_pb2.CompleteOAuthResponse(
            user=user_message(result.user, mfa_enabled=result.mfa_enabled),
            user_created=result.created,
            linked_account=linked_account_message(result.link),
            mfa_required=bool(result.mfa_token),
            mfa_token=result.mfa_token,
        )
        if result.pair is not None:
            response.access_token = result.pair.access_token
            response.refresh_token = result.pair.refresh_token
            response.expires_in = result.pair.expires_in
            response.token_type = BEARER
        return response

    async def ListLinkedAccounts(
        self, request: oauth_pb2.ListLinkedAccountsRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        limit, after = page_size(request.page_size), parse_cursor(request.page_token)
        caller = await resolve_caller(self.deps)
        links, token = await list_linked_accounts(
            self.deps, caller, request.user_id, limit=limit, after=after
        )
        return oauth_pb2.ListLinkedAccountsResponse(
            linked_accounts=[linked_account_message(link) for link in links], next_page_token=token
        )

    async def UnlinkAccount(
        self, request: oauth_pb2.UnlinkAccountRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        link_id = parse_id(request.linked_account_id, "linked_account_id")
        caller = await self._person()
        await unlink_account(self.deps, caller, request.user_id, link_id, origin_of(context))
        return oauth_pb2.UnlinkAccountResponse()

    # ---- MFA ----

    async def GetMfaStatus(
        self, request: mfa_pb2.GetMfaStatusRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await resolve_caller(self.deps)
        async with self.deps.sessions() as db:
            user = await target_user(db, caller, request.user_id, permission="users:read")
            enabled, remaining = await mfa_status(db, user.id)
        return mfa_pb2.GetMfaStatusResponse(totp_enabled=enabled, recovery_codes_remaining=remaining)

    async def EnrollTotp(self, request: mfa_pb2.EnrollTotpRequest, context: grpc.aio.ServicerContext) -> Any:
        caller = await self._person()
        enrollment = await enroll_totp(self.deps, caller.user_id, origin_of(context))
        return mfa_pb2.EnrollTotpResponse(secret=enrollment.secret, otpauth_uri=enrollment.otpauth_uri)

    async def ConfirmTotp(
        self, request: mfa_pb2.ConfirmTotpRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await self._person()
        codes = await confirm_totp(self.deps, caller.user_id, request.code, origin_of(context))
        return mfa_pb2.ConfirmTotpResponse(recovery_codes=codes)

    async def DisableTotp(
        self, request: mfa_pb2.DisableTotpRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await self._person()
        await disable_totp(self.deps, caller.user_id, request.code, request.password, origin_of(context))
        return mfa_pb2.DisableTotpResponse()

    async def RegenerateRecoveryCodes(
        self, request: mfa_pb2.RegenerateRecoveryCodesRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        caller = await self._person()
        codes = await regenerate_recovery_codes(self.deps, caller.user_id, request.code, origin_of(context))
        return mfa_pb2.RegenerateRecoveryCodesResponse(recovery_codes=codes)

    async def CompleteMfaLogin(
        self, request: mfa_pb2.CompleteMfaLoginRequest, context: grpc.aio.ServicerContext
    ) -> Any:
        factor = request.WhichOneof("factor")
        result = await complete_mfa_login(
            self.deps,
            mfa_token=request.mfa_token,
            totp_code=request.totp_code if factor == "totp_code" else None,
            recovery_code=request.recovery_code if factor == "recovery_code" else None,
            origin=origin_of(context),
        )
        return mfa_pb2.CompleteMfaLoginResponse(
            user=user_message(result.user, mfa_enabled=True),
            access_token=result.pair.access_token,
            refresh_token=result.pair.refresh_token,
            expires_in=result.pair.expires_in,
            token_type=BEARER,
        )
