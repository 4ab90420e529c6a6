"""Fixtures for the team server's tests: servers as real processes, ended after each test."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from postgres_server import postgres_cluster
from team_server import TeamServer, server_for

MakeServer = Callable[..., TeamServer]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """make_server(fake_openai, database=None, token=None): a TeamServer (not started) using the
    fake model, a small document folder and its own home; every one is killed at teardown."""
    servers: list[TeamServer] = []

    def make(fake: Any, database: str | None = None, token: str | None = None) -> TeamServer:
        server = server_for(fake, tmp_path / f"server-home-{len(servers)}",
                            database or str(tmp_path / "team.sqlite3"), token)
        servers.append(server)
        return server

    yield make
    for server in servers:
        if server.process is not None:
            server.stop(signal.SIGKILL)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL of its own for the test (skipped, saying why, where there is none)."""
    with postgres_cluster() as url:
        yield url
