"""Templates: a tenant overrides a built-in by name, bad templates are refused, render previews."""

from __future__ import annotations

import grpc
import pytest
from chatmesh.events.v1 import identity_events_pb2 as identity
from chatmesh.notification.v1 import notifications_pb2 as pb
from chatmesh.notification.v1 import templates_pb2 as tpl
from google.protobuf import field_mask_pb2, struct_pb2

from tests.fakes.smtp_sink import SmtpSink
from tests.integration.notification.notif_harness import (
    ADMIN,
    ALICE,
    ALICE_ID,
    MALLORY,
    Service,
    eventually,
    publish,
)


def _reset_override() -> tpl.Template:
    return tpl.Template(
        name="password_reset",
        channel=pb.NOTIFICATION_CHANNEL_EMAIL,
        category="security",
        default_locale="en",
        localizations=[
            tpl.TemplateLocalization(locale="en", subject="Acme reset", body="Go to {{reset_url}}")
        ],
        variables=[tpl.TemplateVariable(name="reset_url", required=True)],
    )


async def test_a_tenant_template_overrides_the_built_in_for_that_tenant_only(
    service: Service, smtp: SmtpSink
) -> None:
    created = (
        await service.stub.CreateTemplate(
            tpl.CreateTemplateRequest(template=_reset_override()), metadata=ADMIN
        )
    ).template
    assert created.version == 1 and created.tenant_id == "t1"
    for tenant, address in (("t1", "acme@example.com"), ("t2", "other@example.com")):
        event = identity.PasswordResetRequested(
            user_id=ALICE_ID, email=address, reset_url="http://gw/r?token=z"
        )
        await publish(service.redis, "identity", event, tenant_id=tenant)
    [acme] = await eventually(lambda: _mail(smtp, "acme@example.com"))
    [other] = await eventually(lambda: _mail(smtp, "other@example.com"))
    assert acme["Subject"] == "Acme reset"
    assert acme.get_body(("plain",)).get_content().strip() == "Go to http://gw/r?token=z"
    assert other["Subject"] == "Reset your password"

    hidden = service.stub.GetTemplate(tpl.GetTemplateRequest(template_id=created.id), metadata=MALLORY)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await hidden
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND

    renamed = tpl.UpdateTemplateRequest(
        template_id=created.id,
        template=tpl.Template(description="ours"),
        update_mask=field_mask_pb2.FieldMask(paths=["description"]),
    )
    updated = (await service.stub.UpdateTemplate(renamed, metadata=ADMIN)).template
    assert (updated.version, updated.description) == (2, "ours")
    await service.stub.DeleteTemplate(tpl.DeleteTemplateRequest(template_id=created.id), metadata=ADMIN)


async def test_templates_using_undeclared_variables_are_refused(service: Service) -> None:
    bad = _reset_override()
    bad.name = "typo"
    bad.localizations[0].body = "Go to {{reset_link}}"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.CreateTemplate(tpl.CreateTemplateRequest(template=bad), metadata=ADMIN)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "reset_link" in str(caught.value.trailing_metadata())


async def test_render_previews_a_built_in_in_chinese_and_checks_variables(service: Service) -> None:
    variables = struct_pb2.Struct()
    variables.update({"reset_url": "http://gw/r?token=1", "expire_minutes": 10})
    request = tpl.RenderTemplateRequest(template_id="password_reset", variables=variables, locale="zh-CN")
    out = await service.stub.RenderTemplate(request, metadata=ADMIN)
    assert out.locale == "zh-CN" and out.subject == "重置您的密码"
    assert "http://gw/r?token=1" in out.body
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await service.stub.RenderTemplate(
            tpl.RenderTemplateRequest(template_id="password_reset"), metadata=ADMIN
        )
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.aio.AioRpcError) as denied:
        await service.stub.RenderTemplate(request, metadata=ALICE)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def _mail(smtp: SmtpSink, address: str) -> list[object]:
    return list(smtp.to(address))
