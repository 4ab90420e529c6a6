"""TeamSession and TeamQueue against the real team server (`python -m hitl_desktop.server`) on
127.0.0.1 with its SQLite store and a token, its model a fake OpenAI-compatible server whose
replies are numbered words: a full run, a stream cut mid-way and resumed, the token refused, a
second decision for a decided review, the queue of every run, a server killed mid-step."""

from __future__ import annotations

import asyncio
import logging
import signal
import traceback
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fake_openai import FakeOpenAI, FakeOpenAIServer, Stream
from team_server import TeamServer, free_port, model_requests, running, server_for

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ProgressUpdate, ReportDelta, ResearchDelta, ReviewDecision, ReviewRequest
from hitl_desktop.core.team.client import TOKEN_REFUSED, TeamClient
from hitl_desktop.core.team.queue import QueueStatus, TeamQueue
from hitl_desktop.core.team.session import TeamSession
from hitl_desktop.core.team.settings import TeamSettings

CHUNKS = 12
TOKEN = "team-token-7f3a9c2e41"


def numbered_words(count: int = CHUNKS, *, delay_s: float = 0.0) -> Stream:
    """A model reply of `count` words, word0 word1 …: a test knows what each run streams."""
    return Stream([f"word{index} " for index in range(count)], delay_s=delay_s)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """One server for the module's quick tests; every reply of its model is numbered_words()."""
    folder = tmp_path_factory.mktemp("team")
    with FakeOpenAIServer() as model:
        model.fake.default = numbered_words()
        with running(server_for(model.fake, folder / "home", str(folder / "team.sqlite3"), TOKEN)) as started:
            yield started


@pytest.fixture
def slow_server(fake_openai: FakeOpenAI, tmp_path: Path) -> Iterator[TeamServer]:
    """A server of the test's own whose first research crawls (400 words, 50 ms each), so a test
    catches the run mid-step; everything after it is quick."""
    fake_openai.replies = [numbered_words(400, delay_s=0.05)]
    fake_openai.default = numbered_words()
    with running(server_for(fake_openai, tmp_path / "home", str(tmp_path / "team.sqlite3"), TOKEN)) as started:
        yield started


def client_for(server: TeamServer, token: str = TOKEN, **kwargs) -> TeamClient:  # type: ignore[no-untyped-def]
    return TeamClient(TeamSettings(server_url=server.base_url, token=token), **kwargs)


def connect(server: TeamServer, token: str = TOKEN, **kwargs):  # type: ignore[no-untyped-def]
    """What a TeamSession is given: the client, made when the run starts."""
    return lambda: client_for(server, token, **kwargs)


async def run_and_answer(session: TeamSession, topic: str, *decisions: ReviewDecision) -> tuple:  # type: ignore[type-arg]
    """Run `topic`, answering each review with the next decision; the report and all updates."""
    updates: list = []  # type: ignore[type-arg]
    answers = list(decisions)

    def emit(update) -> None:  # type: ignore[no-untyped-def]
        updates.append(update)
        if isinstance(update, ReviewRequest) and answers:
            assert session.submit_decision(answers.pop(0))

    report = await asyncio.wait_for(session.run(topic, emit), 60)
    return report, updates


def test_a_run_on_the_server_streams_into_the_session_and_ends_in_the_report(server: TeamServer) -> None:
    session = TeamSession(connect(server), reviewer="Ada")
    report, updates = asyncio.run(run_and_answer(
        session, "tidal power in Europe",
        ReviewDecision(round=1, approved=False, feedback="name the sites"),
        ReviewDecision(round=2, approved=True)))

    requests = [u for u in updates if isinstance(u, ReviewRequest)]
    assert [r.round for r in requests] == [1, 2]
    assert all(len(r.review_id) == 32 for r in requests) and requests[0].review_id != requests[1].review_id
    assert requests[0].topic == "tidal power in Europe" and requests[0].notes.startswith("word0 word1")
    assert requests[1].previous_notes == requests[0].notes  # "what changed" works in team mode too
    assert "".join(u.text for u in updates if isinstance(u, ResearchDelta) and u.round == 1).split() == \
        [f"word{i}" for i in range(CHUNKS)]
    messages = [u.message for u in updates if isinstance(u, ProgressUpdate)]
    assert any(m.startswith("Research round 1 sent back by Ada") for m in messages)
    assert "Research round 2 approved by Ada" in messages
    # The report as streamed, and as the server's result, with the reviewer in its provenance.
    assert "".join(u.text for u in updates if isinstance(u, ReportDelta)).strip() == report.markdown
    assert report.topic == "tidal power in Europe" and report.rounds == 2
    assert [(r.round, r.approved, r.reviewer) for r in report.provenance.rounds] == \
        [(1, False, "Ada"), (2, True, "Ada")]


class CutAfter(httpx.AsyncBaseTransport):
    """A real transport whose event streams break (a dropped connection) after `events` events
    each, `cuts` times in all."""

    def __init__(self, events: int, cuts: int) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.events, self.cuts_left = events, cuts
        self.resumed_after: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        if request.method != "GET" or not request.url.path.startswith("/events/"):
            return response
        self.resumed_after.append(request.url.params["after_sequence"])
        if self.cuts_left <= 0:
            return response
        self.cuts_left -= 1
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_Cut(response.stream, self.events), request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Cut(httpx.AsyncByteStream):
    def __init__(self, inner, events: int) -> None:  # type: ignore[no-untyped-def]
        self._inner, self._left = inner, events

    async def __aiter__(self):  # type: ignore[no-untyped-def]
        async for chunk in self._inner:
            yield chunk
            self._left -= chunk.count(b"\ndata: ")
            if self._left <= 0:
                raise httpx.ReadError("connection dropped (test)")

    async def aclose(self) -> None:
        await self._inner.aclose()


def test_a_dropped_stream_resumes_after_the_last_event_seen_losing_and_repeating_nothing(
        server: TeamServer) -> None:
    cutter = CutAfter(events=5, cuts=4)
    session = TeamSession(connect(server, transport=cutter), reconnect_delays_s=(0.05,))
    report, updates = asyncio.run(run_and_answer(session, "cut streams", ReviewDecision(round=1, approved=True)))

    assert cutter.cuts_left == 0 and len(cutter.resumed_after) >= 5
    # Each reconnect asked for the events after the last one the session had seen.
    resumed = [int(after) for after in cutter.resumed_after]
    assert resumed[0] == -1 and resumed == sorted(resumed) and len(set(resumed)) == len(resumed)
    # Every word of the research and of the report arrived exactly once, in order.
    assert "".join(u.text for u in updates if isinstance(u, ResearchDelta)).split() == \
        [f"word{i}" for i in range(CHUNKS)]
    assert "".join(u.text for u in updates if isinstance(u, ReportDelta)).strip() == report.markdown
    assert report.markdown.split() == [f"word{i}" for i in range(CHUNKS)]
    # Compared with one clean read of the whole stream: the same events, none twice.
    clean = asyncio.run(all_updates(server, session.run_id))
    shown = [u for u in updates if not (isinstance(u, ProgressUpdate) and "connection" in u.message.lower()
                                        or isinstance(u, ProgressUpdate) and u.message.startswith("Reconnected"))]
    assert [type(u).__name__ for u in shown] == [type(u).__name__ for u in clean]
    messages = [u.message for u in updates if isinstance(u, ProgressUpdate)]
    assert any(m.startswith(f"Lost the connection to the team server at {server.base_url}") for m in messages)


async def all_updates(server: TeamServer, run_id: str) -> list:  # type: ignore[type-arg]
    seen: list = []  # type: ignore[type-arg]
    await asyncio.wait_for(TeamSession(connect(server)).follow(run_id, seen.append), 30)
    return seen


def test_a_refused_token_is_a_clear_error_that_never_shows_the_token(
        server: TeamServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-token-5d1e8b7a90"
    with pytest.raises(UserFacingError) as raised:
        asyncio.run(TeamSession(connect(server, token=wrong)).run("tides", lambda _u: None))
    error = raised.value
    assert error.kind is ErrorKind.AUTH and error.message.startswith(TOKEN_REFUSED)
    assert wrong not in "".join(traceback.format_exception(error)) and wrong not in caplog.text
    # The queue says the same.
    queue = TeamQueue(client_for(server, token=wrong), lambda _runs: None)
    with pytest.raises(UserFacingError, match="refused the token"):
        asyncio.run(_refresh_and_close(queue))


async def _refresh_and_close(queue: TeamQueue):  # type: ignore[no-untyped-def]
    try:
        return await queue.refresh()
    finally:
        await queue.aclose()


def test_no_server_at_the_address_says_so_naming_it_without_the_token(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    settings = TeamSettings(server_url=url, token="secret-token-4c2b19")
    with pytest.raises(UserFacingError) as raised:
        asyncio.run(TeamSession(lambda: TeamClient(settings)).run("tides", lambda _u: None))
    assert raised.value.kind is ErrorKind.NETWORK
    assert raised.value.message == f"Could not reach the team server at {url}."
    assert "secret-token" not in str(raised.value)


def test_a_second_decision_for_a_decided_review_is_ignored_and_says_who_decided(server: TeamServer) -> None:
    async def scenario():  # type: ignore[no-untyped-def]
        first_updates: list = []  # type: ignore[type-arg]
        first = TeamSession(connect(server), reviewer="Ada")
        waiting = asyncio.Event()

        def first_emit(update) -> None:  # type: ignore[no-untyped-def]
            first_updates.append(update)
            if isinstance(update, ReviewRequest):
                waiting.set()

        running = asyncio.create_task(first.run("one answer per review", first_emit))
        await asyncio.wait_for(waiting.wait(), 30)
        # A second reviewer follows the same run and answers the same review.
        second_updates: list = []  # type: ignore[type-arg]
        second = TeamSession(connect(server), reviewer="Grace")
        second_waiting = asyncio.Event()

        def second_emit(update) -> None:  # type: ignore[no-untyped-def]
            second_updates.append(update)
            if isinstance(update, ReviewRequest):
                second_waiting.set()

        following = asyncio.create_task(second.follow(first.run_id, second_emit))
        await asyncio.wait_for(second_waiting.wait(), 30)
        # Both approve at the same moment, with feedback that says whose approval it was.
        assert first.submit_decision(ReviewDecision(round=1, approved=True, feedback="from Ada"))
        assert second.submit_decision(ReviewDecision(round=1, approved=True, feedback="from Grace"))
        return (await asyncio.wait_for(running, 60), await asyncio.wait_for(following, 60),
                first_updates, second_updates)

    ada_report, grace_report, ada_updates, grace_updates = asyncio.run(scenario())
    messages = {"Ada": [u.message for u in ada_updates if isinstance(u, ProgressUpdate)],
                "Grace": [u.message for u in grace_updates if isinstance(u, ProgressUpdate)]}
    # Exactly one approval counted, whichever reached the server first; the other was told.
    counted = [m for m in messages["Ada"] if m.startswith("Research round 1 approved by")]
    assert len(counted) == 1
    winner = counted[0].removeprefix("Research round 1 approved by ").split(";")[0]
    loser = {"Ada": "Grace", "Grace": "Ada"}[winner]
    assert counted[0] == f"Research round 1 approved by {winner}; for the report: “from {winner}”"
    assert f"Your decision on round 1 was not used: it was already decided by {winner}" in messages[loser]
    assert f"Round 1 was already decided by {winner}; a second decision for it was ignored" in messages[winner]
    assert ada_report.rounds == 1 and grace_report.markdown == ada_report.markdown
    # The provenance of the winner's report names them; the ignored decision is in none.
    reports = {"Ada": ada_report, "Grace": grace_report}
    assert [(r.round, r.reviewer) for r in reports[winner].provenance.rounds] == [(1, winner)]
    assert reports[loser].provenance.rounds == ()


def test_the_team_queue_lists_every_run_with_its_topic_and_status(server: TeamServer) -> None:
    async def scenario():  # type: ignore[no-untyped-def]
        await run_and_answer(TeamSession(connect(server)), "a finished run", ReviewDecision(round=1, approved=True))
        session = TeamSession(connect(server), reviewer="Ada")
        waiting = asyncio.Event()
        running = asyncio.create_task(session.run("a run that waits", lambda u: isinstance(u, ReviewRequest)
                                                  and waiting.set()))
        await asyncio.wait_for(waiting.wait(), 30)
        changes: list = []  # type: ignore[type-arg]
        queue = TeamQueue(client_for(server), changes.append)
        try:
            await queue.refresh()
            while not any(r.run_id == session.run_id and r.status is QueueStatus.WAITING_FOR_REVIEW
                          for r in queue.runs):
                await asyncio.sleep(0.05)
            waiting_run = next(r for r in queue.runs if r.run_id == session.run_id)
            assert session.submit_decision(ReviewDecision(round=1, approved=True))
            await asyncio.wait_for(running, 60)
            await queue.refresh()
            while next(r for r in queue.runs if r.run_id == session.run_id).status is not QueueStatus.DONE:
                await asyncio.sleep(0.05)
            return waiting_run, queue.runs, changes
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await queue.aclose()

    waiting_run, runs, changes = asyncio.run(scenario())
    assert waiting_run.topic == "a run that waits" and waiting_run.round == 1 and waiting_run.waiting_at is not None
    done = {r.run_id: r for r in runs}
    assert done[waiting_run.run_id].status is QueueStatus.DONE
    # Every run on the server is listed (the finished one's topic comes from its result), newest first.
    assert {"a finished run", "a run that waits"} <= {r.topic for r in runs}
    assert [r.started_at for r in runs] == sorted((r.started_at for r in runs), reverse=True)
    assert changes


def test_a_server_killed_mid_step_is_reconnected_to_its_wait_explained_and_resume_now_takes_it_up(
        slow_server: TeamServer, fake_openai: FakeOpenAI) -> None:
    from hitl_desktop.core.models import ResumeOffer
    from hitl_desktop.core.team.session import RESUMING_NOTE

    server = slow_server

    async def scenario():  # type: ignore[no-untyped-def]
        updates: list = []  # type: ignore[type-arg]
        researching, resuming = asyncio.Event(), asyncio.Event()

        def emit(update) -> None:  # type: ignore[no-untyped-def]
            updates.append(update)
            if isinstance(update, ResearchDelta):
                researching.set()
            if isinstance(update, ResumeOffer):
                resuming.set()
            if isinstance(update, ReviewRequest):
                assert session.submit_decision(ReviewDecision(round=update.round, approved=True))

        session = TeamSession(connect(server), reconnect_delays_s=(0.1,))
        assert not session.request_resume()  # nothing to resume while the run is going
        running_run = asyncio.create_task(session.run("a long step", emit))
        await asyncio.wait_for(researching.wait(), 30)
        await asyncio.to_thread(server.stop, signal.SIGKILL)  # mid-research
        fake_openai.release.set()  # the dead connection's remaining words go out without delay
        await asyncio.to_thread(server.start)  # the same address and store
        await asyncio.wait_for(resuming.wait(), 30)
        # The run is younger than the server's 30 s grace: without asking it would wait. Asked:
        assert session.request_resume() and not session.request_resume()  # once is enough
        report = await asyncio.wait_for(running_run, 60)
        return updates, report

    updates, report = asyncio.run(scenario())
    messages = [u.message for u in updates if isinstance(u, ProgressUpdate)]
    lost = next(i for i, m in enumerate(messages) if m.startswith("Lost the connection to the team server"))
    assert messages[lost + 1:lost + 3] == ["Reconnected to the team server", RESUMING_NOTE]
    assert "Asked the team server to resume the run now" in messages[lost + 3:]
    # The step the kill interrupted ran again from its start; then the review and the report.
    assert report.markdown.split() == [f"word{i}" for i in range(CHUNKS)]
    assert model_requests(fake_openai) == (2, 1)


@pytest.mark.parametrize("quitting", [False, True])
def test_stop_cancels_a_run_started_here_on_the_server_following_or_quitting_leaves_it_going(
        slow_server: TeamServer, quitting: bool) -> None:
    server = slow_server

    async def scenario() -> str:
        researching = asyncio.Event()
        session = TeamSession(connect(server))
        running = asyncio.create_task(session.run("stopped", lambda u: isinstance(u, ResearchDelta)
                                                  and researching.set()))
        await asyncio.wait_for(researching.wait(), 30)
        assert session.run_id is not None
        # Someone else follows it, and stops following: that leaves the run alone.
        followed = asyncio.Event()
        follower = asyncio.create_task(TeamSession(connect(server)).follow(session.run_id,
                                                                           lambda _u: followed.set()))
        await asyncio.wait_for(followed.wait(), 30)
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
        assert (await asyncio.to_thread(status_of, session.run_id)) == "running"
        if quitting:
            session.keep_for_later()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        return session.run_id

    def status_of(run_id: str) -> str:
        answer = httpx.get(f"{server.base_url}/handlers/{run_id}", headers={"Authorization": f"Bearer {TOKEN}"})
        return answer.json()["status"]

    run_id = asyncio.run(scenario())
    assert status_of(run_id) == ("running" if quitting else "cancelled")


def test_an_event_this_version_cannot_read_is_skipped_not_fatal() -> None:
    from llama_agents.client import EventEnvelopeWithMetadata

    from hitl_desktop.core.team.events import load

    odd = EventEnvelopeWithMetadata(value={"round": "not a number", "delta": 3}, qualified_name=None,
                                    type="ResearchDeltaEvent", types=None)
    assert load(odd) is None
    fine = EventEnvelopeWithMetadata(value={"round": 2, "delta": "text"}, qualified_name=None,
                                     type="ResearchDeltaEvent", types=None)
    assert (load(fine).round, load(fine).delta) == (2, "text")
    assert load(EventEnvelopeWithMetadata(value={}, qualified_name=None, type="StepStateChanged", types=None)) is None
