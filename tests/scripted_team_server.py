"""A real team server for tests: llama-agents-server's WorkflowServer serving our
ResearchWorkflow on 127.0.0.1 (an ephemeral port), with its SQLite store in a test folder and a
shared token checked on every request, in its own process.

Its model is scripted: each research round and the report stream `chunks` numbered words, so a
test knows how many events a run makes. Run as a script, it is the server; imported, it gives
`TeamServerProcess`, which starts, kills and restarts it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

TOKEN = "team-token-7f3a9c2e41"
HERE = Path(__file__).resolve().parent


class TeamServerProcess:
    def __init__(self, folder: Path, *, token: str = TOKEN, chunks: int = 5, chunk_delay_s: float = 0.0) -> None:
        self.database = folder / "team.sqlite"
        self.token = token
        self.chunks = chunks
        self.chunk_delay_s = chunk_delay_s
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "team-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> TeamServerProcess:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.kill()

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(HERE.parent)])}
        with self.log.open("ab") as log:
            self._process = subprocess.Popen(
                [sys.executable, str(HERE / "scripted_team_server.py"), "--port", str(self.port), "--database",
                 str(self.database), "--token", self.token, "--chunks", str(self.chunks),
                 "--chunk-delay", str(self.chunk_delay_s)],
                stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the team server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", headers={"Authorization": f"Bearer {self.token}"},
                             timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("the team server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL: the server goes away mid-whatever, as in a crash."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGKILL)
            self._process.wait(timeout=10)
        self._process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(port: int, database: str, token: str, chunks: int, chunk_delay_s: float) -> None:
    from llama_agents.server import SqliteWorkflowStore, WorkflowServer
    from scripted_model import ScriptedChatModel, ScriptedReply
    from starlette.middleware import Middleware
    from starlette.responses import JSONResponse

    from hitl_desktop.core.workflow.research import ResearchWorkflow

    class RequireToken:
        """Every request carries the shared token, or gets 401."""

        def __init__(self, app, token: str) -> None:  # type: ignore[no-untyped-def]
            self.app, self.expected = app, f"Bearer {token}".encode()

        async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
            if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != self.expected:
                await JSONResponse({"detail": "Unauthorized"}, status_code=401)(scope, receive, send)
                return
            await self.app(scope, receive, send)

    class PacedModel(ScriptedChatModel):
        """Takes `chunk_delay_s` per chunk: a run a test can catch mid-step."""

        async def stream_chat(self, messages):  # type: ignore[no-untyped-def]
            async for chunk in super().stream_chat(messages):
                await asyncio.sleep(chunk_delay_s)
                yield chunk

    model = PacedModel(*[ScriptedReply([f"word{index} " for index in range(chunks)]) for _ in range(200)])
    server = WorkflowServer(workflow_store=SqliteWorkflowStore(database),
                            middleware=[Middleware(RequireToken, token=token)])
    server.add_workflow("research", ResearchWorkflow(lambda: model))
    asyncio.run(server.serve(host="127.0.0.1", port=port, uvicorn_config={"log_level": "warning"}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--chunks", type=int, default=5)
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    args = parser.parse_args()
    _serve(args.port, args.database, args.token, args.chunks, args.chunk_delay)
