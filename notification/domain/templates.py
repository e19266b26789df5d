"""Templates: texts per locale, declared variables, rendered in Jinja2's sandbox.

Templates come from tenant admins, so they are rendered in an immutable sandbox (no
attribute access to internals, no mutation), HTML bodies autoescape their values, and
every variable a text uses must be declared: a typo is refused when the template is saved,
not discovered when a user gets "Hello ," in production. Locales fall back from the exact
tag to its language ("zh-CN" → "zh"), then to the template's default locale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

__all__ = [
    "Rendered",
    "TemplateProblem",
    "TemplateSpec",
    "Texts",
    "Variable",
    "pick_locale",
    "render",
    "validate",
]

MAX_TEXT_CHARS = 100_000
MAX_VALUE_CHARS = 10_000

_PLAIN = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
)
_HTML = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=True, keep_trailing_newline=True)


class TemplateProblem(ValueError):
    """A template or its variables are unusable; ``field`` names what is wrong."""

    def __init__(self, field_path: str, message: str) -> None:
        super().__init__(f"{field_path}: {message}")
        self.field = field_path
        self.message = message


@dataclass(frozen=True)
class Texts:
    subject: str = ""
    body: str = ""
    html_body: str = ""


@dataclass(frozen=True)
class Variable:
    name: str
    description: str = ""
    required: bool = False
    default_value: str = ""


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    channel: str
    category: str
    default_locale: str
    localizations: Mapping[str, Texts]
    variables: tuple[Variable, ...] = ()
    description: str = ""
    provider_template_id: str = ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    html_body: str
    locale: str
    values: dict[str, str] = field(default_factory=dict)


def _used(env: ImmutableSandboxedEnvironment, text: str, where: str) -> set[str]:
    try:
        ast: nodes.Template = env.parse(text)
    except TemplateError as exc:
        raise TemplateProblem(where, f"does not parse: {exc}") from exc
    return set(meta.find_undeclared_variables(ast))


def validate(spec: TemplateSpec) -> None:
    """Raise TemplateProblem for anything that would fail at send time."""
    if not spec.localizations:
        raise TemplateProblem("template.localizations", "at least one locale is required")
    if spec.default_locale not in spec.localizations:
        raise TemplateProblem("template.default_locale", "must be one of the localizations")
    declared = {v.name for v in spec.variables}
    if len(declared) != len(spec.variables):
        raise TemplateProblem("template.variables", "names must be unique")
    for i, (locale, texts) in enumerate(sorted(spec.localizations.items())):
        where = f"template.localizations[{i}]"
        if not locale:
            raise TemplateProblem(f"{where}.locale", "is required")
        if not (texts.subject or texts.body or texts.html_body):
            raise TemplateProblem(where, "needs a subject, body or html_body")
        for name, text, env in (
            ("subject", texts.subject, _PLAIN),
            ("body", texts.body, _PLAIN),
            ("html_body", texts.html_body, _HTML),
        ):
            if len(text) > MAX_TEXT_CHARS:
                raise TemplateProblem(f"{where}.{name}", f"is longer than {MAX_TEXT_CHARS} characters")
            unknown = _used(env, text, f"{where}.{name}") - declared
            if unknown:
                raise TemplateProblem(f"{where}.{name}", f"uses undeclared variables {sorted(unknown)}")


def pick_locale(available: set[str] | Mapping[str, Any], wanted: str, default: str) -> str:
    """The best localization for ``wanted``: exact, same language, then ``default``."""
    keys = {k.lower(): k for k in available}
    if wanted:
        exact = keys.get(wanted.lower())
        if exact:
            return exact
        language = wanted.lower().split("-")[0]
        for key, original in keys.items():
            if key.split("-")[0] == language:
                return original
    return default


def _values(spec: TemplateSpec, given: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for var in spec.variables:
        raw = given.get(var.name)
        if raw is None or raw == "":
            if var.required and not var.default_value:
                raise TemplateProblem(f"variables.{var.name}", "is required")
            values[var.name] = var.default_value
            continue
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise TemplateProblem(f"variables.{var.name}", "must be a string or a number")
        text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else str(raw)
        if len(text) > MAX_VALUE_CHARS:
            raise TemplateProblem(f"variables.{var.name}", f"is longer than {MAX_VALUE_CHARS} characters")
        values[var.name] = text
    return values


def _render(env: ImmutableSandboxedEnvironment, text: str, values: dict[str, str], where: str) -> str:
    if not text:
        return ""
    try:
        return env.from_string(text).render(values)
    except (TemplateError, SecurityError) as exc:
        raise TemplateProblem(where, f"does not render: {exc}") from exc


def render(spec: TemplateSpec, given: Mapping[str, Any], locale: str = "") -> Rendered:
    """Render ``spec`` for ``locale`` with ``given`` values (declared variables only)."""
    chosen = pick_locale(spec.localizations, locale, spec.default_locale)
    texts = spec.localizations[chosen]
    values = _values(spec, given)
    return Rendered(
        subject=_render(_PLAIN, texts.subject, values, "subject").strip(),
        body=_render(_PLAIN, texts.body, values, "body"),
        html_body=_render(_HTML, texts.html_body, values, "html_body"),
        locale=chosen,
        values=values,
    )
