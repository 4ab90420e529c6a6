"""The team server on a real PostgreSQL, the store a team deploys: a review pending when the
server is killed is there when it comes back, and the approval finishes the report with no
research run again (the same story as test_team_server_restarts.py tells on SQLite)."""

from __future__ import annotations

import signal

import pytest
from team_server import review_survives_a_restart


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_pending_review_survives_the_server_stopping_on_postgres(make_server, fake_openai, postgres_url,  # type: ignore[no-untyped-def]
                                                                   how) -> None:
    server = make_server(fake_openai, database=postgres_url).start()
    assert "store: PostgreSQL postgresql://postgres@127.0.0.1:" in server.log_text()
    review_survives_a_restart(server, fake_openai, how)
