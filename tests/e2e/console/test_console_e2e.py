"""The web console at /console/ in a real headless chromium, against the whole mesh as processes.

The seed channel points at the fake OpenAI-compatible upstream, which streams its answer
piece by piece with a delay, so the browser is seen showing part of an answer before the
rest. A user signs up, chats (the answer streams in, Markdown is rendered and HTML in it is
shown as text), stops an answer midway, reloads mid-answer and sees it resume, creates an API
key and finds it listed, signs out and back in. The super-admin sees the channels page; a plain
user does not. Also over plain HTTP: the page and every asset carry the strict CSP. Screenshots
of each step land in .build/e2e-console/.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from gateway.console import CSP, load_assets
from tests.e2e.console.browser import Page, chromium
from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import REPO, Mesh, make_mesh

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o-mini"
PASSWORD = "e2e-Passw0rd!"
MARKDOWN = FakeReply(pieces=("Hello", " **bold**", " <img src=x onerror=alert(1)>", " `code`", " done."))
LONG = FakeReply(pieces=tuple(f"w{i} " for i in range(80)))
SHOTS = REPO / ".build" / "e2e-console"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=MARKDOWN)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def mesh(tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream) -> Iterator[Mesh]:
    started = make_mesh(
        tmp_path_factory.mktemp("console"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
        },
    )
    with started.running():
        yield started


@pytest.fixture(scope="module")
def page(mesh: Mesh) -> Iterator[Page]:
    with chromium(SHOTS) as opened:
        yield opened


def _status(page: Page) -> str:
    return str(page.css(".msg.assistant:last-of-type").get_attribute("data-status"))


def _answer(page: Page) -> str:
    return str(page.css(".msg.assistant:last-of-type .body").text)


def _sign_up(page: Page, mesh: Mesh) -> str:
    email = f"console-{uuid.uuid4().hex[:8]}@example.com"
    # A new tab has an empty sessionStorage: the last user's session stays behind in the old one.
    old = page.driver.current_window_handle
    page.driver.switch_to.new_window("tab")
    fresh = page.driver.current_window_handle
    page.driver.switch_to.window(old)
    page.driver.close()
    page.driver.switch_to.window(fresh)
    page.driver.get(f"{mesh.gateway}/console/")
    page.click("#to-signup")
    page.type("#signup-form input[name=email]", email)
    page.type("#signup-form input[name=password]", PASSWORD)
    page.screenshot("sign-up")
    page.click("#auth-submit")
    page.css("#prompt")
    assert page.text("#whoami") == email
    return email


def _send(page: Page, text: str) -> None:
    page.until(lambda d: page.css("#model").get_attribute("value") == MODEL, "the model list")
    page.type("#prompt", text)
    page.click("#send")


def test_page_and_assets_carry_the_strict_csp(mesh: Mesh) -> None:
    with httpx.Client(base_url=mesh.gateway, timeout=10) as http:
        index = http.get("/console/")
        assert index.status_code == 200
        assert index.headers["content-type"] == "text/html; charset=utf-8"
        assert index.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert index.headers["x-content-type-options"] == "nosniff"
        referenced = set(re.findall(r'(?:src|href)="([^"]+)"', index.text))
        assert {"app.js", "style.css", "icon.svg"} <= referenced
        types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".html": "text/html"}
        for name in load_assets():
            answer = http.get(f"/console/{name}")
            assert answer.status_code == 200, name
            assert answer.headers["content-security-policy"] == CSP, name
            assert answer.headers["content-type"].startswith(types[Path(name).suffix]), name
            assert answer.headers["cache-control"] == "no-cache", name
            again = http.get(f"/console/{name}", headers={"if-none-match": answer.headers["etag"]})
            assert again.status_code == 304 and again.content == b"", name
        assert http.get("/console/missing.js").status_code == 404
        assert http.get("/console/../pyproject.toml").status_code == 404
        moved = http.get("/console", follow_redirects=False)
        assert moved.status_code == 308 and moved.headers["location"] == "/console/"


def test_sign_up_chat_streams_and_api_key_is_listed(
    page: Page, mesh: Mesh, upstream: FakeLLMUpstream
) -> None:
    upstream.reply, upstream.chunk_delay = MARKDOWN, 0.4
    email = _sign_up(page, mesh)
    page.screenshot("chat-empty")

    _send(page, "Say hello")
    page.until(lambda d: "Hello" in _answer(page), "the first piece of the answer")
    assert _status(page) == "MESSAGE_STATUS_IN_PROGRESS", "the answer showed only once complete"
    assert "done." not in _answer(page)
    page.screenshot("streaming")
    page.until(lambda d: _status(page) == "MESSAGE_STATUS_COMPLETE", "the answer to finish")
    page.screenshot("answered")
    body = page.css(".msg.assistant:last-of-type .body")
    assert _answer(page) == "Hello bold <img src=x onerror=alert(1)> code done."
    assert body.find_element(By.CSS_SELECTOR, "strong").text == "bold"
    assert body.find_element(By.CSS_SELECTOR, "code").text == "code"
    assert page.all(".msg img") == []
    assert [a.text for a in page.all(".conv-list a")] == ["Say hello"]

    upstream.reply = FakeReply(pieces=("Another", " answer."))
    page.click("#regenerate")
    page.until(lambda d: _answer(page) == "Another answer.", "the regenerated answer")
    page.until(lambda d: _status(page) == "MESSAGE_STATUS_COMPLETE", "the regenerated answer complete")
    assert len(page.all(".msg.assistant")) == 1
    page.driver.refresh()
    page.until(lambda d: _answer(page) == "Another answer.", "the new branch shown after a reload")
    assert page.text(".msg.assistant .branch-at") == "2/2"
    page.click(".msg.assistant button.previous")
    page.until(lambda d: _answer(page).startswith("Hello bold"), "the first answer's branch")
    assert page.text(".msg.assistant .branch-at") == "1/2"
    page.screenshot("branches")

    page.click(".msg.user .edit-message")
    page.type(".msg.user .edit-field", "Say hi instead")
    page.click(".msg.user .save-edit")
    page.until(lambda d: page.all(".msg.user .branch-at"), "the edited question's branches")
    assert page.text(".msg.user .body") == "Say hi instead"
    assert page.text(".msg.user .branch-at") == "2/2"
    page.until(lambda d: _answer(page) == "Another answer.", "the edited question answered")
    page.screenshot("edited")

    page.click('a[data-nav="account"]')
    page.type("#key-name", "laptop")
    page.click("#create-key")
    secret = page.text("#secret-value")
    assert secret.startswith("sk-")
    page.until(lambda d: [e.text for e in page.all("#api-keys .key-name")] == ["laptop"], "the key listed")
    page.screenshot("api-key")
    with httpx.Client(base_url=mesh.gateway, timeout=10) as http:
        models = http.get("/v1/models", headers={"authorization": f"Bearer {secret}"})
        assert models.status_code == 200 and MODEL in models.text

    page.click('a[data-nav="account"]')
    page.css("#api-keys .key-name")
    revoke = page.css("#api-keys button.danger")
    revoke.click()
    page.css("#api-keys button.danger").click()
    page.until(lambda d: not page.all("#api-keys .key-name"), "the key revoked")
    with httpx.Client(base_url=mesh.gateway, timeout=10) as http:
        assert http.get("/v1/models", headers={"authorization": f"Bearer {secret}"}).status_code == 401

    page.click("#sign-out")
    page.css("#signin-form")
    page.type("#signin-form input[name=email]", email)
    page.type("#signin-form input[name=password]", PASSWORD)
    page.click("#auth-submit")
    page.click('a[data-nav="chat"]')
    page.until(lambda d: [a.text for a in page.all(".conv-list a")] == ["Say hello"], "history after sign-in")
    assert page.severe_console_messages() == []


def test_stop_and_reload_mid_answer(page: Page, mesh: Mesh, upstream: FakeLLMUpstream) -> None:
    upstream.reply, upstream.chunk_delay = LONG, 0.15
    _sign_up(page, mesh)
    _send(page, "Talk for a while")
    page.until(lambda d: "w3" in _answer(page), "a few pieces")
    page.click("#stop")
    page.until(lambda d: _status(page) == "MESSAGE_STATUS_INCOMPLETE", "the stop")
    page.screenshot("stopped")
    shown = _answer(page)
    assert shown.startswith("w0 w1 w2 w3") and "w79" not in shown

    _send(page, "Again, please")
    page.until(lambda d: "w5" in _answer(page), "a few pieces of the second answer")
    page.driver.refresh()
    page.until(lambda d: "w79" in _answer(page), "the resumed answer to finish")
    page.until(lambda d: _status(page) == "MESSAGE_STATUS_COMPLETE", "the resumed answer complete")
    page.screenshot("resumed")
    assert _answer(page) == LONG.text.strip()

    titles = lambda: [a.text for a in page.all(".conv-list a")]  # noqa: E731
    page.type("#conv-search", "talk")
    page.until(lambda d: titles() == ["Talk for a while"], "the search hit")
    page.type("#conv-search", "zebra")
    page.until(lambda d: page.text(".conv-list") == "Nothing found.", "no search hit")
    page.css("#conv-search").send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)  # clear() sends no input event
    page.until(lambda d: titles() == ["Talk for a while"], "the list again")

    page.click("#archive-conversation")
    page.until(lambda d: page.text(".conv-list") == "No conversations yet.", "the conversation archived")
    page.click("#show-archived")
    page.until(lambda d: titles() == ["Talk for a while"], "the archived conversation")
    page.click(".conv-list a")
    page.until(lambda d: page.text("#archive-conversation") == "Unarchive", "the archived conversation open")
    page.click("#delete-conversation")
    page.click("#delete-conversation")
    page.until(lambda d: page.text(".conv-list") == "No archived conversations.", "the conversation deleted")
    assert page.severe_console_messages() == []


def test_admin_page_only_for_those_allowed(page: Page, mesh: Mesh, tmp_path: Path) -> None:
    _sign_up(page, mesh)
    assert not page.all("#nav-admin:not([hidden])")

    page.click("#sign-out")
    admin = mesh.admin_credentials()
    page.type("#signin-form input[name=email]", admin["email"])
    page.type("#signin-form input[name=password]", admin["password"])
    page.click("#auth-submit")
    page.click("#nav-admin")
    page.until(lambda d: page.all("#channels .channel-name"), "the seeded channel")
    page.click("#channels tbody tr:first-child .test-channel")
    page.until(lambda d: page.all('#channels .channel-test[data-result="ok"]'), "the channel test")
    assert page.text("#channels .channel-test[data-result]").startswith("ok in ")
    page.type("#channel-form input[name=name]", "second")
    page.type("#channel-form input[name=baseUrl]", "https://llm.example.com/v1")
    page.type("#channel-form input[name=keys]", "sk-upstream-2")
    page.type("#channel-form input[name=models]", "gpt-4o")
    page.click("#create-channel")
    page.until(lambda d: "second" in [e.text for e in page.all("#channels .channel-name")], "the new channel")
    second = 'tr:has(.channel-name[data-name="second"])'
    page.click(f"#channels {second} .toggle-channel")
    page.until(lambda d: "manually disabled" in page.text(f"#channels {second}"), "the channel disabled")
    page.screenshot("admin-channels")

    page.click('a[data-nav="knowledge"]')
    page.type("#kb-name", "Handbook")
    page.click("#create-kb")
    page.until(lambda d: [e.text for e in page.all(".kb-name")] == ["Handbook"], "the knowledge base")
    notes = tmp_path / "vacation.md"
    notes.write_text("# Vacation\n\nEveryone gets 25 days of paid vacation a year.\n")
    page.driver.find_element(By.CSS_SELECTOR, ".kb .kb-file").send_keys(str(notes))
    page.click(".kb .kb-upload")
    page.until(lambda d: [e.text for e in page.all(".kb .doc-name")] == ["vacation.md"], "the document")
    page.screenshot("knowledge")
    assert page.severe_console_messages() == []


RENDER = """
const done = arguments[arguments.length - 1];
import("/console/markdown.js").then((m) => done(arguments[0].map((text) => m.renderMarkdown(text))));
"""


def test_markdown_is_escaped_before_the_subset_is_applied(page: Page, mesh: Mesh) -> None:
    page.driver.get(f"{mesh.gateway}/console/")
    samples = [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1)) [y](JavaScript:alert(1)) [z](data:text/html,hi)",
        '[ok](https://example.com/a?b=1&c="2") [mail](mailto:a@example.com)',
        '[q](https://e.com/"onmouseover="alert(1))',
        "```\n<b>kept</b> **not bold**\n```\nafter **bold** and `<i>`",
    ]
    rendered = page.driver.execute_async_script(RENDER, samples)
    assert rendered[0] == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
    assert "<a" not in rendered[1] and "javascript:alert(1)" in rendered[1]
    assert rendered[2] == (
        '<p><a href="https://example.com/a?b=1&amp;c=&quot;2&quot;" target="_blank" '
        'rel="noopener noreferrer nofollow">ok</a> <a href="mailto:a@example.com" target="_blank" '
        'rel="noopener noreferrer nofollow">mail</a></p>'
    )
    assert 'onmouseover="' not in rendered[3]
    assert rendered[4] == (
        "<pre><code>&lt;b&gt;kept&lt;/b&gt; **not bold**</code></pre>"
        "<p>after <strong>bold</strong> and <code>&lt;i&gt;</code></p>"
    )


def test_fits_a_phone_screen(page: Page, mesh: Mesh) -> None:
    _sign_up(page, mesh)
    page.driver.set_window_size(390, 844)
    try:
        for nav in ("chat", "account", "knowledge", "inbox"):
            page.click(f'a[data-nav="{nav}"]')
            page.until(lambda d: "Loading" not in page.text("main"), f"the {nav} page loaded")
            overflow = page.driver.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            page.screenshot(f"phone-{nav}")
            assert overflow <= 0, f"the {nav} page scrolls sideways by {overflow}px on a phone"
    finally:
        page.driver.set_window_size(1280, 900)
    assert page.severe_console_messages() == []
