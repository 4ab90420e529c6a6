"""Fixtures for the team server's tests: servers as real processes, ended after each test."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from postgres_server import postgres_cluster
from team_server import SERVER_KEY, TeamServer, write_documents, write_model_settings

MakeServer = Callable[..., TeamServer]


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[MakeServer]:
    """make_server(fake_openai, database=None, token=None): a TeamServer (not started) using the
    fake model, a small document folder and its own home; every one is killed at teardown."""
    servers: list[TeamServer] = []

    def make(fake: Any, database: str | None = None, token: str | None = None) -> TeamServer:
        home = tmp_path / f"server-home-{len(servers)}"
        home.mkdir()
        write_model_settings(home, fake.base_url)
        server = TeamServer(home=home, database=database or str(tmp_path / "team.sqlite3"), token=token,
                            env={"HITL_DESKTOP_DOCUMENTS": str(write_documents(home)),
                                 "OPENAI_API_KEY": SERVER_KEY, "PYTHONUNBUFFERED": "1"})
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
