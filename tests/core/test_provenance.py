"""Provenance as data: what a run records of its rounds, settings and documents."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hitl_desktop.core.citations import Citation, references
from hitl_desktop.core.models import Report, ReviewDecision, ReviewRequest
from hitl_desktop.core.provenance import (
    CitedDocument,
    Provenance,
    ProvenanceRecorder,
    RoundRecord,
    documents_cited,
    round_record,
)
from hitl_desktop.core.settings import OFFLINE, ProviderSettings

WHEN = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
KEY = "sk-provenance-test-0123456789abcdef"
NOTES = "# Notes\n\nTidal power is costly [1].\n\nIt is predictable [2].\n"
CITATIONS = (
    Citation(1, "/docs/tidal-atlas.pdf", "Tidal Atlas 2025", "Costs", "Tidal power is costly.", "p1"),
    Citation(2, "/docs/tidal-atlas.pdf", "Tidal Atlas 2025", "Tides", "Tides are predictable.", "p2"),
    Citation(3, "https://www.ofgem.gov.uk/tidal", "Ofgem tidal review", "ofgem.gov.uk", "", "p3"),
)


def request(round_: int = 1, notes: str = NOTES) -> ReviewRequest:
    return ReviewRequest(round=round_, topic="Tidal power", notes=notes, citations=CITATIONS)


def test_a_decision_records_feedback_time_and_whether_the_notes_were_edited() -> None:
    sent_back = round_record(request(), ReviewDecision(1, approved=False, feedback="  Cover costs.\n"), WHEN)
    assert sent_back == RoundRecord(1, approved=False, feedback="Cover costs.", decided_at=WHEN)
    assert sent_back.decision == "sent back" and not sent_back.edited

    edited = NOTES.replace("It is predictable [2].", "It is very predictable [2].\n\nCosts fall [1].")
    approved = round_record(request(2), ReviewDecision(2, approved=True, edited_notes=edited), WHEN)
    assert approved.decision == "approved" and approved.edited
    assert (approved.lines_added, approved.lines_removed) == (2, 1)


def test_notes_returned_unchanged_are_not_an_edit() -> None:
    record = round_record(request(), ReviewDecision(1, approved=True, edited_notes=NOTES), WHEN)
    assert not record.edited and (record.lines_added, record.lines_removed) == (0, 0)


def test_the_recorder_keeps_settings_but_never_the_key() -> None:
    settings = ProviderSettings(model="qwen-max", api_key=KEY, temperature=0.7, max_output_tokens=2048)
    recorder = ProvenanceRecorder.for_settings(settings)
    made = recorder.provenance()
    assert made.model == "DashScope · qwen-max"
    assert (made.temperature, made.max_tokens) == (0.7, 2048)
    assert made.settings_summary == "temperature 0.7, at most 2,048 tokens per reply"
    assert KEY not in json.dumps(made.to_dict()) and KEY not in repr(made) and KEY not in made.summary()

    offline = ProvenanceRecorder.for_settings(ProviderSettings(provider=OFFLINE, model="extractive")).provenance()
    assert offline.model == "Offline · extractive"
    assert offline.temperature is None and offline.max_tokens is None and offline.settings_summary == ""


def test_the_recorder_collects_rounds_in_order_and_a_round_decided_again_replaces_its_record() -> None:
    recorder = ProvenanceRecorder("DashScope · qwen-plus", temperature=0.3, max_tokens=4096)
    recorder.record_decision(request(1), ReviewDecision(1, approved=False, feedback="More on costs"), WHEN)
    recorder.record_decision(request(2), ReviewDecision(2, approved=False, feedback="first try"), WHEN)
    later = WHEN + timedelta(minutes=5)
    recorder.record_decision(request(2), ReviewDecision(2, approved=True), later)
    assert [(r.round, r.decision, r.decided_at) for r in recorder.rounds] == [
        (1, "sent back", WHEN), (2, "approved", later)]


def test_attach_lists_the_documents_the_report_cites_once_each() -> None:
    body = "# Tidal power\n\nCostly [1] but predictable [2]; regulators agree [3]."
    markdown = f"{body}\n\n{references(body, CITATIONS)}"
    recorder = ProvenanceRecorder("DashScope · qwen-plus")
    recorder.record_decision(request(1), ReviewDecision(1, approved=True), WHEN)
    report = recorder.attach(Report(topic="Tidal power", markdown=markdown, rounds=1, model="qwen-plus"))
    assert report.provenance is not None
    assert report.provenance.documents == (CitedDocument("Tidal Atlas 2025", "/docs/tidal-atlas.pdf"),
                                           CitedDocument("Ofgem tidal review", "https://www.ofgem.gov.uk/tidal"))
    assert report.provenance.rounds[0].approved


def test_the_references_alone_name_the_documents() -> None:
    body = "Costly [1]; regulators agree [3]."
    markdown = f"{body}\n\n{references(body, CITATIONS)}"
    assert documents_cited(markdown) == (
        CitedDocument("Tidal Atlas 2025, Costs", "/docs/tidal-atlas.pdf"),
        CitedDocument("Ofgem tidal review, ofgem.gov.uk", "https://www.ofgem.gov.uk/tidal"))
    assert documents_cited("No sources at all.") == ()


def test_a_report_without_references_uses_its_markers() -> None:
    assert documents_cited("Costly [3].", CITATIONS) == (
        CitedDocument("Ofgem tidal review", "https://www.ofgem.gov.uk/tidal"),)


def test_provenance_survives_json() -> None:
    made = Provenance(rounds=(RoundRecord(1, False, "Costs?", WHEN),
                              RoundRecord(2, True, "", WHEN, edited=True, lines_added=3, lines_removed=1)),
                      model="DashScope · qwen-plus", temperature=0.3, max_tokens=4096,
                      documents=(CitedDocument("Tidal Atlas 2025", "/docs/tidal-atlas.pdf"),),
                      app_version="9.9.9")
    assert Provenance.from_dict(json.loads(json.dumps(made.to_dict()))) == made
    assert made.summary() == ("DashScope · qwen-plus · temperature 0.3, at most 4,096 tokens per reply · "
                              "2 reviewed research rounds (1 sent back) · notes edited by the reviewer "
                              "(+3/−1 lines) · 1 document cited · HITL Desktop 9.9.9")


def test_redacted_removes_a_key_from_every_text() -> None:
    from hitl_desktop.core.redaction import register_secret

    register_secret(KEY)
    made = Provenance(rounds=(RoundRecord(1, True, f"use {KEY} please", WHEN),), model=f"x {KEY}",
                      documents=(CitedDocument(KEY, f"https://x.org/?k={KEY}"),)).redacted()
    assert KEY not in json.dumps(made.to_dict())


def test_the_model_that_wrote_the_report_is_named_not_the_one_in_the_settings() -> None:
    """No key yet: the settings name DashScope, but the offline engine wrote the report."""
    recorder = ProvenanceRecorder("DashScope · qwen-plus", temperature=0.3, max_tokens=4096)
    report = recorder.attach(Report(topic="tides", markdown="# Tides", rounds=1, model="Offline · extractive"))
    assert report.provenance.model == "Offline · extractive"
    assert report.provenance.temperature is None and report.provenance.max_tokens is None
    same = recorder.attach(Report(topic="tides", markdown="# Tides", rounds=1, model="DashScope · qwen-plus"))
    assert same.provenance.temperature == 0.3 and same.provenance.max_tokens == 4096
