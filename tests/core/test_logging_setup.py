"""The log file: the app's own records, redacted; HTTP clients' per-request chatter left out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from hitl_desktop.core.logging_setup import QUIET_LOGGERS, RotatingLogFile, configure_logging
from hitl_desktop.core.redaction import register_secret


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            handler.close()
            root.removeHandler(handler)
    root.setLevel(level)
    for name, old in levels.items():
        logging.getLogger(name).setLevel(old)


def test_request_addresses_stay_out_of_the_log_and_secrets_are_redacted(restored_logging: None) -> None:
    path = configure_logging(logging.INFO)
    register_secret("sk-registered-0123456789")
    logging.getLogger("httpx").info("HTTP Request: POST https://unregistered-token-42@gw.example/v1")
    logging.getLogger("hitl_desktop.core.session").info("Run started with key sk-registered-0123456789")
    logging.getLogger("httpx").warning("connection pool is full")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text(encoding="utf-8")
    assert "unregistered-token-42" not in text and "HTTP Request" not in text
    assert "Run started with key [redacted]" in text
    assert "connection pool is full" in text  # warnings from HTTP clients still get through


def test_a_full_log_file_moves_to_its_first_backup_and_the_oldest_backup_goes(tmp_path: Path) -> None:
    folder = tmp_path / "log"
    folder.mkdir()
    handler = RotatingLogFile(folder / "app.log", max_bytes=1_000, backups=2)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log = logging.Logger("rotation")
    log.addHandler(handler)
    for number in range(100):
        log.warning("record %03d %s", number, "x" * 40)
    handler.close()
    assert sorted(path.name for path in folder.iterdir()) == ["app.log", "app.log.1", "app.log.2"]
    texts = [(folder / name).read_text(encoding="utf-8") for name in ("app.log.2", "app.log.1", "app.log")]
    assert all(len(text) < 1_000 for text in texts)
    numbers = [int(line.split()[1]) for text in texts for line in text.splitlines()]
    assert numbers == list(range(numbers[0], 100))  # the newest records, in order, none lost between files
