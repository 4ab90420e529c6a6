"""The team server as a real process on 127.0.0.1, and what its tests say to it.

`TeamServer` starts `python -m hitl_desktop.server` with an isolated home (tests/app_process.py),
waits until it answers, and stops it with the signal a test names: SIGTERM as a service manager
would, SIGKILL as a crash would. Started again, it keeps its port and database, so a client's
address stays valid across the restart.
"""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from app_process import isolated_env
from llama_agents.client import WorkflowClient
from llama_agents.client.protocol.serializable_events import EventEnvelopeWithMetadata

SERVER_COMMAND = [sys.executable, "-m", "hitl_desktop.server"]
WORKFLOW = "research"
# Imports and the first document index: a few seconds here, more on a loaded 2-core machine.
START_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 30.0
# Every wait on the server is bounded: a broken server fails the test instead of hanging it.
EVENT_TIMEOUT_S = 60.0

# The server's model key: it must reach the model, and nothing a client can read.
SERVER_KEY = "sk-team-server-key-0123456789abcdef"

RESEARCH_SYSTEM_START = "You are a meticulous research analyst"
REPORT_SYSTEM_START = "You are a senior analyst writing a report"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class TeamServer:
    """One server's settings; `start()` runs it, `stop()` ends it, and both may be repeated."""

    home: Path
    database: str
    port: int = field(default_factory=free_port)
    token: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    host: str = "127.0.0.1"
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    last_pid: int = 0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.home / "server.log"

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def command(self) -> list[str]:
        return [*SERVER_COMMAND, "--host", self.host, "--port", str(self.port), "--database", self.database]

    def start(self) -> TeamServer:
        assert self.process is None, "already running"
        env = isolated_env(self.home, **self.env)
        if self.token is not None:
            env["HITL_DESKTOP_SERVER_TOKEN"] = self.token  # the way the README recommends
        self.starts += 1
        with self.log_path.open("ab") as log:
            log.write(f"--- start {self.starts}\n".encode())
            log.flush()
            self.process = subprocess.Popen(self.command(), env=env, cwd=self.home, stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.last_pid = self.process.pid
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        headers = auth_headers(self.token)
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited ({self.process.returncode}):\n{self.log_text()}")
            try:
                if httpx.get(f"{self.base_url}/health", headers=headers, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer in {START_TIMEOUT_S:.0f} s:\n{self.log_text()}")

    def stop(self, how: signal.Signals = signal.SIGTERM) -> int:
        """Send `how` and wait for the process to end; its exit code."""
        process, self.process = self.process, None
        if process is None:
            return 0
        if process.poll() is None:
            process.send_signal(how)
        try:
            return process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)
            raise AssertionError(f"the server ignored {how.name} for {STOP_TIMEOUT_S:.0f} s") from None

    def client(self, token: str | None = ...) -> WorkflowClient:  # type: ignore[assignment]
        """A llama-agents client for this server, carrying the server's token unless told otherwise."""
        token = self.token if token is ... else token
        return WorkflowClient(httpx_client=httpx.AsyncClient(base_url=self.base_url, headers=auth_headers(token),
                                                             timeout=EVENT_TIMEOUT_S))


@asynccontextmanager
async def clients(server: TeamServer, count: int = 1) -> AsyncIterator[list[WorkflowClient]]:
    """`count` clients of `server` (as many reviewers' apps), closed afterwards."""
    made = [server.client() for _ in range(count)]
    try:
        yield made
    finally:
        for client in made:
            assert client.httpx_client is not None
            await client.httpx_client.aclose()


def server_for(fake: Any, home: Path, database: str, token: str | None = None) -> TeamServer:
    """A TeamServer (not started) answering with `fake`'s model, searching a small document
    folder, in `home` of its own. `fake` (tests/fake_openai.py) scripts each reply; a
    `Stream(..., delay_s=...)` paces one, so a test can catch the run mid-step."""
    home.mkdir(parents=True, exist_ok=True)
    write_model_settings(home, fake.base_url)
    return TeamServer(home=home, database=database, token=token,
                      env={"HITL_DESKTOP_DOCUMENTS": str(write_documents(home)),
                           "OPENAI_API_KEY": SERVER_KEY, "PYTHONUNBUFFERED": "1"})


@contextmanager
def running(server: TeamServer) -> Iterator[TeamServer]:
    """`server` started, and killed afterwards whatever happened (also after a test restarted it)."""
    server.start()
    try:
        yield server
    finally:
        server.stop(signal.SIGKILL)


def auth_headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def write_model_settings(home: Path, base_url: str) -> None:
    """The server's own settings: an OpenAI-compatible model at `base_url` (a fake one)."""
    folder = home / ".config" / "hitl-desktop"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "settings.json").write_text(json.dumps(
        {"provider": "openai_compatible", "model": "team-model", "base_url": base_url}), encoding="utf-8")


def write_documents(home: Path) -> Path:
    """A small document folder for the server to search (quicker to index than the sample)."""
    folder = home / "documents"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tides.md").write_text(
        "# Tidal power\n\nThe Rance barrage in Brittany has made electricity from the tides since 1966. "
        "Tidal range there reaches thirteen metres.\n", encoding="utf-8")
    return folder


def model_requests(fake: Any) -> tuple[int, int]:
    """How many research and report requests the fake model has seen."""
    systems = [request.body["messages"][0]["content"] for request in fake.requests]
    return (sum(s.startswith(RESEARCH_SYSTEM_START) for s in systems),
            sum(s.startswith(REPORT_SYSTEM_START) for s in systems))


async def start_run(client: WorkflowClient, topic: str) -> str:
    handler = await client.run_workflow_nowait(WORKFLOW, start_event={"topic": topic})
    return handler.handler_id


async def events_until(client: WorkflowClient, handler_id: str, last_type: str, *,
                       after_sequence: int | str = -1) -> tuple[list[EventEnvelopeWithMetadata], int | str]:
    """The run's events after `after_sequence`, up to and including the first `last_type`, and
    the sequence number of that one (where a reconnecting client resumes)."""
    stream = client.get_workflow_events(handler_id, after_sequence=after_sequence)  # type: ignore[arg-type]
    seen: list[EventEnvelopeWithMetadata] = []

    async def read() -> None:
        async for event in stream:
            seen.append(event)
            if event.type == last_type:
                return

    try:
        await asyncio.wait_for(read(), EVENT_TIMEOUT_S)
    finally:
        await stream.aclose()
    assert seen and seen[-1].type == last_type, [e.type for e in seen]
    return seen, stream.last_sequence


async def decide(client: WorkflowClient, handler_id: str, review: EventEnvelopeWithMetadata,
                 reviewer: str, *, approved: bool = True) -> None:
    await client.send_event(handler_id, {"type": "ReviewDecisionEvent", "value": {
        "round": review.value["round"], "review_id": review.value["review_id"], "approved": approved,
        "reviewer": reviewer}})


def messages(events: list[EventEnvelopeWithMetadata]) -> list[str]:
    return [e.value["message"] for e in events if e.type == "ProgressEvent"]


def review_survives_a_restart(server: TeamServer, fake: Any, how: signal.Signals) -> None:
    """The story every store must tell, asserted: a run waits on a review; the server is
    stopped `how` and started again on the same database; the review is there, the same one,
    and its approval finishes the report without the research being run again."""

    async def until_review() -> tuple[str, dict[str, Any]]:
        async with clients(server) as (client,):
            handler_id = await start_run(client, "tidal power")
            events, _ = await events_until(client, handler_id, "ResearchReadyEvent")
            return handler_id, events[-1].value

    handler_id, review = asyncio.run(until_review())
    assert model_requests(fake) == (1, 0)
    server.stop(how)
    server.start()

    async def after_restart():  # type: ignore[no-untyped-def]
        async with clients(server) as (client,):
            waiting = await client.get_handler(handler_id)
            events, _ = await events_until(client, handler_id, "ResearchReadyEvent")
            reopened = events[-1]
            await decide(client, handler_id, reopened, "Ana")
            finished, _ = await events_until(client, handler_id, "ReportFinishedEvent")
            return waiting, reopened.value, finished, await client.get_handler(handler_id)

    waiting, reopened, finished, done = asyncio.run(after_restart())
    assert waiting.status == "running"
    assert reopened == review  # the same review, the same id: an answer from before still fits
    assert done.status == "completed" and done.result is not None
    assert done.result.value["report"] == finished[-1].value["report"]
    assert model_requests(fake) == (1, 1)  # one report, and the research was not run again
