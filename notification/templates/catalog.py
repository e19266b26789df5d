"""Finding the template a notification names: a stored id, or a name (tenant, platform, built-in).

Callers name templates by id (a UUID of a stored template) or by name ("password_reset"), so
the triggers can use names and a tenant overrides a built-in just by storing one of that name.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from mesh.errors import FieldViolation, InvalidArgument
from notification.domain.defaults import built_in
from notification.domain.templates import TemplateSpec, Texts, Variable
from notification.store import templates as store

__all__ = ["resolve", "spec_from_row", "spec_to_json"]


def spec_from_row(row: Row[Any]) -> TemplateSpec:
    return TemplateSpec(
        name=row.name,
        channel=row.channel,
        category=row.category,
        default_locale=row.default_locale,
        localizations={k: Texts(**v) for k, v in row.localizations.items()},
        variables=tuple(Variable(**v) for v in row.variables),
        description=row.description,
        provider_template_id=row.provider_template_id,
    )


def spec_to_json(spec: TemplateSpec) -> dict[str, Any]:
    """Column values of a spec (localizations and variables as JSON)."""
    return {
        "name": spec.name,
        "description": spec.description,
        "channel": spec.channel,
        "category": spec.category,
        "default_locale": spec.default_locale,
        "localizations": {
            k: {"subject": v.subject, "body": v.body, "html_body": v.html_body}
            for k, v in spec.localizations.items()
        },
        "variables": [
            {
                "name": v.name,
                "description": v.description,
                "required": v.required,
                "default_value": v.default_value,
            }
            for v in spec.variables
        ],
        "provider_template_id": spec.provider_template_id,
    }


async def resolve(db: AsyncSession, tenant_id: str, ref: str, field: str) -> tuple[TemplateSpec, str]:
    """(spec, id to record) for ``ref``; INVALID_ARGUMENT on ``field`` when nothing matches."""
    try:
        template_id = uuid.UUID(ref)
    except ValueError:
        template_id = None
    if template_id is not None:
        row = await store.get(db, tenant_id, template_id, own_only=False)
        if row is not None:
            return spec_from_row(row), str(row.id)
    else:
        row = await store.by_name(db, tenant_id, ref)
        if row is not None:
            return spec_from_row(row), str(row.id)
        spec = built_in(ref)
        if spec is not None:
            return spec, ref
    raise InvalidArgument("unknown template", [FieldViolation(field, "no such template")])
