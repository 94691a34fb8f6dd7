"""Mount the admin into the page server's aiohttp application (one server, one CSP)."""

from __future__ import annotations

from aiohttp import web

from bot.settings import Settings
from bot.web.admin.pages import REBUILDER_KEY, add_routes
from bot.web.admin.rebuild import Rebuilder
from bot.web.admin.web import JINJA_KEY, SETTINGS_KEY, environment


def mount(app: web.Application, settings: Settings, rebuilder: Rebuilder | None = None) -> None:
    """Routes under ``/admin``; the app must also run :func:`bot.web.admin.web.auth_middleware`."""
    app[SETTINGS_KEY] = settings
    app[JINJA_KEY] = environment()
    app[REBUILDER_KEY] = rebuilder or Rebuilder(settings)
    add_routes(app)
