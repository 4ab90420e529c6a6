"""Citation markers: numbering sources, finding what cites them, flagging what cites nothing."""

from __future__ import annotations

from hitl_desktop.core.citations import Citation, check, markers_in, references

TIDES = Citation(1, "/docs/tides.md", "Tidal power in Europe", "Costs",
                 "MeyGen in Scotland is the largest tidal stream array. Its costs fell by 40% since 2015.")
LAGOON = Citation(2, "/docs/lagoons.md", "Tidal lagoons", "Swansea Bay",
                  "The Swansea Bay lagoon was proposed in 2012 and never built.")
WEB = Citation(3, "https://example.org/tides", "Tides explained", "example.org")


def test_markers_are_found_in_every_form_but_links_and_checkboxes_are_not_markers() -> None:
    text = "Costs fell [1]. Lagoons [2, 3] and arrays [1–2]. See [the site](https://x.org) and - [x] done."
    assert markers_in(text) == [1, 2, 3]


def test_good_citations_raise_no_problem() -> None:
    notes = "MeyGen is the largest array [1]. “Its costs fell by 40% since 2015.” [1] Swansea [2]."
    assert check(notes, [TIDES, LAGOON]) == []


def test_a_dangling_marker_is_flagged() -> None:
    problems = check("Costs fell [1]. Wave power grew [7].", [TIDES, LAGOON])
    assert problems == ["[7] points at no source: this round has sources 1 to 2."]


def test_a_misquote_is_flagged_but_case_spacing_and_ellipses_are_fine() -> None:
    ok = "“its costs  FELL by 40% …” [1] and “MeyGen in Scotland … since 2015” [1]"
    assert check(ok, [TIDES]) == []
    problems = check("“Its costs fell by 60% since 2015” [1]", [TIDES])
    assert problems == ["The quote “Its costs fell by 60% since 2015” is not in source [1] (Tidal power in Europe)."]


def test_web_sources_have_no_passage_to_check_quotes_against() -> None:
    assert check("“Anything the page said about tides” [3]", [TIDES, LAGOON, WEB]) == []
    assert WEB.is_web and not TIDES.is_web


def test_references_resolve_every_marker_used_and_only_those() -> None:
    refs = references("Costs fell [1]. Tides [3].", [TIDES, LAGOON, WEB])
    assert refs.splitlines()[0] == "## References"
    assert "1. Tidal power in Europe, Costs. `/docs/tides.md`" in refs
    assert "3. Tides explained, example.org. <https://example.org/tides>" in refs
    assert "Swansea" not in refs and "lagoons" not in refs
    assert references("No markers here.", [TIDES]) == ""


def test_citations_round_trip_as_plain_data() -> None:
    assert Citation.from_dict(TIDES.to_dict()) == TIDES
