"""`hitl-desktop-server`: serve the research workflow to a team's desktop apps.

    hitl-desktop-server [--host 127.0.0.1] [--port 8765] [--database PATH|postgresql://…] [--token T]

Loopback only by default. Listening anywhere else needs a shared token (`--token`, or better
HITL_DESKTOP_SERVER_TOKEN, which `ps` does not show), checked on every request; it is refused
without one. The log says whether the token is required, and never shows it.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import logging
import os
import sys
from collections.abc import Sequence

from hitl_desktop import __version__
from hitl_desktop.core.redaction import RedactingFilter, register_secret

log = logging.getLogger("hitl_desktop.server")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_ENV = "HITL_DESKTOP_SERVER_TOKEN"
# On SIGTERM, open event streams are closed after this long: a reviewer's app keeps one open on
# a paused run for hours, and would otherwise hold the shutdown until the service manager kills
# the server. Clients reconnect from the last event they saw.
GRACEFUL_SHUTDOWN_S = 5.0
MIN_TOKEN_CHARS = 16  # guessing must be hopeless; `secrets.token_urlsafe()` gives 43
# Request-by-request client chatter, and bm25s, which logs each index build at DEBUG level.
QUIET_LOGGERS = ("httpx", "httpcore", "openai", "urllib3", "dashscope", "bm25s")


class UsageError(Exception):
    """What is wrong with the command line, said so a person can fix it."""


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


def parse_args(argv: Sequence[str] | None, env: dict[str, str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="hitl-desktop-server",
        description="Serve HITL Desktop's research workflow to a team: runs, reviews and reports "
                    "in a shared queue that survives restarts.")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help=f"address to listen on (default {DEFAULT_HOST}; any other needs a token)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    parser.add_argument("--database", default=None,
                        help="a SQLite file, or a postgresql:// URL (default: team-server.sqlite3 in "
                             "the app's data folder)")
    parser.add_argument("--token", default=None,
                        help=f"the access token every request must carry (Authorization: Bearer); "
                             f"prefer the {TOKEN_ENV} variable, which other users' `ps` does not show")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    args = parser.parse_args(argv)
    args.token = (args.token if args.token is not None else env.get(TOKEN_ENV, "")).strip() or None
    check(args)
    return args


def check(args: argparse.Namespace) -> None:
    if args.token is not None and len(args.token) < MIN_TOKEN_CHARS:
        raise UsageError(f"The access token is too short: use at least {MIN_TOKEN_CHARS} characters, "
                         "e.g. from: python3 -c 'import secrets; print(secrets.token_urlsafe())'")
    if args.token is None and not is_loopback(args.host):
        raise UsageError(f"Refusing to listen on {args.host} without an access token: anyone who can "
                         f"reach it could read and decide every review. Set {TOKEN_ENV} (or --token), "
                         "or listen on 127.0.0.1 only.")


def configure_logging() -> None:
    """Log lines to stderr (the service manager keeps them), each one redacted first."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = parse_args(argv, dict(os.environ))
    except UsageError as error:
        print(f"hitl-desktop-server: {error}", file=sys.stderr)
        return 2
    register_secret(args.token)  # redacted from every log line, should anything ever print it
    configure_logging()
    return asyncio.run(serve(args))


async def serve(args: argparse.Namespace) -> int:
    from hitl_desktop.core.providers import model_source_for
    from hitl_desktop.core.resources import sample_corpus_dir
    from hitl_desktop.core.secret_store import SecretStore
    from hitl_desktop.core.settings import OFFLINE_DESCRIPTION, runs_offline
    from hitl_desktop.core.settings_service import SettingsService
    from hitl_desktop.core.sources.roots import cache_dir, load_roots
    from hitl_desktop.server import stores
    from hitl_desktop.server.tasks import keep_tasks_alive
    from hitl_desktop.server.app import (
        LOOPBACK_NAMES,
        document_search,
        research_server,
        settle_before_serving,
    )

    keep_tasks_alive(asyncio.get_running_loop())  # before any workflow runs: see tasks.py
    database = args.database or str(stores.default_database())
    settings = SettingsService(SecretStore())
    # The documents the desktop app would use here: saved roots and HITL_DESKTOP_DOCUMENTS, else
    # the sample corpus.
    roots = load_roots() or [sample_corpus_dir()]
    model_source = model_source_for(settings.current)
    store = stores.open_store(database)
    server = research_server(store, model_source,
                             document_search(roots, cache_dir() / "server"), token=args.token,
                             allowed_hosts=LOOPBACK_NAMES if is_loopback(args.host) else ("*",))
    current = settings.current()
    model = OFFLINE_DESCRIPTION if runs_offline(current) else current.description
    log.info("HITL Desktop %s team server on http://%s:%s; store: %s; model: %s; documents: %s; "
             "access token %s", __version__, args.host, args.port, stores.describe(database),
             model, os.pathsep.join(str(r) for r in roots),
             "required on every request" if args.token else "not required (loopback only)")
    await asyncio.to_thread(settle_before_serving, model_source)
    # log_config=None: uvicorn's loggers go through the redacting handler above.
    try:
        await server.serve(args.host, args.port, uvicorn_config={
            "log_config": None, "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S})
    finally:
        # The server never closes its store; ours may still hold queued events to commit.
        await stores.close_store(store)
    return 0
