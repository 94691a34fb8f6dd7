"""Operator commands: ``python -m bot build | run | shell``.

  build   upgrade + load the KB, rebuild the spaCy pipeline and train the model if needed
  run     build, then start the action server, the Rasa server (REST, socket.io, Telegram
          when configured, HTTP API) and the clinic page with the chat widget and the staff
          admin (/admin) on 127.0.0.1, and serve until Ctrl-C / SIGTERM
  shell   build, then chat in the terminal (action server + ``rasa shell``)
  model   build, then print the path of the model for the current inputs (for scripts)
"""
from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
from typing import Optional, Sequence

from bot.build import build_all, project_env
from bot.channels import TELEGRAM_CHANNEL
from bot.launcher import Stack
from bot.settings import Settings, ensure_telegram_secret, ensure_token, load_settings

logger = logging.getLogger("bot")


def _stop_on_signals() -> threading.Event:
    """An event set by SIGINT/SIGTERM, so the main thread can shut down in order."""
    stop = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        logger.info("received %s, stopping…", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def running_banner(settings: Settings, stack: Stack) -> str:
    """Where to reach each surface of the running assistant (printed by ``make run``)."""
    base = settings.rasa_url
    if TELEGRAM_CHANNEL in stack.channels.enabled:
        telegram = (f"{base}/webhooks/telegram/webhook (only with the X-Telegram-Bot-Api-Secret-Token "
                    "header; public URL: PNS_TELEGRAM_WEBHOOK_URL)")
    else:
        telegram = "off (set PNS_TELEGRAM_TOKEN to enable)"
    return (
        "\nPNS Assistant is running.\n"
        f"  web page:  {settings.web_url}/ (clinic page with the chat widget)\n"
        f"  staff:     {settings.web_url}/admin/ (edit, review and publish answers; first admin: "
        "python -m bot.web.admin create-user NAME --role admin)\n"
        f"  REST:      curl -s -X POST {base}/webhooks/rest/webhook "
        "-H 'Content-Type: application/json' -d '{\"sender\": \"me\", \"message\": \"what is LEMS?\"}'\n"
        f"  socket.io: {base}/socket.io/ (the widget's channel)\n"
        f"  Telegram:  {telegram}\n"
        f"  HTTP API:  {base}/status?token=<PNS_RASA_TOKEN from .env>\n"
        "  terminal:  make shell\n"
        "Stop with Ctrl-C.\n"
    )


def run() -> int:
    ensure_token()
    ensure_telegram_secret()
    settings = load_settings()
    result = build_all(settings)
    log_dir = settings.var_dir / "log"
    stop = _stop_on_signals()
    stack = Stack(settings, result.model_path, log_dir)
    logger.info("starting the action server, the Rasa server and the web page (logs in %s)…", log_dir)
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as exc:
        logger.error("%s", exc)
        return 1
    print(running_banner(settings, stack), flush=True)
    try:
        while not stop.wait(1.0):
            failure = stack.failed()
            if failure:
                logger.error("%s", failure)
                return 1
    finally:
        stack.stop()
        logger.info("stopped")
    return 0


def shell() -> int:
    ensure_token()
    settings = load_settings()
    result = build_all(settings)
    log_dir = settings.var_dir / "log"
    try:
        with Stack(settings, result.model_path, log_dir, rasa_server=False):
            cmd = [sys.executable, "-m", "bot.rasa_server", "shell", "--model", str(result.model_path),
                   "--endpoints", "endpoints.yml", "--port", str(settings.rasa_port)]
            return subprocess.call(cmd, cwd=settings.root, env=project_env(settings))
    except (RuntimeError, TimeoutError) as exc:
        logger.error("%s", exc)
        return 1


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["build", "run", "shell", "model"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S")
    if args.command in ("build", "model"):
        result = build_all(load_settings())
        if args.command == "model":
            print(result.model_path)
        return 0
    return run() if args.command == "run" else shell()


if __name__ == "__main__":
    raise SystemExit(main())
