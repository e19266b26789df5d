"""Text a hostile client can put in any field (NUL bytes, odd Unicode) never ends in INTERNAL.

Postgres refuses NUL in text columns; identity must answer such input as a bad or unknown
value (INVALID_ARGUMENT, NOT_FOUND, an empty list) before it reaches a query.
"""

from __future__ import annotations

import grpc
from chatmesh.identity.v1 import api_keys_pb2, audit_pb2, auth_pb2, rbac_pb2, tenants_pb2, users_pb2
from google.protobuf import field_mask_pb2

from tests.integration.identity.accounts.accounts_harness import PASSWORD, Accounts, bearer

NUL = "a\x00b"


async def test_nul_bytes_never_reach_postgres(accounts: Accounts) -> None:
    admin = bearer(await accounts.admin_token())
    calls = [
        (
            accounts.stub.Register,
            auth_pb2.RegisterRequest(email="n@example.com", password=PASSWORD, tenant=NUL),
            None,
        ),
        (
            accounts.stub.Login,
            auth_pb2.LoginRequest(email="n@example.com", password=PASSWORD, tenant=NUL),
            None,
        ),
        (accounts.stub.Login, auth_pb2.LoginRequest(email="n@example.com", password=NUL), None),
        (
            accounts.stub.RequestPasswordReset,
            auth_pb2.RequestPasswordResetRequest(email="n@example.com", tenant=NUL),
            None,
        ),
        (accounts.stub.ListUsers, users_pb2.ListUsersRequest(query=NUL), admin),
        (accounts.stub.ListUsers, users_pb2.ListUsersRequest(role_id=NUL), admin),
        (accounts.stub.GetRole, rbac_pb2.GetRoleRequest(role_id=NUL), admin),
        (
            accounts.stub.ListAuditEvents,
            audit_pb2.ListAuditEventsRequest(actor_id=NUL, action=NUL, resource_type=NUL, resource_id=NUL),
            admin,
        ),
        (
            accounts.stub.CreateTenant,
            tenants_pb2.CreateTenantRequest(tenant=tenants_pb2.Tenant(slug="nul-test", display_name=NUL)),
            admin,
        ),
        (
            accounts.stub.CreateRole,
            rbac_pb2.CreateRoleRequest(role=rbac_pb2.Role(name="nul_role", description=NUL)),
            admin,
        ),
        (accounts.stub.DisableUser, users_pb2.DisableUserRequest(user_id=NUL, reason=NUL), admin),
        (accounts.stub.GetUser, users_pb2.GetUserRequest(user_id=NUL), admin),
        (accounts.stub.VerifyEmail, auth_pb2.VerifyEmailRequest(token=NUL), None),
        (accounts.stub.ResetPassword, auth_pb2.ResetPasswordRequest(token=NUL, new_password=NUL), None),
        (accounts.stub.Refresh, auth_pb2.RefreshRequest(refresh_token=NUL), None),
        (
            accounts.stub.CreateApiKey,
            api_keys_pb2.CreateApiKeyRequest(api_key=api_keys_pb2.ApiKey(name=NUL, allowed_models=[NUL])),
            admin,
        ),
        (
            accounts.stub.UpdateTenant,
            tenants_pb2.UpdateTenantRequest(
                tenant=tenants_pb2.Tenant(
                    signup=tenants_pb2.TenantSignupPolicy(
                        mode=tenants_pb2.SIGNUP_MODE_EMAIL_DOMAINS, email_domains=[NUL], default_role_id=NUL
                    )
                ),
                update_mask=field_mask_pb2.FieldMask(paths=["signup"]),
            ),
            admin,
        ),
    ]
    internal = []
    for call, request, metadata in calls:
        try:
            await call(request, metadata=metadata, timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() in (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN):
                internal.append((type(request).__name__, exc.details()))
    assert not internal, ",".join(name for name, _ in internal)
