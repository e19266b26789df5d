"""Who may call the compatible APIs, and how often: authentication, then the model-aware rate limit.

These routes are never public, whatever the protos say about other routes: an OpenAI or
Anthropic client always sends a key, and a call with no credential at all is refused here
(401) rather than sent on to model_router. Authentication is gw-core's EdgeAuthenticator
(JWTs locally, `sk-` keys through identity, which also checks the key's allowed models,
hence the model named in the request is handed to it).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from starlette.requests import Request

from gateway.compat.errors import Problem, ProblemError, problem_from_domain
from gateway.edge_auth import Authenticator, EdgeCaller
from gateway.policies.ratelimit import RateLimited
from gateway.policies.ratelimit_asgi import limit_request
from mesh.errors import DomainError

MISSING_REASON = "CREDENTIALS_MISSING"
MISSING_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header "
    "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or in an x-api-key header."
)


def requested_model(body: Any) -> str:
    """The model a body names, read before the body is validated: identity checks keys against it."""
    model = body.get("model") if isinstance(body, dict) else None
    return model if isinstance(model, str) else ""


async def authenticate(request: Request, authenticator: Authenticator, *, model: str = "") -> EdgeCaller:
    """The caller behind the request's credentials; ProblemError (401) when there are none or they fail.

    An authenticator that forwards credentials unchecked (no verifier configured) answers with an
    anonymous principal and the credential's metadata; model_router then judges the credential.
    """
    try:
        caller = await authenticator.authenticate(request, model=model)
    except DomainError as err:
        if err.reason == MISSING_REASON:
            raise _missing_key() from err
        raise ProblemError(problem_from_domain(err)) from err
    if not caller.principal.is_authenticated and not caller.metadata:
        raise _missing_key()
    return caller


def _missing_key() -> ProblemError:
    return ProblemError(Problem("authentication", MISSING_KEY, code="invalid_api_key"))


async def limit(request: Request, caller: EdgeCaller, *, rpc: str, model: str | None) -> None:
    """Count the request against the edge's limits (per IP, user, key, tenant and model).

    ``rpc`` is the model_router method the route maps to, so one rule covers this route and the
    transcoded one alike. Without gw-edge's RateLimitMiddleware installed nothing is limited; with
    it, the middleware puts the X-RateLimit-* headers on whatever response the route sends.
    """
    principal = caller.principal
    try:
        await limit_request(
            request,
            route=rpc,
            user_id=principal.user_id,
            api_key_id=caller.api_key_id,
            tenant_id=principal.tenant_id or None,
            model=model or None,
        )
    except RateLimited as refused:
        problem = replace(problem_from_domain(refused), headers=refused.headers)
        raise ProblemError(problem) from refused
