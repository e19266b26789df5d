# ruff: noqa: RUF001, E501  (Chinese texts use full-width punctuation; long template lines read better whole)
"""Built-in templates for every notification the service triggers itself, in English and Chinese.

A tenant (or the platform) overrides one by storing a template of the same name; these
stay the fallback so a fresh install mails working links without any setup.
"""

from __future__ import annotations

from notification.domain.templates import TemplateSpec, Texts, Variable

__all__ = ["BUILT_IN", "built_in"]

_NAME = Variable("display_name", "How to address the recipient", default_value="")


def _spec(
    name: str, channel: str, category: str, variables: tuple[Variable, ...], en: Texts, zh: Texts, about: str
) -> TemplateSpec:
    return TemplateSpec(
        name=name,
        channel=channel,
        category=category,
        default_locale="en",
        localizations={"en": en, "zh-CN": zh},
        variables=variables,
        description=about,
    )


_SPECS: tuple[TemplateSpec, ...] = (
    _spec(
        "email_verification",
        "email",
        "security",
        (_NAME, Variable("verify_url", "Verification link", required=True), Variable("expire_minutes")),
        Texts(
            "Confirm your email address",
            "Hi {{display_name or 'there'}},\n\nconfirm your email address by opening this link:\n\n{{verify_url}}\n\n"
            "{% if expire_minutes %}The link expires in {{expire_minutes}} minutes. {% endif %}"
            "If you did not sign up, ignore this email.\n",
            "<p>Hi {{display_name or 'there'}},</p><p>confirm your email address:</p>"
            '<p><a href="{{verify_url}}">Confirm email</a></p>'
            "<p>If you did not sign up, ignore this email.</p>",
        ),
        Texts(
            "请验证您的邮箱地址",
            "{{display_name or '用户'}}，您好：\n\n请打开以下链接验证邮箱地址：\n\n{{verify_url}}\n\n"
            "{% if expire_minutes %}链接将在 {{expire_minutes}} 分钟后失效。{% endif %}如果不是您本人注册，请忽略本邮件。\n",
            "<p>{{display_name or '用户'}}，您好：</p>"
            '<p><a href="{{verify_url}}">验证邮箱</a></p>'
            "<p>如果不是您本人注册，请忽略本邮件。</p>",
        ),
        "Sent when identity asks to prove an address (registration, email change)",
    ),
    _spec(
        "password_reset",
        "email",
        "security",
        (
            _NAME,
            Variable("reset_url", "Reset link with its token", required=True),
            Variable("expire_minutes"),
        ),
        Texts(
            "Reset your password",
            "Hi {{display_name or 'there'}},\n\nsomeone asked to reset the password of your account. "
            "To choose a new password, open this link:\n\n{{reset_url}}\n\n"
            "{% if expire_minutes %}The link expires in {{expire_minutes}} minutes and works once. {% endif %}"
            "If it was not you, ignore this email: your password stays as it is.\n",
            "<p>Hi {{display_name or 'there'}},</p><p>someone asked to reset the password of your account.</p>"
            '<p><a href="{{reset_url}}">Choose a new password</a></p>'
            "<p>If it was not you, ignore this email: your password stays as it is.</p>",
        ),
        Texts(
            "重置您的密码",
            "{{display_name or '用户'}}，您好：\n\n有人请求重置您账户的密码。请打开以下链接设置新密码：\n\n{{reset_url}}\n\n"
            "{% if expire_minutes %}链接 {{expire_minutes}} 分钟内有效，仅可使用一次。{% endif %}"
            "如果不是您本人操作，请忽略本邮件，您的密码不会改变。\n",
            "<p>{{display_name or '用户'}}，您好：</p>"
            '<p><a href="{{reset_url}}">设置新密码</a></p>'
            "<p>如果不是您本人操作，请忽略本邮件。</p>",
        ),
        "Sent for PasswordResetRequested",
    ),
    _spec(
        "welcome",
        "in_app",
        "product",
        (_NAME,),
        Texts("Welcome to chatmesh", "Hi {{display_name or 'there'}}, your account is ready.", ""),
        Texts("欢迎使用 chatmesh", "{{display_name or '用户'}}，您好，您的账户已就绪。", ""),
        "In-app greeting after registration",
    ),
    _spec(
        "email_changed",
        "email",
        "security",
        (_NAME, Variable("new_email", "The new address", required=True)),
        Texts(
            "Your email address was changed",
            "Hi {{display_name or 'there'}},\n\nthe email address of your account was changed to {{new_email}}. "
            "If you did not do this, reset your password and contact your administrator.\n",
            "",
        ),
        Texts(
            "您的邮箱地址已更改",
            "{{display_name or '用户'}}，您好：\n\n您账户的邮箱地址已更改为 {{new_email}}。如果不是您本人操作，请立即重置密码并联系管理员。\n",
            "",
        ),
        "Security notice to the old address after an email change",
    ),
    _spec(
        "api_key_created",
        "in_app",
        "security",
        (Variable("key_name", required=True), Variable("prefix", required=True)),
        Texts(
            "New API key {{key_name}}",
            "An API key named {{key_name}} ({{prefix}}…) was created for your account. "
            "If you did not create it, delete it now.",
            "",
        ),
        Texts(
            "已创建新的 API 密钥 {{key_name}}",
            "您的账户创建了名为 {{key_name}}（{{prefix}}…）的 API 密钥。如非本人操作，请立即删除。",
            "",
        ),
        "Security notice for ApiKeyCreated",
    ),
    _spec(
        "quota_exhausted",
        "in_app",
        "billing",
        (Variable("metric", required=True), Variable("limit"), Variable("used"), Variable("scope")),
        Texts(
            "Quota used up: {{metric}}",
            "The {{scope}} quota {{metric}} is used up ({{used}} of {{limit}}). "
            "Requests are refused until it is raised or renewed.",
            "",
        ),
        Texts(
            "配额已用尽：{{metric}}",
            "{{scope}} 配额 {{metric}} 已用尽（{{used}} / {{limit}}），在提高或续期之前请求将被拒绝。",
            "",
        ),
        "Sent for QuotaExhausted to the owner",
    ),
    _spec(
        "channel_status_changed",
        "in_app",
        "alerts",
        (
            Variable("channel_name", required=True),
            Variable("status", required=True),
            Variable("previous_status"),
            Variable("reason"),
        ),
        Texts(
            "Model channel {{channel_name}} is {{status}}",
            "Model channel {{channel_name}} went from {{previous_status}} to {{status}}. {{reason}}",
            "",
        ),
        Texts(
            "模型渠道 {{channel_name}} 状态：{{status}}",
            "模型渠道 {{channel_name}} 从 {{previous_status}} 变为 {{status}}。{{reason}}",
            "",
        ),
        "Sent for ChannelStatusChanged to tenant admins",
    ),
)

_ALERT = (
    Variable("rule_name", required=True),
    Variable("metric", required=True),
    Variable("value"),
    Variable("threshold"),
    Variable("state"),
    Variable("description"),
)
_SPECS += (
    _spec(
        "analytics_alert_firing",
        "email",
        "alerts",
        _ALERT,
        Texts(
            "Alert firing: {{rule_name}}",
            "{{rule_name}}: {{metric}} is {{value}} (threshold {{threshold}}).\n{{description}}\n",
            "<p><b>{{rule_name}}</b>: {{metric}} is {{value}} (threshold {{threshold}}).</p><p>{{description}}</p>",
        ),
        Texts(
            "告警触发：{{rule_name}}",
            "{{rule_name}}：{{metric}} 当前为 {{value}}（阈值 {{threshold}}）。\n{{description}}\n",
            "<p><b>{{rule_name}}</b>：{{metric}} 当前为 {{value}}（阈值 {{threshold}}）。</p><p>{{description}}</p>",
        ),
        "Sent for analytics alert rules when they fire",
    ),
    _spec(
        "analytics_alert_resolved",
        "email",
        "alerts",
        _ALERT,
        Texts(
            "Alert resolved: {{rule_name}}",
            "{{rule_name}} is back to normal: {{metric}} is {{value}} (threshold {{threshold}}).\n",
            "<p><b>{{rule_name}}</b> is back to normal: {{metric}} is {{value}} (threshold {{threshold}}).</p>",
        ),
        Texts(
            "告警已恢复：{{rule_name}}",
            "{{rule_name}} 已恢复正常：{{metric}} 当前为 {{value}}（阈值 {{threshold}}）。\n",
            "<p><b>{{rule_name}}</b> 已恢复正常：{{metric}} 当前为 {{value}}（阈值 {{threshold}}）。</p>",
        ),
        "Sent for analytics alert rules when they resolve",
    ),
)

BUILT_IN: dict[str, TemplateSpec] = {spec.name: spec for spec in _SPECS}


def built_in(name: str) -> TemplateSpec | None:
    return BUILT_IN.get(name)
