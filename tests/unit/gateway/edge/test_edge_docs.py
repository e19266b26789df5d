"""/docs serves Swagger UI from installed files, pointed at /openapi.json, with no CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from gateway.edge_auth import PassThroughAuthenticator
from gateway.edge_routes import routes
from mesh.config import load_settings


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    settings = load_settings(_env_file=None)
    app = Starlette(routes=routes(settings, clients=None, authenticator=PassThroughAuthenticator()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway") as client:
        yield client


async def test_the_page_loads_everything_from_this_server(http: httpx.AsyncClient) -> None:
    response = await http.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert 'data-openapi="/openapi.json"' in page
    assert "<script>" not in page, "no inline script"
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(source.startswith("/docs/") for source in sources), sources
    for source in sources:
        asset = await http.get(source)
        assert asset.status_code == 200, source
        assert asset.content


async def test_the_ui_is_swagger_ui_5_which_reads_openapi_3_1(http: httpx.AsyncClient) -> None:
    bundle = await http.get("/docs/assets/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert "javascript" in bundle.headers["content-type"]
    assert b"SwaggerUIBundle" in bundle.content
    start = await http.get("/docs/start.js")
    assert "SwaggerUIBundle" in start.text and "dataset.openapi" in start.text


async def test_the_document_is_served_next_to_it(http: httpx.AsyncClient) -> None:
    response = await http.get("/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")
