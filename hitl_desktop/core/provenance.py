"""How a report was made: its research rounds and the reviewer's decisions, the model and its
settings, the documents it cites and the app version. Qt-free, JSON-friendly.

A `Report` may carry a `Provenance`; every export format then says how the report was made
(front matter in Markdown, an appendix and document properties elsewhere) unless the person
saving turns that off. A `ProvenanceRecorder` collects one during a run:

    recorder = ProvenanceRecorder.for_settings(settings)   # model, temperature, max tokens
    recorder.record_decision(request, decision)            # each time a reviewer decides
    report = recorder.attach(report)                       # when the report is finished

No key ever goes in: the settings kept are the model's description, temperature and output
limit, and every text is redacted again when a file is written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hitl_desktop import __version__
from hitl_desktop.core.citations import Citation, markers_in, without_references
from hitl_desktop.core.notes_diff import count_changed_lines
from hitl_desktop.core.redaction import redact

if TYPE_CHECKING:
    from hitl_desktop.core.models import Report, ReviewDecision, ReviewRequest
    from hitl_desktop.core.settings import ProviderSettings

APPROVED = "approved"
SENT_BACK = "sent back"


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class RoundRecord:
    """One research round and what the reviewer decided about it."""

    round: int
    approved: bool
    feedback: str = ""
    decided_at: datetime = field(default_factory=_now)
    # Whether the reviewer changed the notes before deciding, and by how many non-blank lines.
    edited: bool = False
    lines_added: int = 0
    lines_removed: int = 0
    reviewer: str = ""  # the name set in Settings by whoever decided ("" when none was set)

    @property
    def decision(self) -> str:
        return APPROVED if self.approved else SENT_BACK

    def to_dict(self) -> dict[str, Any]:
        return {"round": self.round, "decision": self.decision, "feedback": self.feedback,
                "decided_at": self.decided_at.isoformat(timespec="seconds"), "edited": self.edited,
                "lines_added": self.lines_added, "lines_removed": self.lines_removed,
                "reviewer": self.reviewer}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoundRecord:
        return cls(round=int(data["round"]), approved=data["decision"] == APPROVED,
                   feedback=str(data.get("feedback", "")),
                   decided_at=datetime.fromisoformat(data["decided_at"]),
                   edited=bool(data.get("edited", False)),
                   lines_added=int(data.get("lines_added", 0)),
                   lines_removed=int(data.get("lines_removed", 0)),
                   reviewer=str(data.get("reviewer", "")))


@dataclass(frozen=True)
class CitedDocument:
    """A document (or web page) the report cites: its title and its path or URL."""

    title: str
    source: str


@dataclass(frozen=True)
class Provenance:
    rounds: tuple[RoundRecord, ...] = ()
    model: str = ""                  # the model's description, e.g. "DashScope · qwen-plus"
    temperature: float | None = None
    max_tokens: int | None = None
    documents: tuple[CitedDocument, ...] = ()
    app_version: str = __version__

    @property
    def settings_summary(self) -> str:
        """"temperature 0.3, at most 4,096 tokens per reply", or "" when neither is known."""
        parts = []
        if self.temperature is not None:
            parts.append(f"temperature {self.temperature:g}")
        if self.max_tokens is not None:
            parts.append(f"at most {self.max_tokens:,} tokens per reply")
        return ", ".join(parts)

    @property
    def generator(self) -> str:
        return f"HITL Desktop {self.app_version}"

    def summary(self) -> str:
        """One line for document properties: model, settings, rounds, edits, documents."""
        parts = [self.model, self.settings_summary]
        if self.rounds:
            sent_back = sum(not r.approved for r in self.rounds)
            parts.append(f"{_count(len(self.rounds), 'reviewed research round')}"
                         + (f" ({sent_back} sent back)" if sent_back else ""))
        edited = [r for r in self.rounds if r.edited]
        if edited:
            added, removed = (sum(r.lines_added for r in edited), sum(r.lines_removed for r in edited))
            parts.append(f"notes edited by the reviewer (+{added}/−{removed} lines)")
        if self.documents:
            parts.append(f"{_count(len(self.documents), 'document')} cited")
        parts.append(self.generator)
        return " · ".join(part for part in parts if part)

    def redacted(self) -> Provenance:
        """The same provenance with every text passed through the secret redaction again (a key
        pasted into feedback or a model name must not reach a file)."""
        return replace(
            self, model=redact(self.model), app_version=redact(self.app_version),
            rounds=tuple(replace(r, feedback=redact(r.feedback), reviewer=redact(r.reviewer)) for r in self.rounds),
            documents=tuple(CitedDocument(redact(d.title), redact(d.source)) for d in self.documents))

    def to_dict(self) -> dict[str, Any]:
        return {"app_version": self.app_version, "model": self.model,
                "temperature": self.temperature, "max_tokens": self.max_tokens,
                "rounds": [r.to_dict() for r in self.rounds],
                "documents": [{"title": d.title, "source": d.source} for d in self.documents]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Provenance:
        temperature, max_tokens = data.get("temperature"), data.get("max_tokens")
        return cls(rounds=tuple(RoundRecord.from_dict(r) for r in data.get("rounds", ())),
                   model=str(data.get("model", "")),
                   temperature=None if temperature is None else float(temperature),
                   max_tokens=None if max_tokens is None else int(max_tokens),
                   documents=tuple(CitedDocument(str(d["title"]), str(d["source"]))
                                   for d in data.get("documents", ())),
                   app_version=str(data.get("app_version", __version__)))


def round_record(request: ReviewRequest, decision: ReviewDecision,
                 at: datetime | None = None) -> RoundRecord:
    """What the provenance keeps of one decision: never the notes, only whether and how much
    the reviewer edited them."""
    edited = decision.edited_notes is not None and decision.edited_notes != request.notes
    added, removed = count_changed_lines(request.notes, decision.edited_notes or "") if edited else (0, 0)
    return RoundRecord(round=decision.round, approved=decision.approved,
                       feedback=decision.feedback.strip(), decided_at=at or _now(), edited=edited,
                       lines_added=added, lines_removed=removed, reviewer=decision.reviewer.strip())


# A References entry as citations.references() writes it: "3. Title, location. <link>".
# "1. Title, where. <https://…>" for a web page, "1. Title, where. `/path/file.md`" for a file.
_REFERENCE = re.compile(r"^(\d+)\.\s+(.*?)\.?\s+(?:<([^>]+)>|`([^`]+)`)\s*$")


def documents_cited(markdown: str, citations: Sequence[Citation] = ()) -> tuple[CitedDocument, ...]:
    """The documents a report cites, one entry each, in the order of its References.

    The References at the end of the report say which sources it uses; where `citations` (the
    sources the report was written from) know a number, their title and path are used, else the
    entry's own text and link."""
    by_number = {c.number: c for c in citations}
    used = set(markers_in(without_references(markdown)))
    found: dict[str, CitedDocument] = {}
    for number, text, link in _reference_entries(markdown):
        known = by_number.get(number)
        if known is not None and number in used and text.startswith(known.title):
            found.setdefault(known.source, CitedDocument(known.title, known.source))
        else:
            found.setdefault(link, CitedDocument(text, link))
    if not found:  # no References section: the markers and the known sources are all there is
        for number in sorted(used):
            if number in by_number:
                c = by_number[number]
                found.setdefault(c.source, CitedDocument(c.title, c.source))
    return tuple(found.values())


def _reference_entries(markdown: str) -> Iterable[tuple[int, str, str]]:
    body = without_references(markdown)
    section = markdown[len(body):] if len(body) < len(markdown.rstrip()) else ""
    for line in section.splitlines():
        match = _REFERENCE.match(line)
        if match:
            yield int(match.group(1)), match.group(2).strip(), match.group(3) or match.group(4)


class ProvenanceRecorder:
    """Collects a run's provenance as it happens: the settings at the start, each decision, the
    documents at the end. Decisions are kept by round (a round decided again replaces the
    earlier record)."""

    def __init__(self, model: str = "", *, temperature: float | None = None,
                 max_tokens: int | None = None) -> None:
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self._rounds: dict[int, RoundRecord] = {}
        self._citations: tuple[Citation, ...] = ()

    @classmethod
    def for_settings(cls, settings: ProviderSettings) -> ProvenanceRecorder:
        """From the provider settings the run uses: description, temperature and output limit
        (the offline engine has neither setting). The key is never read."""
        from hitl_desktop.core.settings import runs_offline

        if runs_offline(settings):
            return cls(settings.description)
        return cls(settings.description, temperature=settings.temperature,
                   max_tokens=settings.max_output_tokens)

    @property
    def rounds(self) -> tuple[RoundRecord, ...]:
        return tuple(self._rounds[number] for number in sorted(self._rounds))

    def record_decision(self, request: ReviewRequest, decision: ReviewDecision,
                        at: datetime | None = None) -> RoundRecord:
        record = round_record(request, decision, at)
        self._rounds[record.round] = record
        if request.citations:
            self._citations = request.citations
        return record

    def provenance(self, report_markdown: str = "", *, model: str = "") -> Provenance:
        """The provenance so far; `report_markdown` names the documents the report cites."""
        return Provenance(rounds=self.rounds, model=model or self.model,
                          temperature=self.temperature, max_tokens=self.max_tokens,
                          documents=documents_cited(report_markdown, self._citations))

    def attach(self, report: Report) -> Report:
        """`report` carrying this run's provenance."""
        # The model that wrote the report is the one to name: the settings may name one that was
        # not used (no key yet, so the offline engine ran), whose temperature then meant nothing.
        provenance = self.provenance(report.markdown, model=report.model or self.model)
        if report.model and report.model != self.model:
            provenance = replace(provenance, temperature=None, max_tokens=None)
        return replace(report, provenance=provenance)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
