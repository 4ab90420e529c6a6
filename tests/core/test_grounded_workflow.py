"""Research grounded in sources, through the workflow: retrieval, citations, triage, References.

A keyword search over a handful of passages stands in for the document index here, so these
tests check what the workflow does with what it finds (tests/core/test_sources.py checks the
index itself).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from scripted_model import ScriptedChatModel

from hitl_desktop.core.citations import markers_in
from hitl_desktop.core.models import ReviewDecision, ReviewRequest
from hitl_desktop.core.providers.offline import OfflineEngine
from hitl_desktop.core.session import ResearchSession


@dataclass(frozen=True)
class Passage:
    id: str
    source: str
    title: str
    location: str
    text: str


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


PASSAGES = [
    Passage("t1", "/docs/tides.md", "Tidal power", "Costs",
            "Tidal stream power costs fell by 40% since 2015. MeyGen is the largest array."),
    Passage("t2", "/docs/tides.md", "Tidal power", "Sites",
            "The best tidal sites are narrow straits such as the Pentland Firth."),
    Passage("l1", "/docs/lagoons.md", "Tidal lagoons", "Swansea",
            "The Swansea Bay tidal lagoon was proposed in 2012 and never built."),
    Passage("b1", "/docs/bakery.md", "Bread", "Sourdough",
            "Sourdough bread rises with wild yeast and takes a day to make."),
]


class KeywordSearch:
    """Passages sharing at least one word of five letters or more with the query, best first."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, frozenset[str]]] = []

    def search(self, query: str, k: int = 8, *, exclude_sources=()):  # type: ignore[no-untyped-def]
        self.queries.append((query, frozenset(exclude_sources)))
        words = {w.lower().strip(".,") for w in query.split() if len(w) >= 5}
        scored = [(len(words & {w.lower().strip(".,") for w in p.text.split()}), p) for p in PASSAGES
                  if p.source not in exclude_sources]
        return [Hit(p, s) for s, p in sorted(scored, key=lambda x: -x[0]) if s > 0][:k]


def run_session(session: ResearchSession, topic: str,
                decide: list[ReviewDecision | None]) -> tuple[object, list[ReviewRequest]]:
    """Run to the end; each review is answered by the next decision (None: approve as is)."""
    requests: list[ReviewRequest] = []

    def emit(update: object) -> None:
        if isinstance(update, ReviewRequest):
            requests.append(update)
            answer = decide.pop(0) or ReviewDecision(round=update.round, approved=True)
            asyncio.get_running_loop().call_soon(session.submit_decision, answer)

    return asyncio.run(session.run(topic, emit)), requests


def test_the_model_is_given_numbered_passages_and_bad_citations_are_flagged() -> None:
    model = ScriptedChatModel("Costs fell [1]. Lagoons were never built [3]. Wave power grew [9].",
                              "# Tidal power\n\nCosts fell [1]; the Pentland Firth [2].\n\n## References\n\n1. made up")
    search = KeywordSearch()
    report, requests = run_session(ResearchSession(lambda: model, search), "tidal power costs", [None])
    prompt = model.prompt(0)
    assert "[1] Tidal power — Costs\nTidal stream power costs fell by 40%" in prompt
    assert "cite" in prompt.lower() and "Sourdough" not in prompt  # nothing unrelated is given
    review = requests[0]
    assert [c.number for c in review.citations] == [1, 2, 3]
    assert review.citation_problems == ("[9] points at no source: this round has sources 1 to 3.",)
    # The report keeps its markers; its own references are replaced by ones that resolve.
    assert "made up" not in report.markdown
    assert "## References" in report.markdown and "1. Tidal power, Costs." in report.markdown
    assert "2. Tidal power, Sites." in report.markdown and "3. Tidal lagoons" not in report.markdown


def test_offline_reject_with_feedback_changes_the_next_round_and_dropped_sources_never_return() -> None:
    search = KeywordSearch()
    session = ResearchSession(OfflineEngine, search)
    decisions = [ReviewDecision(round=1, approved=False, feedback="Say more about the Swansea lagoon",
                                dropped_sources=("/docs/tides.md",)), None]
    report, requests = run_session(session, "tidal power costs", decisions)
    first, second = requests
    assert {c.source for c in first.citations} >= {"/docs/tides.md"}
    assert "Swansea" in search.queries[1][0] and "/docs/tides.md" in search.queries[1][1]
    assert {c.source for c in second.citations} == {"/docs/lagoons.md"}  # dropped: gone
    assert "tides.md" not in report.markdown and "Swansea Bay tidal lagoon" in report.markdown
    assert "Offline, extractive report" in report.markdown and report.model == "Offline · extractive"
    refs = report.markdown[report.markdown.index("## References"):]
    assert all(f"{n}. " in refs for n in markers_in(report.markdown[:report.markdown.index("## References")]))
    assert "bakery" not in report.markdown.lower() and "sourdough" not in report.markdown.lower()


def test_a_pinned_source_stays_in_every_round_even_when_the_search_moves_on() -> None:
    search = KeywordSearch()
    session = ResearchSession(OfflineEngine, search)
    decisions = [ReviewDecision(round=1, approved=False, feedback="Only the Swansea lagoon please",
                                pinned_sources=("/docs/tides.md",)), None]
    _report, (first, second) = run_session(session, "tidal stream costs", decisions)
    pinned_before = {c.passage_id for c in first.citations if c.source == "/docs/tides.md"}
    assert pinned_before <= {c.passage_id for c in second.citations}
    assert [c.number for c in second.citations] == list(range(1, len(second.citations) + 1))


def test_edits_reach_the_offline_report_and_every_marker_resolves() -> None:
    session = ResearchSession(OfflineEngine, KeywordSearch())
    edited = ("### My own heading\n\n- “Tidal stream power costs fell by 40% since 2015.” [1]\n"
              "- The reviewer notes the lagoon was never built [3]\n")
    report, _ = run_session(session, "tidal power costs",
                            [ReviewDecision(round=1, approved=True, edited_notes=edited)])
    assert "## My own heading" in report.markdown and "The reviewer notes the lagoon was never built [3]" in report.markdown
    refs = report.markdown[report.markdown.index("## References"):]
    assert "1. Tidal power, Costs." in refs and "3. Tidal lagoons, Swansea." in refs


def test_without_sources_a_model_says_so_and_nothing_is_cited() -> None:
    model = ScriptedChatModel("General notes.", "# Report\n\nText.")
    report, (review,) = run_session(ResearchSession(lambda: model), "anything", [None])
    assert "No sources matched" in model.prompt(0)
    assert review.citations == () and "References" not in report.markdown


def test_a_key_pasted_into_the_topic_or_feedback_never_leaves_the_machine() -> None:
    key = "sk-abcdefghijklmnop1234567890"
    model = ScriptedChatModel("Notes one.", "Notes two.", "# Report")
    updates: list[object] = []
    session = ResearchSession(lambda: model)
    decisions = [ReviewDecision(round=1, approved=False, feedback=f"Use my key {key} for more"), None]

    def emit(update: object) -> None:
        updates.append(update)
        if isinstance(update, ReviewRequest):
            answer = decisions.pop(0) or ReviewDecision(round=update.round, approved=True)
            asyncio.get_running_loop().call_soon(session.submit_decision, answer)

    asyncio.run(session.run(f"tidal power {key}", emit))
    assert all(key not in model.prompt(i) for i in range(3))
    said = [u.message for u in updates if hasattr(u, "message")]
    assert "An API key in the topic was removed before anything was sent" in said
    assert "An API key in the feedback was removed before anything was sent" in said
