"""The team queue's entries: plain data, for the widgets that list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class QueueStatus(StrEnum):
    RUNNING = "running"
    WAITING_FOR_REVIEW = "waiting for review"
    WAITING_FOR_RETRY = "failed — waiting for retry"
    DONE = "done"
    FAILED = "failed"
    STOPPED = "stopped"


@dataclass(frozen=True)
class QueuedRun:
    run_id: str
    topic: str
    status: QueueStatus
    started_at: datetime
    round: int = 0
    last_sequence: int = -1         # the last event the queue has seen of it
    waiting_at: int | None = None   # the sequence of the review (or failure) it waits on

    @property
    def waiting(self) -> bool:
        return self.status in (QueueStatus.WAITING_FOR_REVIEW, QueueStatus.WAITING_FOR_RETRY)
