"""The team server's speed on loopback: decisions, the event stream, and its event loop's stalls.

Run:  python benchmarks/bench_team_server.py [--chunks 5000] [--rounds 20] [--database URL]

The server runs as `hitl-desktop-server` does, in a child process started through this script
(`--serve-team`), which adds only what measures it: a 1 ms heartbeat task on the server's event
loop (a late tick is a stall: the loop was busy, every request and stream waited) and a timer
around each call of the workflow store and each SQLite statement (naming the thread it ran on: one
on the loop's thread stalls the loop for all of its duration). The model is a fake DashScope in
its own process (benchmarks/loopback.py), streaming `--chunks` pieces of notes.
One whole run goes first, unmeasured (the first run imports the model's client library).

Each figure is printed with a baseline measured in the same run:
  * event stream: the research notes' chunks per second as a client receives them through the
    server (each one stored, then streamed), against the same chunks read straight from a
    fake model server by the app's own DashScope client, no team server in between;
  * decision latency: from a reviewer's POST to the workflow taking it (the `at` time of the
    progress line its step writes), over `--rounds` rounds sent back, against a GET /health
    round trip on the same connection (the HTTP floor);
  * loop stalls: the heartbeat's longest gap while the chunks streamed and while decisions
    came in, against its longest gap with the server idle (on a shared machine a gap also
    counts time the process was not scheduled); the most CPU time the loop's thread spent in
    one gap (the loop busy: the part a store write, a collection or a parse can be blamed for,
    not the machine); the longest SQLite statement or commit on the loop's thread and on the
    store's writer thread, each timed around the call itself; and the longest garbage
    collection of each generation (a collection stops the loop too).
Targets (the issue): a decision < 100 ms; ≥ 1,000 chunks/s; no stall over 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import LoopbackServer, isolate  # noqa: E402

HEARTBEAT_S = 0.001
WRITE_METHODS = ("append_event", "append_tick", "update", "update_handler_status", "query_events")


# ----- in the server's process ---------------------------------------------------------------

def serve_team(argv: list[str], measurements: Path) -> int:
    """`hitl-desktop-server argv`, measured: heartbeat gaps and store writes go to `measurements`."""
    from hitl_desktop.server import cli

    samples: list[str] = []

    def timed(name: str, write):  # type: ignore[no-untyped-def]
        async def measured(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            try:
                return await write(self, *args, **kwargs)
            finally:
                samples.append(f"write {time.time():.6f} {(time.perf_counter() - start) * 1000:.3f} {name}")
        return measured

    from hitl_desktop.server.postgres_store import BatchingPostgresWorkflowStore
    from hitl_desktop.server.sqlite_store import WalSqliteWorkflowStore

    # The classes the server calls (ours, around the library's stores): each call timed as the
    # loop awaits it.
    for store in (WalSqliteWorkflowStore, BatchingPostgresWorkflowStore):
        for name in WRITE_METHODS:
            if name in vars(store):  # its own: an inherited one calls these
                setattr(store, name, timed(name, getattr(store, name)))

    def where() -> str:  # a statement on the loop's thread stalls the loop for all its duration
        return "loop" if threading.current_thread() is threading.main_thread() else "thread"

    # Each SQLite statement and commit, timed where it runs, and which thread ran it.
    class TimedCursor(sqlite3.Cursor):
        def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            start = time.perf_counter()
            try:
                return super().execute(*args, **kwargs)
            finally:
                samples.append(f"sql {time.time():.6f} {(time.perf_counter() - start) * 1000:.3f} {where()}")

    class TimedConnection(sqlite3.Connection):
        def cursor(self, factory=TimedCursor):  # type: ignore[no-untyped-def, override]
            return super().cursor(factory)

        def execute(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            return self.cursor().execute(*args, **kwargs)

        def commit(self) -> None:
            start = time.perf_counter()
            try:
                super().commit()
            finally:
                samples.append(f"sql {time.time():.6f} {(time.perf_counter() - start) * 1000:.3f} {where()}")

    connect = sqlite3.connect
    sqlite3.connect = lambda *args, **kwargs: connect(*args, factory=TimedConnection, **kwargs)  # type: ignore[assignment]

    # Garbage collections, timed: a full one over a large heap stops the loop like any other work.
    collecting: list[float] = []

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting.append(time.perf_counter())
        elif collecting:
            samples.append(f"gc {time.time():.6f} {(time.perf_counter() - collecting.pop()) * 1000:.3f} "
                           f"generation-{info['generation']}")

    gc.callbacks.append(on_gc)

    async def heartbeat() -> None:
        last, last_cpu = time.perf_counter(), time.thread_time()
        flushed = last
        with measurements.open("a", encoding="utf-8") as out:
            while True:
                await asyncio.sleep(HEARTBEAT_S)
                now, cpu = time.perf_counter(), time.thread_time()
                stamp = time.time()
                samples.append(f"beat {stamp:.6f} {(now - last) * 1000:.3f}")
                # Of that gap, the time the loop's thread ran: work on the loop (a statement, a
                # collection, a parse), not the process waiting for a core or for the GIL.
                samples.append(f"busy {stamp:.6f} {(cpu - last_cpu) * 1000:.3f}")
                last, last_cpu = now, cpu
                if now - flushed > 0.2:  # in batches: a write per tick would be a load of its own
                    batch = samples[:]  # the writer thread may append meanwhile: keep those
                    del samples[:len(batch)]
                    out.write("\n".join(batch) + "\n")
                    out.flush()
                    flushed = now

    async def main() -> int:
        args = cli.parse_args(argv, dict(os.environ))
        cli.configure_logging()
        beating = asyncio.create_task(heartbeat())
        try:
            return await cli.serve(args)
        finally:
            beating.cancel()

    return asyncio.run(main())


# ----- in the benchmark's process ------------------------------------------------------------

def read_measurements(path: Path, kind: str, start: float, end: float, tag: str | None = None) -> list[float]:
    values = []
    for line in path.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if fields[0] == kind and start <= float(fields[1]) <= end and (tag is None or fields[3] == tag):
            values.append(float(fields[2]))
    return values


def start_server(database: str, port: int, measurements: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen([sys.executable, __file__, "--serve-team", str(measurements), "--",
                               "--port", str(port), "--database", database],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("the team server did not start")


async def sse_events(client: httpx.AsyncClient, handler_id: str):  # type: ignore[no-untyped-def]
    """The run's events from its first, each with the time it arrived."""
    async with client.stream("GET", f"/events/{handler_id}", params={"after_sequence": "-1"}) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                yield time.perf_counter(), json.loads(line[5:])


async def direct_chunks_per_second(chunks: int) -> float:
    """The baseline: the same chunks from a fake model server, read by the app's own client."""
    from hitl_desktop.core.providers import build_chat_model
    from hitl_desktop.core.providers.base import Message
    from hitl_desktop.core.settings import DASHSCOPE, ProviderSettings

    with LoopbackServer(research_chunks=chunks, report_chunks=10) as model_server:
        os.environ["DASHSCOPE_HTTP_BASE_URL"] = model_server.base_url
        model = build_chat_model(ProviderSettings(provider=DASHSCOPE, model="qwen-plus",
                                                  api_key=os.environ["DASHSCOPE_API_KEY"]))
        times = [time.perf_counter() async for _ in model.stream_chat([Message("user", "tides")])]
    return (len(times) - 1) / (times[-1] - times[0])


async def warm_up(client: httpx.AsyncClient) -> None:
    """One whole run first, unmeasured: the first one imports the model's client library (some
    hundreds of milliseconds on the loop, once per server start), which is not the steady state."""
    handler_id = (await client.post("/workflows/research/run-nowait",
                                    json={"start_event": {"topic": "warm-up"}})).json()["handler_id"]
    events = sse_events(client, handler_id)
    async for _received, event in events:
        if event["type"] == "ResearchReadyEvent":
            await client.post(f"/events/{handler_id}", json={"event": {"type": "ReviewDecisionEvent", "value": {
                "round": 1, "review_id": event["value"]["review_id"], "approved": True}}})
        elif event["type"] == "ReportFinishedEvent":
            break
    await events.aclose()


async def measure(port: int, rounds: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
        await warm_up(client)
        idle_start = time.time()
        await asyncio.sleep(2)
        idle_end = time.time()

        handler_id = (await client.post("/workflows/research/run-nowait",
                                        json={"start_event": {"topic": "tidal power"}})).json()["handler_id"]
        deltas: list[float] = []
        stream_start = time.time()
        events = sse_events(client, handler_id)  # one stream, read from phase to phase
        async for received, event in events:
            if event["type"] == "ResearchDeltaEvent":
                deltas.append(received)
            elif event["type"] == "ResearchReadyEvent":
                review = event["value"]
                break
        stream_end = time.time()

        latencies, floor = [], []
        decisions_start = time.time()
        for _ in range(rounds):
            start = time.perf_counter()
            await client.get("/health")
            floor.append((time.perf_counter() - start) * 1000)
            sent = time.time()
            await client.post(f"/events/{handler_id}", json={"event": {"type": "ReviewDecisionEvent", "value": {
                "round": review["round"], "review_id": review["review_id"], "approved": False,
                "feedback": "more on costs", "reviewer": "Ana"}}})
            taken = None
            async for _received, event in events:
                value = event["value"]
                if event["type"] == "ProgressEvent" and "sent back by Ana" in value["message"]:
                    taken = datetime.fromisoformat(value["at"]).timestamp()
                elif event["type"] == "ResearchReadyEvent":
                    review = value
                    break
            assert taken is not None
            latencies.append((taken - sent) * 1000)
        await events.aclose()
        decisions_end = time.time()
        await client.post(f"/handlers/{handler_id}/cancel")
    return {"chunks": len(deltas), "chunks_per_s": (len(deltas) - 1) / (deltas[-1] - deltas[0]),
            "latency_ms": latencies, "floor_ms": floor,
            "windows": {"idle": (idle_start, idle_end), "stream": (stream_start, stream_end),
                        "decisions": (decisions_start, decisions_end)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database", default="", help="a postgresql:// URL (default: a new SQLite file)")
    args = parser.parse_args()

    with LoopbackServer(research_chunks=args.chunks, report_chunks=10, runs=2) as model_server:
        home = isolate(model_server.base_url)
        measurements = home / "measurements.txt"
        database = args.database or str(home / "team.sqlite3")
        os.environ["HITL_DESKTOP_PROVIDER"] = "dashscope"
        from team_server import free_port  # tests/: the helper the server's tests use

        port = free_port()
        server = start_server(database, port, measurements)
        try:
            result = asyncio.run(measure(port, args.rounds))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
    baseline = asyncio.run(direct_chunks_per_second(args.chunks))

    windows = result["windows"]  # type: ignore[index]
    stalls = {name: max(read_measurements(measurements, "beat", *window), default=0.0)  # type: ignore[misc]
              for name, window in windows.items()}  # type: ignore[union-attr]
    busy = {name: max(read_measurements(measurements, "busy", *window), default=0.0)  # type: ignore[misc]
            for name, window in windows.items()}  # type: ignore[union-attr]
    writes = read_measurements(measurements, "write", windows["idle"][0], windows["decisions"][1])  # type: ignore[index]
    statements = {where: read_measurements(measurements, "sql", windows["idle"][0], windows["decisions"][1], where)  # type: ignore[index]
                  for where in ("loop", "thread")}
    latency, floor = result["latency_ms"], result["floor_ms"]
    store = "PostgreSQL" if args.database else "SQLite"
    print(f"Team server on loopback, {store} store; {result['chunks']:,} research chunks, {args.rounds} decisions")
    print(f"{'':38} {'ours':>12} {'baseline':>12} {'ratio':>7}  target")
    rate = result["chunks_per_s"]
    print(f"{'event stream (chunks/s)':38} {rate:12,.0f} {baseline:12,.0f} {rate / baseline:7.2f}  ≥ 1,000/s"
          f"  {'met' if rate >= 1000 else 'NOT met'}")
    med, worst = statistics.median(latency), max(latency)  # type: ignore[arg-type]
    print(f"{'decision latency, median (ms)':38} {med:12.1f} {statistics.median(floor):12.1f} "  # type: ignore[arg-type]
          f"{med / statistics.median(floor):7.1f}  < 100 ms  {'met' if worst < 100 else 'NOT met'}")  # type: ignore[arg-type]
    print(f"{'decision latency, max (ms)':38} {worst:12.1f} {max(floor):12.1f} {worst / max(floor):7.1f}")  # type: ignore[arg-type]
    for phase in ("stream", "decisions"):
        print(f"{'longest loop stall, ' + phase + ' (ms)':38} {stalls[phase]:12.1f} {stalls['idle']:12.1f} "
              f"{stalls[phase] / max(stalls['idle'], 0.001):7.1f}  ≤ 20 ms  {'met' if stalls[phase] <= 20 else 'NOT met'}")
    for phase in ("stream", "decisions"):
        print(f"{'  of it on the loop thread, ' + phase:38} {busy[phase]:12.1f} {busy['idle']:12.1f} "
              f"{busy[phase] / max(busy['idle'], 0.001):7.1f}  ≤ 20 ms  {'met' if busy[phase] <= 20 else 'NOT met'}"
              "  (its CPU in its longest busy gap)")
    collections = read_measurements(measurements, "gc", windows["idle"][0], windows["decisions"][1])  # type: ignore[index]
    if collections:
        by_generation = ", ".join(
            f"gen {g}: {len(found):,}, longest {max(found):.1f} ms" for g in range(3)
            if (found := read_measurements(measurements, "gc", windows["idle"][0], windows["decisions"][1],  # type: ignore[index]
                                           f"generation-{g}")))
        print(f"{'longest garbage collection (ms)':38} {max(collections):12.1f}   ({by_generation})")
    for where in ("loop", "writer"):
        found = statements["loop" if where == "loop" else "thread"]
        label = f"longest SQLite statement, {where} (ms)"
        if found:
            verdict = f"≤ 20 ms  {'met' if max(found) <= 20 else 'NOT met'}" if where == "loop" else ""
            print(f"{label:38} {max(found):12.1f} {'':12} {'':7}  {verdict:17}"
                  f"(median {statistics.median(found):.2f} ms, {len(found):,} statements)")
        elif store == "SQLite":
            print(f"{label:38} {'none':>12} {'':12} {'':7}  ≤ 20 ms  met")
    if writes:
        print(f"{'store write calls: median / max (ms)':38} {statistics.median(writes):5.2f} / {max(writes):5.1f}"
              f"   ({len(writes):,}; a call also waits for the stream's lock)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-team":
        sys.exit(serve_team(sys.argv[4:] if sys.argv[3] == "--" else sys.argv[3:], Path(sys.argv[2])))
    main()
