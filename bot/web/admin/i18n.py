"""The admin's own labels in Russian (the clinic staff's language, the default) or English.

One message catalogue per language (``messages/<lang>.yml``, the same keys in each); the
language is the staff member's choice, kept in a cookie of the browser (so the login page
is in it too) and switched by the links in the page header. Content is not translated here:
every content item has its own language versions (:mod:`kb.items`); error messages of the
content rules come from :mod:`kb` and stay English.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import yaml

ADMIN_LANGS: tuple[str, ...] = ("ru", "en")
DEFAULT_ADMIN_LANG = "ru"
LANG_COOKIE = "pns_admin_lang"
MESSAGES = Path(__file__).resolve().parent / "messages"

Translate = Callable[..., str]


@cache
def catalogue(lang: str) -> dict[str, str]:
    data = yaml.safe_load((MESSAGES / f"{lang}.yml").read_text(encoding="utf-8"))
    return {str(k): str(v) for k, v in data.items()}


def admin_lang(cookie: str | None) -> str:
    """The admin language of a browser: its cookie if it names one, else Russian."""
    return cookie if cookie in ADMIN_LANGS else DEFAULT_ADMIN_LANG


def translator(lang: str) -> Translate:
    """``t(key, **values)``: the label in ``lang``; an unknown key is a bug and raises."""
    messages = catalogue(lang)

    def t(key: str, **values: object) -> str:
        text = messages[key]  # KeyError: a label missing from the catalogue
        return text.format(**values) if values else text

    return t


def known(key: str) -> bool:
    """Whether ``key`` is a label (notices arrive in the URL, so only known keys are shown)."""
    return key in catalogue(DEFAULT_ADMIN_LANG)
