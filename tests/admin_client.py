"""A staff member's browser for the admin pages, over aiohttp's test client (no JavaScript)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from bot.web.admin import security
from bot.web.admin.i18n import LANG_COOKIE

PASSWORD = "a long enough passphrase"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class StaffBrowser:
    """One test client whose cookie jar holds one staff member's session at a time.

    ``lang`` is the admin language the browser chose (the cookie the header's switch sets);
    None keeps the default (Russian).
    """

    def __init__(self, client: TestClient, lang: str | None = "en") -> None:
        self.client = client
        self.csrf: str | None = None
        self.lang = lang

    async def login(self, username: str, password: str = PASSWORD) -> ClientResponse:
        self.client.session.cookie_jar.clear()
        if self.lang is not None:
            self.client.session.cookie_jar.update_cookies({LANG_COOKIE: self.lang})
        page = await self.client.get("/admin/login")
        token = CSRF.search(await page.text()).group(1)
        response = await self.client.post(
            "/admin/login",
            data={"csrf_token": token, "username": username, "password": password},
            allow_redirects=False,
        )
        if response.status == 303:
            self.csrf = CSRF.search(await (await self.client.get("/admin/")).text()).group(1)
        return response

    async def get(self, path: str) -> ClientResponse:
        return await self.client.get(path, allow_redirects=False)

    async def post(
        self, path: str, data: Mapping[str, Any] | None = None, csrf: bool = True
    ) -> ClientResponse:
        fields = dict(data or {})
        if csrf:
            fields[security.CSRF_FIELD] = self.csrf
        return await self.client.post(path, data=fields, allow_redirects=False)
