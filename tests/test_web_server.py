"""The page server (bot/web/server.py) on its own, through aiohttp's test server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.settings import load_settings
from bot.web.server import (
    NODE_MODULES,
    PAGE_LANGS,
    WIDGET_LABELS,
    content_security_policy,
    create_app,
    origin_of,
    page_texts,
    render_page,
)


@pytest.fixture()
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    settings = load_settings(environ={"PNS_RASA_PORT": "5999"}, root=tmp_path)
    async with TestClient(TestServer(create_app(settings))) as test_client:
        yield test_client


async def test_page_has_the_widget_with_its_channel_address(client: TestClient) -> None:
    response = await client.get("/")
    assert response.status == 200
    html = await response.text()
    assert 'data-socket-url="http://127.0.0.1:5999"' in html
    assert 'role="log"' in html and '<label for="pns-chat-input">' in html
    assert "$" not in html  # every template value filled in


@pytest.mark.parametrize(
    ("path", "lang", "other", "heading", "label"),
    [
        ("/", "ru", "en", "Паранеопластические неврологические синдромы", "Ваш вопрос"),
        ("/en/", "en", "ru", "Paraneoplastic neurological syndromes", "Your question"),
    ],
)
async def test_page_in_each_language_links_to_the_other(
    client: TestClient, path: str, lang: str, other: str, heading: str, label: str
) -> None:
    html = await (await client.get(path)).text()
    assert f'<html lang="{lang}">' in html and f"<h1>{heading}</h1>" in html
    assert f'<label for="pns-chat-input">{label}</label>' in html
    other_path = "/en/" if other == "en" else "/"
    assert f'<a href="{other_path}" lang="{other}" hreflang="{other}"' in html
    labels = html.split('data-labels="', 1)[1].split('"', 1)[0]
    widget = json.loads(labels.replace("&quot;", '"'))
    assert set(widget) == set(WIDGET_LABELS) and all(widget.values())
    assert "$" not in html


async def test_english_page_without_the_slash(client: TestClient) -> None:
    response = await client.get("/en", allow_redirects=False)
    assert response.status == 301 and response.headers["Location"] == "/en/"


def test_both_languages_have_the_same_texts() -> None:
    texts = page_texts()
    assert set(texts) == set(PAGE_LANGS)
    assert set(texts["ru"]) == set(texts["en"])
    assert texts["ru"]["too_long"].count("{n}") == texts["en"]["too_long"].count("{n}") == 1


async def test_every_response_has_the_security_headers(client: TestClient) -> None:
    for path in ("/", "/en/", "/static/chat.js", "/vendor/socket.io.min.js"):
        response = await client.get(path)
        assert response.status == 200, path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_only_listed_npm_files_are_served(client: TestClient) -> None:
    assert (await client.get("/vendor/socket.io.min.js")).status == 200
    assert (await client.get("/vendor/axe.min.js")).status == 404
    assert (await client.get("/vendor/..%2Fpackage.json")).status == 404
    assert (await client.get("/static/..%2Fserver.py")).status in (403, 404)


async def test_health(client: TestClient) -> None:
    assert await (await client.get("/healthz")).json() == {"status": "ok"}


def test_values_are_escaped_into_the_page(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PNS_WEB_SOCKET_URL": 'https://x.org/"><script>'}, root=tmp_path
    )
    html = render_page(settings)
    assert '"><script>' not in html and "&quot;&gt;&lt;script&gt;" in html


def test_policy_allows_connections_to_the_rasa_server_only() -> None:
    policy = content_security_policy("https://chat.example.org:8443/some/path")
    assert "connect-src 'self' https://chat.example.org:8443;" in policy
    assert "script-src 'self';" in policy and "'unsafe-inline'" not in policy
    assert origin_of("http://127.0.0.1:5005/socket.io/") == "http://127.0.0.1:5005"


def test_missing_npm_files_stop_the_server_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="npm ci --prefix bot/web"):
        create_app(load_settings(environ={}, root=tmp_path), node_modules=tmp_path / "node_modules")
    assert NODE_MODULES.name == "node_modules"
