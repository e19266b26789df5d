"""Template rules: declared variables only, required enforced, HTML escaped, sandboxed, locale fallback."""

from __future__ import annotations

import pytest

from notification.domain.defaults import BUILT_IN
from notification.domain.templates import (
    TemplateProblem,
    TemplateSpec,
    Texts,
    Variable,
    pick_locale,
    render,
    validate,
)


def _spec(**texts: Texts) -> TemplateSpec:
    return TemplateSpec(
        name="t",
        channel="email",
        category="product",
        default_locale="en",
        localizations=texts or {"en": Texts("Hi {{name}}", "Body {{name}}", "<p>{{name}}</p>")},
        variables=(Variable("name", required=True), Variable("team", default_value="chatmesh")),
    )


def test_every_built_in_template_is_valid_in_english_and_chinese() -> None:
    for spec in BUILT_IN.values():
        validate(spec)
        assert {"en", "zh-CN"} <= set(spec.localizations)


def test_undeclared_variable_is_refused_when_saved() -> None:
    with pytest.raises(TemplateProblem) as caught:
        validate(_spec(en=Texts("Hi {{nmae}}")))
    assert "nmae" in caught.value.message


def test_syntax_error_is_refused_when_saved() -> None:
    with pytest.raises(TemplateProblem, match="does not parse"):
        validate(_spec(en=Texts("Hi {{name")))


def test_required_variable_missing_fails_and_defaults_fill_in() -> None:
    with pytest.raises(TemplateProblem) as caught:
        render(_spec(en=Texts("{{name}} of {{team}}")), {})
    assert caught.value.field == "variables.name"
    assert render(_spec(en=Texts("{{name}} of {{team}}")), {"name": "Ann"}).subject == "Ann of chatmesh"


def test_values_are_escaped_in_html_but_not_in_plain_text() -> None:
    out = render(_spec(), {"name": "<script>x</script>"})
    assert out.body == "Body <script>x</script>"
    assert out.html_body == "<p>&lt;script&gt;x&lt;/script&gt;</p>"


def test_values_must_be_strings_or_numbers() -> None:
    with pytest.raises(TemplateProblem):
        render(_spec(), {"name": {"nested": 1}})
    assert render(_spec(), {"name": 3.0}).subject == "Hi 3"


def test_the_sandbox_refuses_reaching_into_python() -> None:
    spec = TemplateSpec(
        name="t",
        channel="email",
        category="x",
        default_locale="en",
        localizations={"en": Texts("{{ name.__class__.__mro__ }}")},
        variables=(Variable("name"),),
    )
    with pytest.raises(TemplateProblem):
        render(spec, {"name": "a"})


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [("zh-CN", "zh-CN"), ("zh-cn", "zh-CN"), ("zh-TW", "zh-CN"), ("zh", "zh-CN"), ("fr", "en"), ("", "en")],
)
def test_locale_falls_back_to_the_language_then_the_default(wanted: str, chosen: str) -> None:
    assert pick_locale({"en", "zh-CN"}, wanted, "en") == chosen
