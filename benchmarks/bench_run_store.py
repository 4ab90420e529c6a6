"""How fast the run history opens, lists and searches with 10,000 stored runs.

Run:  python benchmarks/bench_run_store.py [--runs 10000] [--repeat 15] [--keep FOLDER]

The store is filled with runs of realistic size: 2 to 4 research rounds of 2,500 to 4,500
characters of notes with 5 to 8 cited passages each, a decision per round, a report of 6,000 to
12,000 characters and a dozen progress lines (about 30 KB a run). The rows go in through plain
SQL in a few big transactions, which is quicker than the API's one transaction per change; the
topic index triggers fire as they do for the API.

Each figure is the median of --repeat runs, printed with a baseline measured in the same run:
  * open + list the newest 200: RunStore.open (file checks, owner registration, heartbeat
    thread) and list_runs(limit=200), against a bare sqlite3.connect + SELECT 1 round trip;
    measured again with the file dropped from the page cache first (Linux), as after a reboot;
  * list the newest 200 on an open store, against the same rows read with plain SQL (no count
    of rounds, no dataclasses);
  * topic search with FTS5, against the same search with LIKE on the same file (a full scan).
Targets (the issue): open + list < 100 ms, a topic search < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hitl_desktop.core.store import RunStatus, RunStore  # noqa: E402

SUBJECTS = ("tidal lagoons", "wave farms", "offshore wind", "heat pumps", "grid batteries", "green hydrogen",
            "solar canals", "district heating", "small reactors", "geothermal wells", "peat restoration",
            "rail freight", "cargo bikes", "urban trees", "seagrass", "kelp farming", "lithium recycling",
            "sodium batteries", "flood barriers", "desalination", "vertical farms", "insect protein",
            "lab-grown meat", "carbon capture", "biochar", "rewilding", "bus rapid transit", "e-fuels",
            "smart meters", "microgrids", "pumped hydro", "tidal stream", "floating solar", "sand batteries",
            "compressed air storage", "mass timber", "heat networks", "ammonia shipping", "airships",
            "direct air capture")
ASPECTS = ("costs", "policy", "risks", "public opinion", "supply chains", "jobs", "history", "outlook to 2040",
           "maintenance", "financing", "regulation", "biodiversity", "case studies", "grid integration",
           "land use", "insurance", "research gaps", "subsidies", "safety", "standards")
PLACES = ("Wales", "Scotland", "Brittany", "Norway", "Korea", "Chile", "Kenya", "Ontario", "Queensland",
          "Bavaria", "Gujarat", "Java", "Patagonia", "Iceland", "Portugal", "Texas", "Hokkaido", "Morocco",
          "Denmark", "the Baltic", "the Alps", "the Rhine delta", "Sicily", "Tasmania", "Quebec")
WORDS = ("energy tide capacity cost grid storage market survey output forecast subsidy operator turbine "
         "estuary barrage lagoon investment policy coast current research maintenance levelised offshore "
         "evidence report source study data trend estimate range risk benefit model scenario").split()


def text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    length = 0
    while length < chars:
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 18))).capitalize() + f" [{rng.randint(1, 8)}]."
        words.append(sentence)
        length += len(sentence) + 1
    return " ".join(words)


def fill(path: Path, runs: int, seed: int = 5) -> None:
    RunStore.open(path).close()  # the schema, as the app makes it
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    start = datetime(2023, 1, 1, tzinfo=timezone.utc)
    statuses = [RunStatus.DONE] * 8 + [RunStatus.STOPPED, RunStatus.WAITING_FOR_REVIEW]
    for batch in range(0, runs, 1000):
        conn.execute("BEGIN")
        for n in range(batch, min(runs, batch + 1000)):
            run_id = uuid.UUID(int=rng.getrandbits(128)).hex
            at = (start + timedelta(minutes=90 * n + rng.randint(0, 60))).isoformat(timespec="microseconds")
            topic = f"{rng.choice(SUBJECTS).capitalize()}: {rng.choice(ASPECTS)} in {rng.choice(PLACES)}"
            status = rng.choice(statuses)
            rounds = rng.randint(2, 4)
            pending = status is RunStatus.WAITING_FOR_REVIEW
            conn.execute("INSERT INTO runs (id, topic, model, status, created_at, updated_at, tokens_in, tokens_out, "
                         "pending_kind, pending_request, pending_context, pending_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (run_id, topic, "DashScope · qwen-max", status, at, at, rng.randint(5_000, 60_000),
                          rng.randint(1_000, 9_000), "review" if pending else None,
                          json.dumps({"type": "review", "notes": text(rng, 3000)}) if pending else None,
                          json.dumps({"state": {"notes": text(rng, 6000)}}) if pending else None,
                          at if pending else None))
            for round in range(1, rounds + 1):
                citations = [{"number": c, "source": f"https://example.org/{rng.randint(1, 10**6)}",
                              "title": text(rng, 40), "location": "example.org", "text": text(rng, 600),
                              "passage_id": uuid.UUID(int=rng.getrandbits(128)).hex}
                             for c in range(1, rng.randint(5, 8) + 1)]
                conn.execute("INSERT INTO rounds VALUES (?, ?, ?, ?, ?)",
                             (run_id, round, text(rng, rng.randint(2500, 4500)), json.dumps(citations), at))
                if round < rounds or not pending:
                    conn.execute("INSERT INTO decisions (run_id, round, approved, feedback, at, reviewer) "
                                 "VALUES (?, ?, ?, ?, ?, 'Ann')", (run_id, round, int(round == rounds),
                                                                   text(rng, 120), at))
            if not pending:
                conn.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?)",
                             (run_id, text(rng, rng.randint(6000, 12000)), int(status is RunStatus.DONE),
                              "qwen-max", at))
            conn.executemany("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)",
                             [(run_id, text(rng, 50), at) for _ in range(12)])
        conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def drop_from_page_cache(path: Path) -> None:
    """Make the next reads of the store come from the disk (Linux: this file only, no root needed)."""
    for name in (path, Path(f"{path}-wal")):
        if name.exists():
            fd = os.open(name, os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def timed(repeat: int, work: Callable[[], object]) -> float:
    """Median milliseconds of `repeat` calls (after one warm-up call)."""
    work()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--keep", type=Path, help="build the store in this folder and leave it there")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "runs.sqlite3"
        if not path.exists():
            started = time.perf_counter()
            fill(path, args.runs)
            print(f"Filled {args.runs:,} runs in {time.perf_counter() - started:.1f} s")
        size = path.stat().st_size / 1e6
        print(f"Store: {size:,.0f} MB; median of {args.repeat} runs on {os.cpu_count()} cores\n")

        def bare() -> None:
            conn = sqlite3.connect(path)
            conn.execute("SELECT 1").fetchone()
            conn.close()

        stores: list[RunStore] = []

        def open_and_list() -> None:
            store = RunStore.open(path)
            assert len(store.list_runs(limit=200)) == 200
            stores.append(store)

        rows: list[tuple[str, float, float, float | None, str]] = []
        baseline = timed(args.repeat, bare)
        opened = timed(args.repeat, open_and_list)
        for store in stores:
            store.close()
        rows.append(("open + list newest 200", opened, baseline, 100, "connect + SELECT 1"))
        if hasattr(os, "posix_fadvise"):
            def cold_open_and_list() -> None:
                drop_from_page_cache(path)
                open_and_list()

            cold = timed(args.repeat, cold_open_and_list)
            for store in stores:
                store.close()
            rows.append(("  the same, file not in page cache", cold, baseline, 100, "connect + SELECT 1"))

        with RunStore.open(path) as store, RunStore.open(path, use_fts=False) as like_store:
            assert store.uses_fts and not like_store.uses_fts
            conn = sqlite3.connect(path)
            plain = timed(args.repeat, lambda: conn.execute(
                "SELECT id, topic, status, model, created_at, updated_at FROM runs "
                "ORDER BY created_at DESC LIMIT 200").fetchall())
            listed = timed(args.repeat, lambda: store.list_runs(limit=200))
            rows.append(("list newest 200 (open store)", listed, plain, None, "plain SELECT of the rows"))
            for query in ("lagoons costs", "tidal", "wales"):
                found = len(store.list_runs(query, limit=200))
                assert found == len(like_store.list_runs(query, limit=200))
                fts = timed(args.repeat, lambda query=query: store.list_runs(query, limit=200))
                like = timed(args.repeat, lambda query=query: like_store.list_runs(query, limit=200))
                rows.append((f'search "{query}" ({found} found)', fts, like, 50, "LIKE scan, same file"))
            conn.close()

    print(f"{'':<36}{'ms':>8}{'baseline ms':>13}{'ratio':>8}  {'target':<10}baseline")
    for name, ms, base, target, what in rows:
        verdict = "" if target is None else (f"< {target} ok" if ms < target else f"< {target} OVER")
        print(f"{name:<36}{ms:>8.2f}{base:>13.2f}{ms / base:>7.2f}×  {verdict:<10}{what}")


if __name__ == "__main__":
    main()
