"""Operator commands: ``python -m bot build | run | shell | model | cluster | retention``.

build   upgrade + load the KB, rebuild the spaCy pipeline and train the model if needed
run     build, then start the action server, the Rasa server (REST, socket.io, Telegram
        when configured, HTTP API) and the clinic page with the chat widget and the staff
        admin (/admin) on 127.0.0.1, and serve until Ctrl-C / SIGTERM
shell   build, then chat in the terminal (action server + ``rasa shell``)
model   build, then print the path of the model for the current inputs (for scripts)
cluster the production shape on loopback: PostgreSQL, Redis, 2 action servers, 2 Rasa
        servers behind nginx (bot/cluster.py; state in var/cluster), until Ctrl-C
retention  delete conversations older than PNS_RETENTION_DAYS (default 30) from the
        tracker store at PNS_TRACKER_STORE_URL and old feedback, unanswered questions and
        consent records from the KB (run it daily)
privacy export|erase CONVERSATION_ID  (staff, subject-access and erasure requests: see
        bot/privacy.py; --user NAME or PNS_KB_USER is written into the audit log)
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.build import BuildProgress, build_all, project_env
from bot.channels import MAX_CHANNEL, TELEGRAM_CHANNEL, VK_CHANNEL
from bot.launcher import Stack, write_rasa_config
from bot.settings import (
    Settings,
    ensure_action_secret,
    ensure_messenger_secrets,
    ensure_telegram_secret,
    ensure_token,
    load_settings,
    settings_environ,
)
from kb.settings import ensure_privacy_key

if TYPE_CHECKING:
    from bot.cluster import Cluster

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
        telegram = (
            f"{base}/webhooks/telegram/webhook (only with the X-Telegram-Bot-Api-Secret-Token "
            "header; public URL: PNS_TELEGRAM_WEBHOOK_URL)"
        )
    else:
        telegram = "off (set PNS_TELEGRAM_TOKEN to enable)"
    max_ = (
        f"{base}/webhooks/max/webhook (public URL: PNS_MAX_WEBHOOK_URL)"
        if MAX_CHANNEL in stack.channels.enabled
        else "off (set PNS_MAX_TOKEN to enable)"
    )
    vk = (
        f"{base}/webhooks/vk/webhook (register it in the community's Callback API settings)"
        if VK_CHANNEL in stack.channels.enabled
        else "off (set PNS_VK_TOKEN, PNS_VK_GROUP_ID, PNS_VK_CONFIRMATION to enable)"
    )
    return (
        "\nPNS Assistant is running.\n"
        f"  web page:  {settings.web_url}/ (clinic page with the chat widget)\n"
        f"  staff:     {settings.web_url}/admin/ (edit, review and publish answers; first admin: "
        "python -m bot.web.admin create-user NAME --role admin)\n"
        f"  REST:      curl -s -X POST {base}/webhooks/rest/webhook "
        "-H 'Content-Type: application/json' "
        '-d \'{"sender": "me", "message": "what is LEMS?"}\'\n'
        f"  socket.io: {base}/socket.io/ (the widget's channel)\n"
        f"  Telegram:  {telegram}\n"
        f"  MAX:       {max_}\n"
        f"  VK:        {vk}\n"
        f"  HTTP API:  {base}/status?token=<PNS_RASA_TOKEN from .env>\n"
        "  terminal:  make shell\n"
        "Stop with Ctrl-C.\n"
    )


def serve(stack: Stack | Cluster, banner: str) -> int:
    """Print ``banner``, then wait for Ctrl-C / SIGTERM or a server's death; stop everything."""
    stop = _stop_on_signals()
    print(banner, flush=True)
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


def run() -> int:
    ensure_token()
    ensure_action_secret()
    ensure_privacy_key()
    ensure_telegram_secret()
    ensure_messenger_secrets()
    settings = load_settings()
    result = build_all(settings)
    log_dir = settings.var_dir / "log"
    stack = Stack(settings, result.model_path, log_dir)
    logger.info(
        "starting the action server, the Rasa server and the web page (logs in %s)…", log_dir
    )
    try:
        stack.start()
    except (RuntimeError, TimeoutError) as exc:
        logger.error("%s", exc)
        return 1
    return serve(stack, running_banner(settings, stack))


def cluster() -> int:
    """``make cluster``: the replicated deployment on loopback (see :mod:`bot.cluster`)."""
    from bot.cluster import DEFAULT_PUBLIC_PORT, Cluster, ClusterPorts

    ensure_token()
    ensure_action_secret()
    ensure_privacy_key()
    settings = load_settings()
    state = settings.var_dir / "cluster"
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data directory
    public = int(os.environ.get("PNS_CLUSTER_PORT", DEFAULT_PUBLIC_PORT))
    group = Cluster(settings, state, ClusterPorts.free(public=public))
    logger.info(
        "starting PostgreSQL, Redis, 2 action servers, 2 Rasa servers and nginx (logs in %s)…",
        group.log_dir,
    )
    try:
        group.start()
    except (RuntimeError, TimeoutError) as exc:
        logger.error("%s", exc)
        return 1
    base = group.url
    return serve(
        group,
        (
            "\nPNS Assistant cluster is running (2 Rasa servers, 2 action servers, PostgreSQL, "
            "Redis, nginx).\n"
            f"  REST:      curl -s -X POST {base}/webhooks/rest/webhook "
            "-H 'Content-Type: application/json' "
            '-d \'{"sender": "me", "message": "what is LEMS?"}\'\n'
            f"  HTTP API:  {base}/status?token=<PNS_RASA_TOKEN from .env>\n"
            f"  trackers:  {group.stores['PNS_TRACKER_STORE_URL']}\n"
            f"  locks:     {group.stores['PNS_LOCK_STORE_URL']}\n"
            f"  logs:      {group.log_dir}\n"
            "Stop with Ctrl-C.\n"
        ),
    )


def retention() -> int:
    """Delete old conversations and KB rows about them (see :mod:`bot.retention`)."""
    from bot.retention import (
        DEFAULT_ERASURE_RECORD_DAYS,
        DEFAULT_RETENTION_DAYS,
        delete_old_conversations,
        delete_old_kb_rows,
    )

    settings = load_settings()
    env = settings_environ()
    days = float(env.get("PNS_RETENTION_DAYS") or DEFAULT_RETENTION_DAYS)
    url = env.get("PNS_TRACKER_STORE_URL")
    if url:
        report = delete_old_conversations(url, days)
        logger.info(
            "deleted %d conversations (%d events) older than %g days",
            report.conversations,
            report.events,
            days,
        )
    else:
        logger.info("PNS_TRACKER_STORE_URL is not set: conversations are kept in memory only")
    kb_report = delete_old_kb_rows(
        settings.database_url,
        days,
        float(env.get("PNS_ERASURE_RECORD_DAYS") or DEFAULT_ERASURE_RECORD_DAYS),
    )
    logger.info(
        "deleted %d feedback rows, %d unanswered questions, %d consent records from the KB",
        kb_report.feedback,
        kb_report.unanswered,
        kb_report.consent,
    )
    return 0


def shell() -> int:
    ensure_token()
    ensure_action_secret()
    ensure_privacy_key()
    settings = load_settings()
    result = build_all(settings)
    log_dir = settings.var_dir / "log"
    write_rasa_config(settings)
    try:
        with Stack(settings, result.model_path, log_dir, rasa_server=False):
            cmd = [
                sys.executable,
                "-m",
                "bot.rasa_server",
                "shell",
                "--model",
                str(result.model_path),
                "--endpoints",
                str(settings.endpoints_path),
                "--port",
                str(settings.rasa_port),
            ]
            return subprocess.call(cmd, cwd=settings.root, env=project_env(settings))
    except (RuntimeError, TimeoutError) as exc:
        logger.error("%s", exc)
        return 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command", choices=["build", "run", "shell", "model", "cluster", "retention", "privacy"]
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "privacy":
        from bot.privacy import main as privacy_main

        return privacy_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    if args.command in ("build", "model"):
        result = build_all(load_settings(), BuildProgress.from_env())
        if args.command == "model":
            print(result.model_path)
        return 0
    commands = {"run": run, "shell": shell, "cluster": cluster, "retention": retention}
    return commands[args.command]()


if __name__ == "__main__":
    raise SystemExit(main())
