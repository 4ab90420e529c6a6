"""How fast the document-sources library indexes, reopens, refreshes and answers a query.

Run:  python benchmarks/bench_sources.py [--files 1500] [--megabytes 10] [--repeat 3]

Generates a corpus of Markdown files (titles, sections, paragraphs; words drawn from a Zipf-like
vocabulary of real and made-up words) in a temporary folder, then measures, each against a
baseline measured in the same run so that the ratios hold on any machine:
  * first index (a new cache)            vs. reading every file's bytes;
  * reopen (a new SourceLibrary on the saved cache, refresh with nothing changed)
                                         vs. reading every file's bytes;
  * refresh with nothing changed         vs. listing the folders and stat-ing every file;
  * refresh after touching one file      vs. the same listing;
  * one query                            vs. a substring scan of every passage's text.
Targets on a 2-core machine: index < 10 s, reopen < 1 s, query < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hitl_desktop.core.sources import SourceLibrary  # noqa: E402

_REAL = ("tidal energy turbine barrage estuary lagoon grid cost capital operating maintenance "
         "coral reef bleaching polyp algae bee hive honey swarm queen forage bread bakery flour "
         "oven yeast sourdough aviation glider balloon flight engine wing pilot channel record "
         "history europe france britain scotland river coast harbour storm season winter summer "
         "village city market price law guild science study survey report policy").split()
_QUERIES = ["tidal barrage capital costs", "coral bleaching in summer", "honey bee swarm control",
            "sourdough bread yeast", "early glider flight records", "harbour storm maintenance",
            "bakery guild prices and the law", "reef survey report", "balloon channel crossing",
            "grid policy in scotland"]


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made_up = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)}
    words = _REAL + sorted(made_up)
    weights = [1 / (rank + 10) for rank in range(len(words))]  # Zipf-like
    return words, weights


def generate(folder: Path, files: int, megabytes: float, seed: int = 3) -> int:
    rng = random.Random(seed)
    words, weights = vocabulary(rng)
    per_file = int(megabytes * 1_000_000 / files) - 700  # the last paragraph overshoots
    total = 0
    for number in range(files):
        sub = folder / f"topic {number % 25:02d}" / f"year {number % 7}"
        sub.mkdir(parents=True, exist_ok=True)
        parts = [f"# Report {number}: {' '.join(rng.choices(words, weights, k=3))}\n"]
        size = 0
        section = 0
        while size < per_file:
            section += 1
            parts.append(f"\n## Section {section}: {' '.join(rng.choices(words, weights, k=2))}\n")
            for _ in range(rng.randint(2, 4)):
                paragraph = " ".join(rng.choices(words, weights, k=rng.randint(40, 120))) + "."
                parts.append("\n" + paragraph.capitalize() + "\n")
                size += len(paragraph) + 2
        text = "".join(parts)
        (sub / f"report {number:04d}.md").write_text(text, encoding="utf-8")
        total += len(text.encode("utf-8"))
    return total


def timed(action: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def read_all(folder: Path) -> int:
    return sum(len(path.read_bytes()) for path in folder.rglob("*.md"))


def stat_all(folder: Path) -> int:
    count = 0
    for current, _, names in os.walk(folder):
        for name in names:
            os.stat(os.path.join(current, name))
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=1500)
    parser.add_argument("--megabytes", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hitl-bench-sources-") as scratch:
        corpus = Path(scratch) / "corpus"
        size = generate(corpus, args.files, args.megabytes)
        print(f"{args.files} Markdown files, {size / 1e6:.1f} MB; median of {args.repeat} runs; "
              f"{os.cpu_count()} CPUs\n")
        rows: dict[str, list[float]] = {name: [] for name in (
            "read files", "list + stat", "first index", "reopen", "refresh, nothing changed",
            "refresh, one file touched", "query", "substring scan")}
        summary = None
        for run in range(args.repeat):
            read_all(corpus)  # warm the page cache, so neither side pays for the disk
            rows["read files"].append(timed(lambda: read_all(corpus))[0])
            rows["list + stat"].append(timed(lambda: stat_all(corpus))[0])
            cache = Path(scratch) / f"cache {run}"
            library = SourceLibrary([corpus], cache)
            seconds, summary = timed(library.refresh)
            rows["first index"].append(seconds)
            reopened = SourceLibrary([corpus], cache)
            seconds, again = timed(reopened.refresh)
            assert again.reread == 0, again
            rows["reopen"].append(seconds)
            seconds, again = timed(reopened.refresh)
            assert again.reread == 0, again
            rows["refresh, nothing changed"].append(seconds)
            touched = next(corpus.rglob("*.md"))
            later = time.time() + 60 * (run + 1)
            os.utime(touched, (later, later))
            seconds, again = timed(reopened.refresh)
            assert again.reread == 1, again
            rows["refresh, one file touched"].append(seconds)

            texts = [p.text.lower() for document in reopened.documents()
                     for p in reopened.passages_of(document.path)]
            query_times, scan_times = [], []
            assert all(reopened.search(query) for query in _QUERIES)
            for query in _QUERIES:
                query_times.append(timed(lambda q=query: reopened.search(q))[0])
                scan_times.append(timed(lambda q=query: sum(
                    all(word in text for word in q.split()) for text in texts))[0])
            rows["query"].append(statistics.median(query_times))
            rows["substring scan"].append(statistics.median(scan_times))

        assert summary is not None
        print(f"{summary.documents} documents, {summary.passages} passages\n")
        median = {name: statistics.median(times) for name, times in rows.items()}
        comparisons = [
            ("first index", "read files", 10.0), ("reopen", "read files", 1.0),
            ("refresh, nothing changed", "list + stat", None),
            ("refresh, one file touched", "list + stat", None),
            ("query", "substring scan", 0.1),
        ]
        print(f"{'measure':28} {'seconds':>9}  {'baseline':22} {'seconds':>9} {'ratio':>7}  target")
        for name, baseline, target in comparisons:
            ratio = median[name] / median[baseline]
            verdict = "" if target is None else (
                f"< {target:g} s {'ok' if median[name] < target else 'MISSED'}")
            print(f"{name:28} {median[name]:9.4f}  {baseline:22} {median[baseline]:9.4f} "
                  f"{ratio:6.2f}×  {verdict}")


if __name__ == "__main__":
    main()
