"""The team server as a team uses it: one run, several reviewers' clients, one answer per review,
a shared token, a client that reconnects mid-stream. A real server process on 127.0.0.1 with its
SQLite store, the model a fake OpenAI-compatible server in this process."""

from __future__ import annotations

import asyncio
import subprocess

import httpx
from app_process import isolated_env
from team_server import (
    clients,
    SERVER_COMMAND,
    SERVER_KEY,
    decide,
    events_until,
    messages,
    model_requests,
    start_run,
)


def test_two_reviewers_answer_one_review_at_once_and_only_the_first_answer_counts(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    server = make_server(fake_openai).start()

    async def scenario():  # type: ignore[no-untyped-def]
        async with clients(server, 2) as (ana, ben):
            handler_id = await start_run(ana, "tidal power")
            seen_by_ana, _ = await events_until(ana, handler_id, "ResearchReadyEvent")
            # Ben opens the queue: the run waits on a review, and he sees the same one.
            queue = await ben.get_handlers(status=["running"])
            assert handler_id in [h.handler_id for h in queue.handlers]
            seen_by_ben, _ = await events_until(ben, handler_id, "ResearchReadyEvent")
            review = seen_by_ana[-1]
            assert seen_by_ben[-1].value == review.value and review.value["review_id"]

            await asyncio.gather(decide(ana, handler_id, review, "Ana"), decide(ben, handler_id, review, "Ben"))
            everything, _ = await events_until(ana, handler_id, "ReportFinishedEvent")
            finished = await ana.get_handler(handler_id)
            return everything, finished

    everything, finished = asyncio.run(scenario())
    ignored = [e.value for e in everything if e.type == "DecisionIgnoredEvent"]
    approvals = [m for m in messages(everything) if m.startswith("Research round 1 approved by")]
    assert len(ignored) == 1 and len(approvals) == 1
    winner = approvals[0].removeprefix("Research round 1 approved by ")
    loser = ({"Ana", "Ben"} - {winner}).pop()
    assert (ignored[0]["decided_by"], ignored[0]["reviewer"], ignored[0]["reason"]) == (winner, loser, "already decided")
    assert [e.type for e in everything].count("ReportFinishedEvent") == 1
    assert finished.status == "completed"
    assert model_requests(fake_openai) == (1, 1)


def test_the_model_key_stays_on_the_server(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """The key reaches the model and nothing a client can read: events, handlers, schemas."""
    server = make_server(fake_openai).start()

    async def everything_a_client_can_read() -> str:
        async with clients(server) as (client,):
            handler_id = await start_run(client, "tidal power")
            events, _ = await events_until(client, handler_id, "ResearchReadyEvent")
            await decide(client, handler_id, events[-1], "Ana")
            events, _ = await events_until(client, handler_id, "ReportFinishedEvent")
        async with httpx.AsyncClient(base_url=server.base_url) as plain:
            pages = [await plain.get(path) for path in (
                "/handlers", f"/handlers/{handler_id}", f"/results/{handler_id}", "/workflows",
                "/workflows/research/schema", "/workflows/research/events", "/workflows/research/representation")]
        assert all(page.status_code == 200 for page in pages), [(p.url, p.status_code) for p in pages]
        return "\n".join([*(e.model_dump_json() for e in events), *(page.text for page in pages)])

    readable = asyncio.run(everything_a_client_can_read())
    assert fake_openai.requests and all(r.headers["Authorization"] == f"Bearer {SERVER_KEY}"
                                        for r in fake_openai.requests)
    assert "Report finished" in readable
    assert SERVER_KEY not in readable and SERVER_KEY not in server.log_text()


def test_with_a_token_every_request_must_carry_it_and_the_log_never_shows_it(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    token = "team-token-5f2b9c1e8d7a4603"
    server = make_server(fake_openai, token=token).start()
    routes = [("GET", "/health"), ("GET", "/handlers"), ("GET", "/workflows"), ("GET", "/"),
              ("GET", "/events/any-run"), ("POST", "/workflows/research/run-nowait"),
              ("POST", "/events/any-run"), ("POST", "/handlers/any-run/cancel")]
    refused = {}
    for method, path in routes:
        for headers in ({}, {"Authorization": "Bearer wrong-token-000000000"}, {"Authorization": token},
                        {"Authorization": f"Basic {token}"}):
            answer = httpx.request(method, server.base_url + path, headers=headers, json={}, timeout=10)
            refused[(method, path, tuple(headers.values()))] = answer.status_code
    assert set(refused.values()) == {401}, refused
    allowed = httpx.get(f"{server.base_url}/handlers", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert allowed.status_code == 200 and allowed.json() == {"handlers": []}

    async def a_run_with_the_token() -> list[str]:
        async with clients(server) as (client,):
            handler_id = await start_run(client, "tidal power")
            events, _ = await events_until(client, handler_id, "ResearchReadyEvent")
            await decide(client, handler_id, events[-1], "Ana")
            events, _ = await events_until(client, handler_id, "ReportFinishedEvent")
            return [e.type for e in events]

    assert "ReportFinishedEvent" in asyncio.run(a_run_with_the_token())
    server.stop()
    log = server.log_text()
    assert "access token required on every request" in log
    assert token not in log


def test_without_a_token_web_pages_of_other_sites_cannot_reach_it(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    """Loopback without a token: any page in the reviewer's browser could POST to it. A browser
    names the page's origin; a foreign one is refused, the app (no origin) and the server's own
    debugger page (its own origin) are not."""
    server = make_server(fake_openai).start()
    own_origin = f"http://127.0.0.1:{server.port}"
    answers = {}
    for origin in ("https://evil.example", "null", f"http://localhost:{server.port}", own_origin, None):
        headers = {"Origin": origin} if origin else {}
        answers[origin] = (httpx.get(f"{server.base_url}/handlers", headers=headers, timeout=10).status_code,
                           httpx.post(f"{server.base_url}/events/no-such-run", headers=headers, timeout=10,
                                      json={"event": {"type": "ReviewDecisionEvent", "value": {}}}).status_code)
    assert answers == {"https://evil.example": (403, 403), "null": (403, 403),
                       f"http://localhost:{server.port}": (403, 403),  # another origin, though the same machine
                       own_origin: (200, 404), None: (200, 404)}


def test_without_a_token_it_listens_on_loopback_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = isolated_env(tmp_path / "home")
    env.pop("HITL_DESKTOP_SERVER_TOKEN", None)
    result = subprocess.run([*SERVER_COMMAND, "--host", "0.0.0.0", "--port", "1", "--database",
                             str(tmp_path / "never.sqlite3")], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without an access token" in result.stderr
    assert not (tmp_path / "never.sqlite3").exists()


def test_a_short_token_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = isolated_env(tmp_path / "home", HITL_DESKTOP_SERVER_TOKEN="short")
    result = subprocess.run([*SERVER_COMMAND, "--port", "1"], env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2 and "The access token is too short" in result.stderr


def test_a_client_that_reconnects_resumes_after_the_last_event_it_saw(make_server, fake_openai) -> None:  # type: ignore[no-untyped-def]
    server = make_server(fake_openai).start()

    async def scenario():  # type: ignore[no-untyped-def]
        async with clients(server, 2) as (client, another):
            handler_id = await start_run(client, "tidal power")
            before, last_seen = await events_until(client, handler_id, "ResearchReadyEvent")  # then the line drops
            await decide(client, handler_id, before[-1], "Ana")
            after, _ = await events_until(client, handler_id, "ReportFinishedEvent", after_sequence=last_seen)
            whole, _ = await events_until(another, handler_id, "ReportFinishedEvent")
            return before, last_seen, after, whole

    before, last_seen, after, whole = asyncio.run(scenario())
    assert isinstance(last_seen, int)
    # Nothing missed, nothing twice: the two pieces are the whole stream.
    assert [e.model_dump() for e in before + after] == [e.model_dump() for e in whole]
    assert after[0].type == "ProgressEvent" and after[0].value["message"] == "Research round 1 approved by Ana"

