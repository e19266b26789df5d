"""Template admin RPCs: create, get, list, update (field mask), delete, and render without sending."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chatmesh.notification.v1 import templates_pb2 as pb

from mesh.errors import AlreadyExists, FieldViolation, InvalidArgument, NotFound
from mesh.paging import decode_offset, encode_offset, page_size
from notification.api.caller import acting_tenant
from notification.api.convert import CHANNEL_FROM_PB, struct_to_dict, template_to_pb
from notification.domain.defaults import built_in
from notification.domain.preferences import valid_category
from notification.domain.templates import TemplateProblem, TemplateSpec, Texts, Variable, render, validate
from notification.store import templates as store
from notification.templates.catalog import resolve, spec_from_row, spec_to_json

if TYPE_CHECKING:
    from notification.deps import NotificationDeps

__all__ = ["TemplatesApi"]

_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
_WRITABLE = (
    "name",
    "description",
    "channel",
    "category",
    "default_locale",
    "localizations",
    "variables",
    "provider_template_id",
)


def _spec(t: pb.Template) -> TemplateSpec:
    return TemplateSpec(
        name=t.name,
        channel=CHANNEL_FROM_PB[t.channel].value if t.channel in CHANNEL_FROM_PB else "",
        category=t.category,
        default_locale=t.default_locale or (t.localizations[0].locale if t.localizations else ""),
        localizations={x.locale: Texts(x.subject, x.body, x.html_body) for x in t.localizations},
        variables=tuple(Variable(v.name, v.description, v.required, v.default_value) for v in t.variables),
        description=t.description,
        provider_template_id=t.provider_template_id,
    )


def _checked(spec: TemplateSpec, localizations_given: int) -> TemplateSpec:
    problems = []
    if not _NAME.match(spec.name):
        problems.append(FieldViolation("template.name", "must be lowercase letters, digits, '_', '-' or '.'"))
    if not spec.channel:
        problems.append(FieldViolation("template.channel", "must be EMAIL, SMS or IN_APP"))
    if not valid_category(spec.category):
        problems.append(FieldViolation("template.category", "is required (lowercase letters, digits, '_')"))
    if localizations_given != len(spec.localizations):
        problems.append(FieldViolation("template.localizations", "locales must be unique"))
    for v in spec.variables:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", v.name):
            problems.append(FieldViolation("template.variables", f"{v.name!r} is not a variable name"))
    if not problems:
        try:
            validate(spec)
        except TemplateProblem as exc:
            problems.append(FieldViolation(exc.field, exc.message))
    if problems:
        raise InvalidArgument("invalid template", problems)
    return spec


def _pb(row: Any) -> pb.Template:
    return template_to_pb(
        spec_from_row(row),
        template_id=str(row.id),
        tenant_id=row.tenant_id,
        version=row.version,
        created=row.created_at,
        updated=row.updated_at,
    )


def _id(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as exc:
        raise InvalidArgument(
            "bad template_id", [FieldViolation("template_id", "is not a template id")]
        ) from exc


class TemplatesApi:
    deps: NotificationDeps

    async def CreateTemplate(
        self, request: pb.CreateTemplateRequest, context: Any
    ) -> pb.CreateTemplateResponse:
        spec = _checked(_spec(request.template), len(request.template.localizations))
        tenant_id = await acting_tenant("")
        now = datetime.now(UTC)
        values = {"id": uuid.uuid4(), "tenant_id": tenant_id, "created_at": now, "updated_at": now}
        async with self.deps.sessions.begin() as db:
            row = await store.create(db, values | spec_to_json(spec))
        if row is None:
            raise AlreadyExists("a template of that name exists", reason="TEMPLATE_EXISTS")
        return pb.CreateTemplateResponse(template=_pb(row))

    async def GetTemplate(self, request: pb.GetTemplateRequest, context: Any) -> pb.GetTemplateResponse:
        tenant_id = await acting_tenant("")
        spec = built_in(request.template_id)
        if spec is not None:
            template = template_to_pb(
                spec, template_id=spec.name, tenant_id="", version=0, created=None, updated=None
            )
            return pb.GetTemplateResponse(template=template)
        async with self.deps.sessions() as db:
            row = await store.get(db, tenant_id, _id(request.template_id), own_only=False)
        if row is None:
            raise NotFound("no such template", reason="TEMPLATE_NOT_FOUND")
        return pb.GetTemplateResponse(template=_pb(row))

    async def ListTemplates(self, request: pb.ListTemplatesRequest, context: Any) -> pb.ListTemplatesResponse:
        config = self.deps.config
        size = page_size(request.page_size, config.default_page_size, config.max_page_size)
        offset = decode_offset(request.page_token)
        tenant_id = await acting_tenant("")
        channel = CHANNEL_FROM_PB[request.channel].value if request.channel in CHANNEL_FROM_PB else ""
        async with self.deps.sessions() as db:
            rows = await store.list_page(
                db, tenant_id, channel=channel, category=request.category, offset=offset, limit=size + 1
            )
        return pb.ListTemplatesResponse(
            templates=[_pb(r) for r in rows[:size]],
            next_page_token=encode_offset(offset + size) if len(rows) > size else "",
        )

    async def UpdateTemplate(
        self, request: pb.UpdateTemplateRequest, context: Any
    ) -> pb.UpdateTemplateResponse:
        template_id = _id(request.template_id)
        paths = list(request.update_mask.paths) or [
            f.name for f, _ in request.template.ListFields() if f.name in _WRITABLE
        ]
        unknown = [p for p in paths if p not in _WRITABLE]
        if unknown:
            raise InvalidArgument(
                "bad update_mask", [FieldViolation("update_mask", f"cannot update {unknown}")]
            )
        tenant_id = await acting_tenant("")
        given = _spec(request.template)
        async with self.deps.sessions.begin() as db:
            row = await store.get(db, tenant_id, template_id, own_only=True)
            if row is None:
                raise NotFound("no such template", reason="TEMPLATE_NOT_FOUND")
            merged = replace(spec_from_row(row), **{p: getattr(given, p) for p in paths})
            count = (
                len(request.template.localizations) if "localizations" in paths else len(merged.localizations)
            )
            spec = _checked(merged, count)
            if "name" in paths and await store.name_taken(db, tenant_id, spec.name, template_id):
                raise AlreadyExists("a template of that name exists", reason="TEMPLATE_EXISTS")
            updated = await store.update_row(
                db, tenant_id, template_id, spec_to_json(spec), datetime.now(UTC)
            )
        return pb.UpdateTemplateResponse(template=_pb(updated))

    async def DeleteTemplate(
        self, request: pb.DeleteTemplateRequest, context: Any
    ) -> pb.DeleteTemplateResponse:
        template_id = _id(request.template_id)
        tenant_id = await acting_tenant("")
        async with self.deps.sessions.begin() as db:
            if not await store.remove(db, tenant_id, template_id):
                raise NotFound("no such template", reason="TEMPLATE_NOT_FOUND")
        return pb.DeleteTemplateResponse()

    async def RenderTemplate(
        self, request: pb.RenderTemplateRequest, context: Any
    ) -> pb.RenderTemplateResponse:
        if not request.template_id:
            raise InvalidArgument("bad template_id", [FieldViolation("template_id", "is required")])
        tenant_id = await acting_tenant("")
        async with self.deps.sessions() as db:
            spec, _ = await resolve(db, tenant_id, request.template_id, "template_id")
        try:
            out = render(spec, struct_to_dict(request.variables), request.locale)
        except TemplateProblem as exc:
            raise InvalidArgument("cannot render", [FieldViolation(exc.field, exc.message)]) from exc
        return pb.RenderTemplateResponse(
            subject=out.subject, body=out.body, html_body=out.html_body, locale=out.locale
        )
