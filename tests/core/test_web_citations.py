"""Web pages as citations: numbered after the round's passages, [ref_k] rewritten to [n]."""

from __future__ import annotations

from hitl_desktop.core.citations import Citation, check, references
from hitl_desktop.core.web_citations import WebSource, cite_web_pages, unique_pages

TIDES = Citation(1, "/docs/tides.md", "Tidal power", "Costs", "Costs fell by 40% since 2015.", "t1")
LAGOON = Citation(2, "/docs/lagoons.md", "Tidal lagoons", "Swansea", "Swansea was never built.", "l1")
WIKI = WebSource("https://en.wikipedia.org/wiki/Tidal_power", "Tidal power", "Wikipedia", (1,))
MEYGEN = WebSource("https://meygen.example/array", "MeyGen array", "MeyGen", (2,))


def test_pages_are_numbered_after_the_passages_and_their_markers_rewritten() -> None:
    cited = cite_web_pages("Costs fell [1]. MeyGen is big [ref_2]. Tides are old [ref_1, ref_2].",
                           [WIKI, MEYGEN], [TIDES, LAGOON])
    assert cited.text == "Costs fell [1]. MeyGen is big [4]. Tides are old [3, 4]."
    web = cited.citations[2:]
    assert [(c.number, c.source, c.title, c.location, c.is_web) for c in web] == [
        (3, WIKI.url, "Tidal power", "Wikipedia", True), (4, MEYGEN.url, "MeyGen array", "MeyGen", True)]
    assert cited.citations[:2] == [TIDES, LAGOON] and cited.problems == []
    assert check(cited.text, cited.citations) == []


def test_a_page_listed_twice_is_one_source_under_both_its_numbers() -> None:
    again = WebSource(WIKI.url, "Tidal power (again)", "", (3,))
    assert unique_pages([WIKI, MEYGEN, again]) == (
        WebSource(WIKI.url, "Tidal power", "Wikipedia", (1, 3)), MEYGEN)
    cited = cite_web_pages("A [ref_1]. B [ref_3].", [WIKI, MEYGEN, again], [TIDES])
    assert cited.text == "A [2]. B [2]."
    assert [c.source for c in cited.citations] == [TIDES.source, WIKI.url, MEYGEN.url]


def test_a_page_pinned_earlier_keeps_its_number() -> None:
    pinned = Citation(2, WIKI.url, "Tidal power", "Wikipedia", passage_id=WIKI.url)
    cited = cite_web_pages("Old [ref_1]; new [ref_2].", [WIKI, MEYGEN], [TIDES, pinned])
    assert cited.text == "Old [2]; new [3]."
    assert [c.number for c in cited.citations] == [1, 2, 3]


def test_a_dropped_page_is_not_cited_again_and_the_reviewer_is_told() -> None:
    cited = cite_web_pages("MeyGen is big [ref_2]. Tides [ref_1].", [WIKI, MEYGEN], [TIDES],
                           dropped={MEYGEN.url})
    assert cited.text == "MeyGen is big. Tides [2]."
    assert MEYGEN.url not in {c.source for c in cited.citations}
    assert cited.problems == [f"The notes cited a web page you dropped ({MEYGEN.url}); that citation was removed."]


def test_a_marker_for_a_page_the_search_never_returned_is_flagged() -> None:
    cited = cite_web_pages("Waves [ref_7].", [WIKI], [TIDES])
    assert cited.text == "Waves [ref_7]."
    assert cited.problems == ["[ref_7] points at no web page the search returned."]


def test_quotes_from_web_pages_are_not_checked_and_references_link_them() -> None:
    cited = cite_web_pages("“Tidal power is very predictable indeed” [ref_1]. “Costs fell by 90%” [1].",
                           [WIKI], [TIDES])
    # Only the document's misquote is flagged: a page's words are not ours to check.
    assert check(cited.text, cited.citations) == [
        "The quote “Costs fell by 90%” is not in source [1] (Tidal power)."]
    assert f"2. Tidal power, Wikipedia. <{WIKI.url}>" in references(cited.text, cited.citations)
