"""A review outlives the server: stopped by the service manager (SIGTERM) or killed (SIGKILL)
while a run waits on a review, the server comes back on the same database with the review
still open, and the approval finishes the report with no research run again. SQLite here;
test_team_server_postgres.py runs the same story against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import signal

import pytest
from fake_openai import Stream
from team_server import clients, decide, events_until, model_requests, review_survives_a_restart, start_run


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_pending_review_survives_the_server_stopping(make_server, fake_openai, how) -> None:  # type: ignore[no-untyped-def]
    server = make_server(fake_openai).start()
    review_survives_a_restart(server, fake_openai, how)
    assert server.starts == 2


def test_sigterm_ends_the_server_while_a_reviewer_still_watches_a_paused_run(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """A reviewer's app keeps its event stream open on a waiting run for hours; a service
    manager's SIGTERM must still stop the server (the stream is closed; the app reconnects)."""
    server = make_server(fake_openai).start()

    async def stop_while_watching() -> int:
        async with clients(server) as (client,):
            handler_id = await start_run(client, "tidal power")
            await events_until(client, handler_id, "ResearchReadyEvent")
            assert client.httpx_client is not None
            async with client.httpx_client.stream("GET", f"/events/{handler_id}",
                                                  params={"after_sequence": "now"}) as watching:
                assert watching.status_code == 200  # the server is streaming to us now
                return await asyncio.to_thread(server.stop, signal.SIGTERM)

    # uvicorn finishes its shutdown, then ends by the signal it caught (a clean stop to systemd).
    assert asyncio.run(stop_while_watching()) == -signal.SIGTERM
    assert server.log_text().rstrip().endswith("Finished server process [%d]" % server.last_pid)


def test_a_run_killed_mid_research_resumes_when_asked_and_runs_that_step_again(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """Killed while the model was still writing the notes, and started again at once: the run is
    younger than the server's 30 s grace, so it is not resumed at start-up; a ResumeRequestedEvent
    reloads it, the research runs again, and the run goes on to its report."""
    fake_openai.replies = [Stream(["Tidal "] * 50, delay_s=0.2)]  # slow enough to be killed midway
    server = make_server(fake_openai).start()

    async def until_researching() -> tuple[str, int | str]:
        async with clients(server) as (client,):
            handler_id = await start_run(client, "tidal power")
            _, last_seen = await events_until(client, handler_id, "ResearchDeltaEvent")
            return handler_id, last_seen

    handler_id, last_seen = asyncio.run(until_researching())
    server.stop(signal.SIGKILL)
    fake_openai.release.set()  # the interrupted reply's remaining chunks go out without delay
    server.start()

    async def resumed() -> list[str]:
        async with clients(server) as (client,):
            await client.send_event(handler_id, {"type": "ResumeRequestedEvent", "value": {}})
            events, _ = await events_until(client, handler_id, "ResearchReadyEvent", after_sequence=last_seen)
            await decide(client, handler_id, events[-1], "Ana")
            after, _ = await events_until(client, handler_id, "ReportFinishedEvent")
            return [e.type for e in events + after]

    seen = asyncio.run(resumed())
    assert "ReportFinishedEvent" in seen
    assert model_requests(fake_openai) == (2, 1)  # the interrupted research, run again once
