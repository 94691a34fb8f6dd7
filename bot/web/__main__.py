"""``python -m bot.web``: serve the clinic demo page on ``PNS_HOST:PNS_WEB_PORT``.

Started by ``python -m bot run`` beside the action and Rasa servers; it stops on SIGTERM.
"""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.settings import load_settings
from bot.web.server import create_app


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = load_settings()
    try:
        app = create_app(settings)
    except FileNotFoundError as error:
        print(f"web page: {error}", file=sys.stderr)
        return 1
    web.run_app(app, host=settings.host, port=settings.web_port, print=None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
