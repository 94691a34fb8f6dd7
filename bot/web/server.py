"""The clinic demo page with the chat widget, served on ``PNS_WEB_PORT`` (default 8000).

Only static files: the page, in Russian at ``/`` and in English at ``/en/`` (texts in
``templates/page_text.yml``, with the socket.io address filled in), the widget's script
and styles, and the socket.io client from ``bot/web/node_modules`` (installed by ``make``
with ``npm ci``; served locally because the clinic's network may have no internet and a
CDN would learn who reads a page about cancer). The widget then talks to the Rasa server
directly, whose CORS allow-list contains this page's origin (``PNS_WEB_ORIGINS``).

Every response carries a Content-Security-Policy that allows scripts from this server
only and network connections to this server and the Rasa server: an injected ``<script>``
or inline handler would not run even if some text slipped past the widget's escaping.

The staff admin UI (:mod:`bot.web.admin`) is mounted under ``/admin`` of the same server,
with the same policy; everything there needs a staff login.
"""

from __future__ import annotations

import html
import json
import string
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from aiohttp import web

from bot.channels.limits import MAX_MESSAGE_CHARS
from bot.settings import Settings
from bot.web.admin import setup as admin_setup
from bot.web.admin.web import auth_middleware

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
TEMPLATE = WEB_DIR / "templates" / "index.html"
#: The page's and the widget's texts per language (Russian, the clinic's, is the default).
PAGE_TEXT = WEB_DIR / "templates" / "page_text.yml"
PAGE_LANGS = ("ru", "en")
#: Texts chat.js needs, passed to it as JSON in the widget's ``data-labels``.
WIDGET_LABELS = (
    "you_said",
    "assistant",
    "answer_options",
    "answering",
    "connecting",
    "connection_lost",
    "unreachable",
    "too_long",
    "new_tab",
)
NODE_MODULES = WEB_DIR / "node_modules"
#: Browser files taken from npm packages: URL name → path under node_modules.
VENDOR_FILES = {"socket.io.min.js": "socket.io-client/dist/socket.io.min.js"}
SOCKET_PATH = "/socket.io/"
ADMIN_MAX_BODY = 256 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url`` (what CSP and CORS compare)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(socket_url: str) -> str:
    """Scripts, styles and images from this server only; XHR to it and to the Rasa server."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {origin_of(socket_url)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def page_texts() -> dict[str, dict[str, str]]:
    with PAGE_TEXT.open(encoding="utf-8") as file:
        texts: dict[str, dict[str, str]] = yaml.safe_load(file)
    return texts


def render_page(settings: Settings, lang: str = "ru") -> str:
    """The page in ``lang`` (its ``<html lang>``, texts and the widget's labels), with the
    widget's settings as HTML-escaped data attributes."""
    texts = page_texts()
    other = next(code for code in PAGE_LANGS if code != lang)
    values = {
        **texts[lang],
        "lang": lang,
        "other_lang": other,
        "other_path": texts[other]["path"],
        "labels": json.dumps({key: texts[lang][key] for key in WIDGET_LABELS}, ensure_ascii=False),
        "socket_url": settings.web_socket_url,
        "socket_path": SOCKET_PATH,
        "max_length": str(MAX_MESSAGE_CHARS),
    }
    template = string.Template(TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        {key: html.escape(value, quote=True) for key, value in values.items()}
    )


def missing_vendor_files(node_modules: Path = NODE_MODULES) -> list[Path]:
    """npm files the page needs that are not installed."""
    return [
        node_modules / path for path in VENDOR_FILES.values() if not (node_modules / path).is_file()
    ]


def create_app(settings: Settings, node_modules: Path = NODE_MODULES) -> web.Application:
    """The page server. Fails at once, saying how to fix it, if the npm files are missing."""
    missing = missing_vendor_files(node_modules)
    if missing:
        raise FileNotFoundError(
            f"{', '.join(map(str, missing))} not found: install the web files with "
            "`make run` or `npm ci --prefix bot/web`"
        )
    pages = {lang: render_page(settings, lang) for lang in PAGE_LANGS}
    csp = content_security_policy(settings.web_socket_url)

    @web.middleware
    async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        response.headers["Content-Security-Policy"] = csp
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Cache-Control"] = "no-cache"
        return response

    def page(lang: str) -> Handler:
        async def serve(_: web.Request) -> web.Response:
            return web.Response(text=pages[lang], content_type="text/html", charset="utf-8")

        return serve

    async def english_without_slash(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/en/")

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def vendor(request: web.Request) -> web.FileResponse:
        relative = VENDOR_FILES.get(request.match_info["name"])
        if relative is None:
            raise web.HTTPNotFound()
        return web.FileResponse(node_modules / relative)

    # staff forms carry answers of up to 4000 characters per field (kb.payloads.MAX_TEXT)
    app = web.Application(
        middlewares=[security_headers, auth_middleware], client_max_size=ADMIN_MAX_BODY
    )
    app.router.add_get("/", page("ru"))  # the clinic's language first
    app.router.add_get("/en/", page("en"))
    app.router.add_get("/en", english_without_slash)
    app.router.add_get("/healthz", health)
    app.router.add_get("/vendor/{name}", vendor)
    app.router.add_static("/static/", STATIC_DIR, show_index=False, follow_symlinks=False)
    admin_setup.mount(app, settings)
    return app
