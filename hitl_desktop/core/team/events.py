"""Reading the team server's event envelopes back as our workflow's events."""

from __future__ import annotations

import logging

from llama_agents.client import EventEnvelopeWithMetadata
from workflows.events import Event

from hitl_desktop.core.workflow import events as wf

log = logging.getLogger(__name__)

# Every event the research workflow writes to its stream; anything else (the server's own
# events, a newer server's additions) is skipped.
STREAMED = (wf.RunStartedEvent, wf.ProgressEvent, wf.ResearchDeltaEvent, wf.ResearchReadyEvent,
            wf.StepFailedForReviewEvent, wf.DecisionIgnoredEvent, wf.ReportStartedEvent,
            wf.ReportDeltaEvent, wf.ReportFinishedEvent)
_BY_NAME = {event.__name__: event for event in STREAMED}


def load(envelope: EventEnvelopeWithMetadata) -> Event | None:
    """The workflow event in `envelope`, or None when it is not one of ours (or not one this
    version can read: a server running a different version of the workflow)."""
    if envelope.type not in _BY_NAME:
        return None
    try:
        return envelope.load_event(registry=STREAMED)
    except Exception as exc:  # one unreadable event must not end the run in the window
        log.warning("Skipping a %s from the team server that does not read: %s", envelope.type, type(exc).__name__)
        return None


def ends_run(envelope: EventEnvelopeWithMetadata) -> bool:
    """The run's last event: its result, or the engine's own stop (a failure, a cancel)."""
    return envelope.type == "StopEvent" or "StopEvent" in (envelope.types or ())
