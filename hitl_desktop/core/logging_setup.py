"""Logging to a rotating file in the user's log folder, with every record redacted first."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from hitl_desktop.core import paths
from hitl_desktop.core.redaction import RedactingFilter

LOG_FILE_NAME = "hitl-desktop.log"
# HTTP clients log every request's full address at INFO: noise in a user's log, and an address
# may carry credentials the redactor was never told about.
QUIET_LOGGERS = ("httpx", "httpcore", "openai", "urllib3", "dashscope")


def log_file() -> Path:
    return paths.log_dir() / LOG_FILE_NAME


def configure_logging(level: int = logging.INFO) -> Path:
    target = log_file()
    paths.ensure_dir(target.parent)
    handler = logging.handlers.RotatingFileHandler(target, maxBytes=2_000_000, backupCount=3,
                                                   encoding="utf-8")
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return target
