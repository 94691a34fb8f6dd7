"""``python -m bot.action_server``: rasa-sdk's action server that only the Rasa servers may call.

rasa-sdk answers anyone who can reach its port, and its actions read and write the KB
(referral requests, feedback). Here every call except ``GET /health`` must carry the
shared secret ``PNS_ACTION_SECRET`` in the ``X-PNS-Action-Secret`` header — Rasa sends it
from ``endpoints.yml`` — or it is refused with 401. The secret comes from the
environment only (``python -m bot`` generates one into ``.env`` on first run), and the
server listens on ``PNS_HOST`` (127.0.0.1 unless configured).
"""

from __future__ import annotations

import argparse
import hmac
import logging
import os
import sys
from collections.abc import Sequence

from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import log_redaction
from bot.settings import ACTION_SECRET_VAR

SECRET_HEADER = "X-PNS-Action-Secret"
OPEN_PATHS = frozenset({"/health"})

logger = logging.getLogger("bot.action_server")


def secret_matches(given: str | None, secret: str) -> bool:
    """Constant-time comparison, so the secret cannot be guessed byte by byte from timings."""
    return given is not None and hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


def require_secret(app: Sanic, secret: str) -> None:
    """Refuse every request but the health check that lacks the shared secret."""
    if not secret:
        raise ValueError(f"{ACTION_SECRET_VAR} must be set")

    @app.middleware("request")
    async def check_secret(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or secret_matches(request.headers.get(SECRET_HEADER), secret):
            return None
        logger.warning("refused an action call without the shared secret from %s", request.ip)
        return response.json({"error": f"missing or wrong {SECRET_HEADER} header"}, status=401)


def create_app(secret: str, actions_package: str = "actions") -> Sanic:
    from rasa_sdk.endpoint import create_app as create_sdk_app

    app = create_sdk_app(actions_package, cors_origins=[])
    require_secret(app, secret)
    return app


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.action_server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=int(os.environ.get("PNS_ACTION_PORT", "5055")))
    parser.add_argument("--host", default=os.environ.get("PNS_HOST", "127.0.0.1"))
    args = parser.parse_args(argv)
    log_redaction.install()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s: %(message)s"
    )
    secret = os.environ.get(ACTION_SECRET_VAR, "")
    if not secret:
        print(
            f"{ACTION_SECRET_VAR} is not set; start the assistant with `python -m bot run`",
            file=sys.stderr,
        )
        return 2
    app = create_app(secret)
    logger.info("action server on http://%s:%d", args.host, args.port)
    app.run(args.host, args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
