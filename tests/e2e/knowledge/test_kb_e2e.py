"""Knowledge through the HTTP edge, with the whole mesh running as processes.

An admin (the seeded super admin, who may create knowledge bases) uploads one document of
every supported format as multipart, follows ingestion over SSE, and finds each document by
search with its page or heading; a chat turn on a conversation with the knowledge base
answers with numbered sources sent on the SSE stream and stored on the message (the model is
the fake OpenAI-compatible upstream). Another user can neither search the knowledge base
nor attach it. Finally the knowledge service is killed (SIGKILL) in the middle of an
ingestion: the launcher restarts it, the job finishes, and no chunk is stored twice.
"""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psutil
import pytest

from tests.fakes.llm_upstream import FakeLLMUpstream, FakeReply
from tests.fakes.threaded import serving
from tests.support.mesh_process import Mesh, MeshRun, make_mesh
from tests.support.sse import sse_events
from tests.unit.knowledge.parsing.kn_fixtures import docx_bytes, pdf_bytes, xlsx_bytes

pytestmark = pytest.mark.e2e

MODEL = "gpt-4o-mini"
ANSWER = FakeReply(pieces=("Flights are booked", " through the travel desk [1]."))


def _docx(document: Any) -> None:
    document.add_heading("Warranty", level=1)
    document.add_paragraph("Every quintessa blender is covered for two years.")


# Enough lines that the chunk holding page 2's last line starts on page 2 (a chunk cites its first page).
PAGE_FILLER = [f"Line {i} of this page says nothing in particular about anything." for i in range(8)]

# filename → (content, media type, unique word, expected page, expected heading suffix)
FORMATS: dict[str, tuple[bytes, str, str, int, str]] = {
    "notes.txt": (b"The grommetrix valve must be checked every spring.", "text/plain", "grommetrix", 0, ""),
    "guide.md": (
        b"# Install\n\nIntro.\n\n## Linux\n\nRun the zorblax installer as root.\n",
        "text/markdown",
        "zorblax",
        0,
        "Linux",
    ),
    "page.html": (
        b"<html><head><title>Shop</title></head><body><nav>Home | Cart</nav><main><h1>Returns</h1>"
        b"<p>A flurbish can be returned within 30 days.</p></main></body></html>",
        "text/html",
        "flurbish",
        0,
        "Returns",
    ),
    "manual.pdf": (
        pdf_bytes(
            [
                ["Chapter one", *PAGE_FILLER],
                ["Chapter two", *PAGE_FILLER, "The plinkerton gauge reads in bars."],
            ]
        ),
        "application/pdf",
        "plinkerton",
        2,
        "",
    ),
    "terms.docx": (
        docx_bytes(_docx),
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "quintessa",
        0,
        "Warranty",
    ),
    "prices.csv": (b"product,price\nwidget,3\nsnorkelwax,12\n", "text/csv", "snorkelwax", 0, ""),
    "stock.xlsx": (
        xlsx_bytes({"Stock": [["item", "count"], ["vorpalite", 7]]}),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "vorpalite",
        0,
        "Stock",
    ),
    "people.json": (
        json.dumps([{"name": "Ada", "role": "trelliswright"}]).encode(),
        "application/json",
        "trelliswright",
        0,
        "",
    ),
    "events.jsonl": (
        b'{"event": "launch", "place": "mirabelport"}\n{"event": "review"}\n',
        "application/jsonl",
        "mirabelport",
        0,
        "",
    ),
}
TRAVEL = b"# Travel\n\n## Booking\n\nFlights are booked through the travel desk two weeks ahead.\n"


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeLLMUpstream]:
    fake = FakeLLMUpstream(reply=ANSWER)
    with serving(fake):
        yield fake


@pytest.fixture(scope="module")
def kb_mesh(
    tmp_path_factory: pytest.TempPathFactory, upstream: FakeLLMUpstream
) -> Iterator[tuple[Mesh, MeshRun]]:
    mesh = make_mesh(
        tmp_path_factory.mktemp("chatmesh"),
        {
            "CHATMESH_SEED_CHANNEL_BASE_URL": f"{upstream.base_url}/v1",
            "CHATMESH_SEED_CHANNEL_API_KEY": "sk-e2e-upstream",
            "CHATMESH_SEED_CHANNEL_MODELS": json.dumps([MODEL]),
            "CHATMESH_KNOWLEDGE_JOB_LEASE_SECONDS": "3",
            "CHATMESH_KNOWLEDGE_SWEEP_INTERVAL_SECONDS": "1",
            "CHATMESH_KNOWLEDGE_EMBED_BATCH_SIZE": "8",
        },
    )
    run = mesh.start()
    try:
        run.wait_ready()
        yield mesh, run
    finally:
        if run.process.poll() is None:
            run.stop()


def _login(http: httpx.Client, mesh: Mesh) -> None:
    fields = dict(
        line.split("=", 1)
        for line in (mesh.data_dir / "admin-credentials").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    answer = http.post("/v1/auth:login", json={"email": fields["email"], "password": fields["password"]})
    assert answer.status_code == 200, answer.text
    http.headers["authorization"] = f"Bearer {answer.json()['accessToken']}"


@pytest.fixture(scope="module")
def admin(kb_mesh: tuple[Mesh, MeshRun]) -> Iterator[httpx.Client]:
    mesh, _ = kb_mesh
    with httpx.Client(base_url=mesh.gateway, timeout=60.0) as http:
        _login(http, mesh)
        yield http


@pytest.fixture(scope="module")
def stranger(kb_mesh: tuple[Mesh, MeshRun]) -> Iterator[httpx.Client]:
    mesh, _ = kb_mesh
    with httpx.Client(base_url=mesh.gateway, timeout=60.0) as http:
        email = f"kb-{uuid.uuid4().hex[:8]}@example.com"
        registered = http.post("/v1/auth:register", json={"email": email, "password": "e2e-Passw0rd!"})
        assert registered.status_code == 200, registered.text
        http.headers["authorization"] = f"Bearer {registered.json()['accessToken']}"
        yield http


def _create_kb(http: httpx.Client, name: str, **fields: Any) -> dict[str, Any]:
    made = http.post("/v1/knowledge-bases", json={"name": name, **fields})
    assert made.status_code == 200, made.text
    return dict(made.json())


def _upload(http: httpx.Client, kb_id: str, filename: str, data: bytes, media_type: str) -> dict[str, Any]:
    sent = http.post(
        f"/v1/knowledge-bases/{kb_id}/documents:upload",
        data={"metadata.tags": "e2e"},
        files={"file": (filename, data, media_type)},
    )
    assert sent.status_code == 200, sent.text
    return dict(sent.json())


def _watch(http: httpx.Client, job_id: str) -> list[dict[str, Any]]:
    with http.stream(
        "GET", f"/v1/ingestion-jobs/{job_id}:watch", headers={"accept": "text/event-stream"}
    ) as response:
        assert response.status_code == 200, response.read().decode()
        events = list(sse_events(response))
    assert events[-1].name == "done", events[-1]
    return [e.data for e in events if e.name not in ("done", "error")]


def _search(http: httpx.Client, query: str, kb_ids: list[str]) -> httpx.Response:
    return http.post(
        "/v1/knowledge-bases:search", json={"query": query, "knowledgeBaseIds": kb_ids, "topK": 3}
    )


@pytest.fixture(scope="module")
def library(admin: httpx.Client) -> dict[str, Any]:
    """One knowledge base holding every format, each ingested (followed over SSE)."""
    kb = _create_kb(admin, "every format", chunking={"chunkSizeTokens": 48, "chunkOverlapTokens": 0})
    documents = {}
    for filename, (data, media_type, *_rest) in FORMATS.items():
        sent = _upload(admin, kb["id"], filename, data, media_type)
        updates = _watch(admin, sent["ingestionJob"]["id"])
        assert updates[-1].get("state") == "INGESTION_JOB_STATE_SUCCEEDED", (filename, updates[-1])
        documents[filename] = sent["document"]["id"]
    return {"kb": kb, "documents": documents}


@pytest.mark.parametrize("filename", list(FORMATS))
def test_each_format_is_found_with_its_citation(
    admin: httpx.Client, library: dict[str, Any], filename: str
) -> None:
    _, _, word, page, heading = FORMATS[filename]
    found = _search(admin, word, [library["kb"]["id"]])
    assert found.status_code == 200, found.text
    top = found.json()["results"][0]
    assert top["source"]["documentId"] == library["documents"][filename]
    assert word in top["chunk"]["content"].lower()
    assert top["source"].get("page", 0) == page
    assert top["source"].get("heading", "").endswith(heading)
    assert int(top["chunk"].get("endOffset", 0)) > int(top["chunk"].get("startOffset", 0))


def test_a_broken_pdf_fails_with_a_reason_and_nothing_indexed(
    admin: httpx.Client, library: dict[str, Any]
) -> None:
    kb_id = library["kb"]["id"]
    sent = _upload(
        admin,
        kb_id,
        "broken.pdf",
        b"%PDF-1.7\n1 0 obj << /Type /Catalog >> trailer garbage",
        "application/pdf",
    )
    final = _watch(admin, sent["ingestionJob"]["id"])[-1]
    assert final["state"] == "INGESTION_JOB_STATE_FAILED" and final["error"]["message"]
    doc = admin.get(f"/v1/knowledge-bases/{kb_id}/documents/{sent['document']['id']}").json()
    assert doc["status"] == "DOCUMENT_STATUS_FAILED" and doc["failureReason"]
    chunks = admin.get(f"/v1/knowledge-bases/{kb_id}/documents/{sent['document']['id']}/chunks").json()
    assert chunks.get("chunks", []) == []


def test_a_chat_turn_answers_with_citations_over_sse_and_stores_them(
    admin: httpx.Client, upstream: FakeLLMUpstream
) -> None:
    kb = _create_kb(admin, "travel")
    sent = _upload(admin, kb["id"], "travel.md", TRAVEL, "text/markdown")
    assert _watch(admin, sent["ingestionJob"]["id"])[-1]["state"] == "INGESTION_JOB_STATE_SUCCEEDED"
    made = admin.post(
        "/v1/conversations",
        json={"title": "kb chat", "settings": {"model": MODEL, "knowledgeBaseIds": [kb["id"]]}},
    )
    assert made.status_code == 200, made.text
    conversation_id = made.json()["id"]
    with admin.stream(
        "POST",
        f"/v1/conversations/{conversation_id}/messages:send",
        json={"content": "How are flights booked?"},
        headers={"accept": "text/event-stream"},
    ) as response:
        assert response.status_code == 200, response.read().decode()
        events = [e.data for e in sse_events(response)]
    cited = [c for e in events if "citations" in e for c in e["citations"]["citations"]]
    assert cited and cited[0]["index"] == 1 and cited[0]["documentId"] == sent["document"]["id"]
    assert cited[0]["heading"].endswith("Booking") and "travel desk" in cited[0]["snippet"]
    prompt = json.dumps(upstream.requests[-1].body["messages"])
    assert "[1]" in prompt and "travel desk" in prompt
    stored = admin.get(f"/v1/conversations/{conversation_id}/messages").json()["messages"][-1]
    assert stored["role"] == "MESSAGE_ROLE_ASSISTANT"
    assert [c["documentId"] for c in stored["citations"]] == [sent["document"]["id"]]
    assert int(stored["citations"][0]["endOffset"]) > 0


def test_another_user_cannot_search_or_attach_it(stranger: httpx.Client, library: dict[str, Any]) -> None:
    kb_id = library["kb"]["id"]
    assert _search(stranger, "zorblax", [kb_id]).status_code == 404
    attached = stranger.post(
        "/v1/conversations", json={"settings": {"model": MODEL, "knowledgeBaseIds": [kb_id]}}
    )
    assert attached.status_code == 400, attached.text
    assert stranger.get(f"/v1/knowledge-bases/{kb_id}").status_code == 404
    assert kb_id not in {
        k["id"] for k in stranger.get("/v1/knowledge-bases").json().get("knowledgeBases", [])
    }


def _knowledge_process(run: MeshRun) -> psutil.Process:
    for child in psutil.Process(run.process.pid).children(recursive=True):
        if child.cmdline()[-2:] == ["-m", "knowledge"]:
            return child
    raise AssertionError("no knowledge process")


def test_killed_mid_ingestion_the_job_finishes_after_the_restart(
    admin: httpx.Client, kb_mesh: tuple[Mesh, MeshRun]
) -> None:
    _, run = kb_mesh
    kb = _create_kb(admin, "restart", chunking={"chunkSizeTokens": 32, "chunkOverlapTokens": 0})
    text = "\n\n".join(
        f"Entry {i}: the ledger lists account{i} with a balance of {i * 7} crowns." for i in range(200)
    )
    sent = _upload(admin, kb["id"], "ledger.txt", text.encode(), "text/plain")
    job_id = sent["ingestionJob"]["id"]
    victim = _knowledge_process(run)
    deadline = time.monotonic() + 120
    while True:
        job = admin.get(f"/v1/ingestion-jobs/{job_id}").json()
        if job.get("chunksEmbedded", 0) > 0:
            break
        assert time.monotonic() < deadline and job["state"] in (
            "INGESTION_JOB_STATE_QUEUED",
            "INGESTION_JOB_STATE_RUNNING",
        ), job
        time.sleep(0.1)
    assert job["chunksEmbedded"] < job["chunksTotal"], "finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait(30)
    while True:
        try:
            job = admin.get(f"/v1/ingestion-jobs/{job_id}").json()
        except httpx.HTTPError:
            job = {}
        if job.get("state") not in (None, "INGESTION_JOB_STATE_QUEUED", "INGESTION_JOB_STATE_RUNNING"):
            break
        assert time.monotonic() < deadline, job
        time.sleep(0.5)
    assert job["state"] == "INGESTION_JOB_STATE_SUCCEEDED" and job["attempt"] == 2, job
    indexes: list[int] = []
    token = ""
    while True:
        page = admin.get(
            f"/v1/knowledge-bases/{kb['id']}/documents/{sent['document']['id']}/chunks",
            params={"pageSize": 500, "pageToken": token},
        ).json()
        indexes += [c.get("index", 0) for c in page.get("chunks", [])]
        token = page.get("nextPageToken", "")
        if not token:
            break
    assert sorted(indexes) == list(range(job["chunksTotal"]))
