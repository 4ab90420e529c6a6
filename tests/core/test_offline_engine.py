"""The offline engine: research notes that quote their sources, and a report built from the notes."""

from __future__ import annotations

import asyncio

from hitl_desktop.core.citations import Citation, check, markers_in
from hitl_desktop.core.providers.base import ChatModel
from hitl_desktop.core.providers.offline import OfflineEngine, report, research_notes

COSTS = Citation(1, "/docs/tides.md", "Tidal power in Europe", "Costs",
                 "Tidal stream power is still expensive. MeyGen in Scotland is the largest tidal stream "
                 "array in the world. Its costs fell by 40% since 2015. Engineers expect further cuts.")
SITES = Citation(2, "/docs/tides.md", "Tidal power in Europe", "Sites",
                 "The best sites are narrow straits with fast currents, such as the Pentland Firth.")
LAGOON = Citation(3, "/docs/lagoons.md", "Tidal lagoons", "Swansea Bay",
                  "The Swansea Bay lagoon was proposed in 2012 and never built.")


def test_notes_quote_each_passage_verbatim_grouped_by_document_with_valid_citations() -> None:
    notes = research_notes("costs of tidal power", [COSTS, SITES, LAGOON])
    assert "Offline, extractive research" in notes
    assert notes.index("### Tidal power in Europe") < notes.index("### Tidal lagoons")
    assert markers_in(notes) == [1, 2, 3]
    assert check(notes, [COSTS, SITES, LAGOON]) == []  # every quote is really in its passage
    assert "Its costs fell by 40% since 2015." in notes  # the sentence that matches the topic


def test_notes_are_deterministic_and_say_when_nothing_matched() -> None:
    assert research_notes("tides", [COSTS]) == research_notes("tides", [COSTS])
    empty = research_notes("sourdough starters", [])
    assert "Nothing in your documents matches this topic" in empty and markers_in(empty) == []


def test_feedback_is_acknowledged_in_a_later_round() -> None:
    notes = research_notes("tidal power", [LAGOON], round_number=2, feedback="Say more about lagoons")
    assert "Round 2 searched again with your feedback: “Say more about lagoons”" in notes


def test_the_report_keeps_the_reviewers_edits_and_their_markers() -> None:
    notes = research_notes("costs of tidal power", [COSTS, SITES, LAGOON])
    edited = notes.replace("### Tidal lagoons", "### Lagoons (reviewer's heading)") + \
        "\n- The reviewer adds: the Pentland Firth is the place to watch [2]\n"
    text = report("Costs of tidal power", edited, [COSTS, SITES, LAGOON])
    assert text.startswith("# Costs of tidal power\n") and "Offline, extractive report" in text
    assert "## Key points" in text and "## Lagoons (reviewer's heading)" in text
    key_points = text[text.index("## Key points"):].split("\n## ")[0]
    assert "“" not in key_points and "”" not in key_points  # whole sentences, not half quotes
    assert "- Its costs fell by 40% since 2015. [1]" in key_points or "- Tidal stream power is still expensive. [1]" in key_points
    assert "the Pentland Firth is the place to watch [2]" in text
    assert set(markers_in(text)) == {1, 2, 3} and check(text, [COSTS, SITES, LAGOON]) == []


def test_instructions_for_the_report_are_not_silently_ignored() -> None:
    text = report("Tides", research_notes("tides", [COSTS]), [COSTS], feedback="Make it a table")
    assert "“Make it a table”" in text and "need a language model" in text


def test_the_engine_is_a_chat_model_and_streams_what_the_functions_write() -> None:
    engine = OfflineEngine()
    assert isinstance(engine, ChatModel)

    async def collect() -> str:
        return "".join([piece async for piece in engine.research_notes("tides", [COSTS, LAGOON])])

    assert asyncio.run(collect()) == research_notes("tides", [COSTS, LAGOON])
