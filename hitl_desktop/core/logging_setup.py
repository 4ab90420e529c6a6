"""Logging to a rotating file in the user's log folder, with every record redacted first."""

from __future__ import annotations

import logging
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
    handler = RotatingLogFile(target, max_bytes=2_000_000, backups=3)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    return target


class RotatingLogFile(logging.FileHandler):
    """A log file that is renamed `<name>.1` (`.1` to `.2`, ... up to `backups`, at least 1) before a record
    would take it to `max_bytes`: what `logging.handlers.RotatingFileHandler` does. Importing that
    module (with socket, pickle and queue, for its other handlers) took 8-14 ms of the app's
    start, before its window could show."""

    def __init__(self, path: Path, *, max_bytes: int, backups: int) -> None:
        super().__init__(path, encoding="utf-8")
        self._max_bytes = max_bytes
        self._backups = backups

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._full_with(record):
                self._rotate()
        except Exception:  # noqa: BLE001 (logging must not raise: Handler.handleError reports it)
            self.handleError(record)
            return
        super().emit(record)

    def _full_with(self, record: logging.LogRecord) -> bool:
        if self.stream is None:
            return False
        self.stream.seek(0, 2)  # another instance may have written to the file meanwhile
        return self.stream.tell() + len(self.format(record)) + 1 >= self._max_bytes

    def _rotate(self) -> None:
        self.stream.close()
        self.stream = None  # reopened, empty, by FileHandler.emit
        base = Path(self.baseFilename)
        for number in range(self._backups - 1, 0, -1):
            older = base.with_name(f"{base.name}.{number}")
            if older.exists():
                older.replace(base.with_name(f"{base.name}.{number + 1}"))
        base.replace(base.with_name(f"{base.name}.1"))
