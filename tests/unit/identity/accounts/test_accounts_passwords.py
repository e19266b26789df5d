"""The password policy and the user field rules (no database)."""

from __future__ import annotations

import pytest

from identity.domain.passwords import MAX_PASSWORD_LENGTH, password_problems
from identity.domain.users import (
    avatar_url_problem,
    default_username,
    email_key,
    email_problem,
    locale_problem,
    normalize_email,
    slug_problem,
    username_problem,
)


@pytest.mark.parametrize("password", ["Corr3ct-horse", "pässwörd-ünï", "1234abcd", "密码密码密码密码1"])
def test_acceptable_passwords(password: str) -> None:
    assert password_problems(password, email="someone@example.com", username="someone") == []


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("", "at least 8"),
        ("Ab1!", "at least 8"),
        ("a" * 8, "mix at least two"),
        ("12345678", "mix at least two"),
        ("Ab1" * 43, f"at most {MAX_PASSWORD_LENGTH}"),
        ("Someone@Example.com", "email or username"),
        ("Someone1", "email or username"),
    ],
)
def test_refused_passwords_say_why(password: str, fragment: str) -> None:
    problems = password_problems(password, email="someone@example.com", username="Someone1")
    assert any(fragment in p for p in problems), problems


def test_the_email_local_part_is_refused_too() -> None:
    assert password_problems("jane.doe2", email="jane.doe2@example.com", username="jd") != []


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("  Jane.Doe@Example.COM ", "Jane.Doe@example.com"),
        ("a@b.co", "a@b.co"),
    ],
)
def test_emails_are_normalised_and_compared_without_case(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized
    assert email_key(raw) == normalized.lower()
    assert email_problem(normalize_email(raw)) is None


@pytest.mark.parametrize(
    "email",
    [
        "",
        "plain",
        "@example.com",
        "a@",
        "a@localhost",
        "a..b@example.com",
        "a b@example.com",
        "a@-bad-.com",
        "x" * 65 + "@e.com",
    ],
)
def test_malformed_emails_are_refused(email: str) -> None:
    assert email_problem(email) is not None


def test_other_field_rules() -> None:
    assert username_problem("ok_name-1") is None and username_problem("-nope") and username_problem("")
    assert default_username("jane+tag@example.com") == "janetag"
    assert default_username("+++@example.com") == "user"
    assert avatar_url_problem("") is None and avatar_url_problem("https://cdn.example/a.png") is None
    assert avatar_url_problem("http://cdn.example/a.png") and avatar_url_problem("javascript:alert(1)")
    assert locale_problem("zh-CN") is None and locale_problem("en") is None and locale_problem("not a tag")
    assert (
        slug_problem("acme-1") is None and slug_problem("Acme") and slug_problem("-acme") and slug_problem("")
    )
