"""Web search as a research source, end to end: the workflow through the real DashScope SDK and
provider against the fake server, which answers research with search results."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from fake_dashscope import FakeDashScope, Stream
from test_grounded_workflow import KeywordSearch, run_session

from hitl_desktop.core import export
from hitl_desktop.core.models import ReviewDecision
from hitl_desktop.core.providers import build_chat_model
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.settings import load_settings

WIKI = "https://en.wikipedia.org/wiki/Tidal_power"
MEYGEN = "https://www.saltire.example/meygen"
PAGES = [{"index": 1, "title": "Tidal power", "url": WIKI, "site_name": "Wikipedia", "icon": ""},
         {"index": 2, "title": "MeyGen array", "url": MEYGEN, "site_name": "Saltire", "icon": ""}]


@pytest.fixture
def web_search_on(fake_dashscope: FakeDashScope, monkeypatch: pytest.MonkeyPatch) -> FakeDashScope:
    monkeypatch.setenv("HITL_DESKTOP_WEB_SEARCH", "1")
    return fake_dashscope


def session() -> ResearchSession:
    return ResearchSession(lambda: build_chat_model(load_settings()), KeywordSearch())


def test_pages_the_search_found_are_cited_like_documents_and_a_dropped_page_never_returns(
        web_search_on: FakeDashScope) -> None:
    web_search_on.replies = [
        Stream(["Costs fell [1]. ", "Tides are predictable [ref_1]. ", "MeyGen grew [ref_2]."],
               search_results=PAGES),
        Stream(["Lagoons stalled [3]. ", "Tides are predictable [ref_1]. ", "MeyGen grew [ref_2]."],
               search_results=PAGES, search_results_in=(2,)),
        Stream(["# Tidal power\n\n", "Tides are predictable [4]. Costs fell [1]."]),
    ]
    decisions = [ReviewDecision(round=1, approved=False, feedback="More on the lagoons",
                                dropped_sources=(MEYGEN,)), None]
    report, (first, second) = run_session(session(), "tidal power costs", decisions)

    documents = sum(not c.is_web for c in first.citations)
    web = [c for c in first.citations if c.is_web]
    assert [(c.number, c.source, c.title, c.location) for c in web] == [
        (documents + 1, WIKI, "Tidal power", "Wikipedia"), (documents + 2, MEYGEN, "MeyGen array", "Saltire")]
    assert first.notes == (f"Costs fell [1]. Tides are predictable [{documents + 1}]. "
                           f"MeyGen grew [{documents + 2}].")
    assert first.citation_problems == ()
    # The prompt tells the model how to cite what it finds.
    assert "[ref_1]" in web_search_on.requests[0].prompt_text

    # Round 2: the search returns the dropped page again; it is not a source and not cited.
    assert MEYGEN not in {c.source for c in second.citations}
    assert WIKI in {c.source for c in second.citations}
    assert "MeyGen grew." in second.notes and "[ref_" not in second.notes
    assert any(MEYGEN in problem for problem in second.citation_problems)

    # Research searched; the report did not (it may cite only what the reviewer saw).
    searched = ["enable_search" in r.body["parameters"] for r in web_search_on.requests]
    assert searched == [True, True, False]
    references = report.markdown[report.markdown.index("## References"):]
    wiki_number = next(c.number for c in second.citations if c.source == WIKI)
    assert f"{wiki_number}. Tidal power, Wikipedia. <{WIKI}>" in references
    assert MEYGEN not in report.markdown


def test_the_html_export_links_a_web_reference(web_search_on: FakeDashScope, tmp_path) -> None:  # type: ignore[no-untyped-def]
    web_search_on.replies = [Stream(["Tides are predictable [ref_1]."], search_results=PAGES),
                             Stream(["# Tides\n\n", "Tides are predictable [4]."])]
    report, (review,) = run_session(session(), "tidal power costs", [None])
    number = next(c.number for c in review.citations if c.source == WIKI)
    assert f"Tides are predictable [{number}]." == review.notes
    web_search_on.replies = []
    page = export.save_report(tmp_path / "report.html", report).read_text(encoding="utf-8")
    links = _links(page)
    assert WIKI in links


def test_with_web_search_off_research_asks_for_no_search(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["Costs fell [1]."], search_results=PAGES), Stream(["# R\n\nCosts [1]."])]
    _report, (review,) = run_session(session(), "tidal power costs", [None])
    assert not any(c.is_web for c in review.citations)
    assert all("enable_search" not in r.body["parameters"] for r in fake_dashscope.requests)
    assert "[ref_1]" not in fake_dashscope.requests[0].prompt_text


def _links(page: str) -> list[str]:
    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "a":
                self.found += [value for name, value in attrs if name == "href" and value]

    parser = Links()
    parser.feed(page)
    return parser.found
