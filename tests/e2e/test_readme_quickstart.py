"""The README's "Over HTTP" commands, run as written against the mesh as processes.

Each ``sh`` block of that section is read from README.md, and each command line in it runs
through bash with curl, the gateway's port put in place of 8080. ``T=<accessToken>`` and
``K=sk-…`` placeholders take the values the earlier answers carried, as a reader would copy
them. Every answer is held to what the README says it is: so the README stays true, and a
self-registered user can make their own API key, as it promises.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, make_mesh

pytestmark = pytest.mark.e2e

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "## Over HTTP"
MODEL = "gpt-4o-mini"
STATUS_MARK = "\n@@status="
_ASSIGNMENT = re.compile(r"^([A-Z])=(.*)$")


@dataclass
class Answer:
    command: str
    status: int
    body: str

    def json(self) -> dict[str, object]:
        value = json.loads(self.body)
        assert isinstance(value, dict), self.body
        return value


@dataclass
class Reader:
    """Runs README lines the way a person pastes them into a shell, keeping their variables."""

    port: int
    variables: dict[str, str] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)

    def localise(self, line: str) -> str:
        return re.sub(r"(localhost|127\.0\.0\.1):8080", f"127.0.0.1:{self.port}", line)

    def bash(self, script: str) -> str:
        env = {"PATH": "/usr/bin:/bin:/usr/local/bin", **self.variables}
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, f"{script}\n{done.stderr}"
        return done.stdout

    def run(self, line: str) -> Answer:
        """One curl command, with the HTTP status written after its output."""
        wrapped = f"curl() {{ command curl -w '{STATUS_MARK}%{{http_code}}' \"$@\"; }}\n{self.localise(line)}"
        out = self.bash(wrapped)
        body, _, status = out.rpartition(STATUS_MARK)
        answer = Answer(line, int(status.strip()), body)
        self.answers.append(answer)
        return answer

    def assign(self, name: str, value: str, earlier: dict[str, str]) -> None:
        """``B=…`` as written; placeholders (``<accessToken>``, ``sk-…``) from the answers before."""
        if name in earlier:
            self.variables[name] = earlier[name]
        elif value.startswith("$("):
            self.variables[name] = self.bash(self.localise(value[2:-1])).strip()
        else:
            self.variables[name] = self.localise(value)


def readme_blocks() -> list[list[str]]:
    """The command lines of every ``sh`` block in the section, backslash continuations joined."""
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    section = text[start : end if end != -1 else None]
    blocks = []
    for body in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        joined = body.replace("\\\n", " ")
        lines = [line.strip() for line in joined.splitlines()]
        blocks.append([line for line in lines if line and not line.startswith("#")])
    return blocks


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=FakeReply(pieces=("Hello", " from", " the", " README.")))
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def quickstart_mesh(tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream) -> Iterator[Mesh]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("readme"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-readme-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
        },
    )
    with mesh.running():
        yield mesh


@pytest.fixture(scope="module")
def reader(quickstart_mesh: Mesh) -> Reader:
    return Reader(quickstart_mesh.ports["gateway"])


def test_the_section_has_the_blocks_this_test_reads() -> None:
    blocks = readme_blocks()
    assert len(blocks) >= 3, blocks
    assert any("auth:register" in line for line in blocks[1]), blocks[1]


def test_health_readiness_metrics_and_openapi(reader: Reader) -> None:
    answers = {_route(line): reader.run(line) for line in readme_blocks()[0]}
    assert set(answers) == {"healthz", "readyz", "metrics", "openapi.json"}, answers
    assert all(a.status == 200 for a in answers.values()), [
        (a.command, a.status, a.body[:200]) for a in answers.values()
    ]
    assert "# HELP" in answers["metrics"].body
    assert answers["openapi.json"].json()["openapi"].startswith("3.")  # type: ignore[union-attr]


def test_the_account_quickstart_answers_as_documented(reader: Reader) -> None:
    earlier: dict[str, str] = {}
    me_answers: list[Answer] = []
    for line in readme_blocks()[1]:
        assigned = _ASSIGNMENT.match(line)
        if assigned:
            reader.assign(assigned.group(1), assigned.group(2), earlier)
            continue
        answer = reader.run(line)
        assert answer.status in (200, 401), f"{line}\n{answer.status} {answer.body}"
        if "auth:register" in line or "auth:login" in line:
            assert answer.status == 200, answer.body
            body = answer.json()
            assert {"user", "accessToken", "refreshToken", "expiresIn"} <= set(body), body
            assert body["user"]["email"] == "ada@example.com"  # type: ignore[index]
            if "auth:login" in line:
                assert body["expiresIn"] == 900, body
                earlier["T"] = str(body["accessToken"])
        elif "/v1/api-keys" in line:
            assert answer.status == 200, f"a self-registered user creates their own key: {answer.body}"
            body = answer.json()
            assert str(body["secret"]).startswith("sk-") and "apiKey" in body, body
            earlier["K"] = str(body["secret"])
        elif "/v1/users/me" in line:
            me_answers.append(answer)
        elif "auth:logout" in line:
            assert answer.status == 200, answer.body
    assert [a.status for a in me_answers] == [200, 401], [(a.status, a.body) for a in me_answers]
    assert me_answers[0].json()["email"] == "ada@example.com"
    assert "token has been revoked" in me_answers[1].body
    reader.variables["K"] = earlier["K"]


def test_the_key_from_the_quickstart_lists_models_and_chats(reader: Reader) -> None:
    assert "K" in reader.variables, "runs after the account quickstart"
    for line in readme_blocks()[2]:
        if _ASSIGNMENT.match(line):
            continue  # K=sk-… : the key created above
        answer = reader.run(line)
        assert answer.status == 200, f"{line}\n{answer.body}"
        if "/v1/models" in line:
            assert MODEL in [m["id"] for m in answer.json()["data"]]  # type: ignore[union-attr]
        else:
            events = [row[len("data: ") :] for row in answer.body.splitlines() if row.startswith("data: ")]
            assert events[-1] == "[DONE]", answer.body
            text = "".join(
                choice["delta"].get("content") or ""
                for event in events[:-1]
                for choice in json.loads(event)["choices"]
            )
            assert text == "Hello from the README.", answer.body


def test_a_whole_turn_as_a_web_client_runs_it(reader: Reader) -> None:
    turn = next(block for block in readme_blocks() if any("messages:send" in line for line in block))
    login = reader.run(f"curl -s -X POST $B/v1/auth:login -d '{json.dumps(_ada())}'")
    assert login.status == 200, login.body
    reader.variables["T"] = str(login.json()["accessToken"])  # the quickstart logged T out
    for line in turn:
        assigned = _ASSIGNMENT.match(line)
        if assigned:
            reader.assign(assigned.group(1), assigned.group(2), {})
            assert re.fullmatch(r"[\w-]+", reader.variables["C"]), reader.variables["C"]
            continue
        answer = reader.run(line)
        assert answer.status == 200, f"{line}\n{answer.body}"
    sent, listed = reader.answers[-2:]
    data = [json.loads(row[len("data: ") :]) for row in sent.body.splitlines() if row.startswith("data: ")]
    assert any("done" in event for event in data), sent.body
    listed_text = json.dumps(listed.json()["messages"])
    assert "hello" in listed_text and "Hello from the README." in listed_text, listed.body


def _ada() -> dict[str, str]:
    login = next(line for line in readme_blocks()[1] if "auth:login" in line)
    found = re.search(r"-d '(\{.*\})'", login)
    assert found, login
    body = json.loads(found.group(1))
    return {"email": body["email"], "password": body["password"]}


def _route(line: str) -> str:
    found = re.search(r":8080/([\w.]+)", line)
    assert found, line
    return found.group(1)
