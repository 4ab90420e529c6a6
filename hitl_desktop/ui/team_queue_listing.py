"""TeamQueueListing: lists every run on the team server for the Team queue, one listing at a
time, with one client kept for the server the settings name (a new one when Settings change it).

The address and token are read off the UI thread: the token may wait on the keychain."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Signal

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.settings_service import SettingsService

if TYPE_CHECKING:
    from hitl_desktop.core.team.queue import TeamQueue
    from hitl_desktop.core.team.runs import QueuedRun


class TeamQueueListing(QObject):
    changed = Signal(object)  # tuple[QueuedRun, ...]: every run on the team server
    failed = Signal(object)   # UserFacingError: the queue could not be listed

    def __init__(self, settings: SettingsService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._settings = settings
        self._queue: TeamQueue | None = None  # for the server it was made for
        self._task: asyncio.Task[None] | None = None

    def refresh(self) -> None:
        """List the runs again, unless a listing is already going."""
        if self._task is not None and not self._task.done():
            return
        self._task = asyncio.get_running_loop().create_task(self._refresh(), name="team-queue")

    async def close(self) -> None:
        """Stop listing and following the server's runs (the app or its window is closing)."""
        listing = self._task
        if listing is not None and not listing.done():
            listing.cancel()
            await asyncio.gather(listing, return_exceptions=True)
        await self._close_queue()

    async def _refresh(self) -> None:
        from hitl_desktop.core.team.client import TeamClient
        from hitl_desktop.core.team.queue import TeamQueue

        settings = await asyncio.to_thread(self._settings.team)
        if not settings.team_mode:
            return
        queue = self._queue
        if queue is None or queue.settings != settings:  # first listing, or Settings changed the server
            await self._close_queue()
            queue = self._queue = TeamQueue(TeamClient(settings), self._listed)
        try:
            await queue.refresh()
        except UserFacingError as error:
            if shiboken6.isValid(self):
                self.failed.emit(error)

    def _listed(self, runs: tuple[QueuedRun, ...]) -> None:
        if shiboken6.isValid(self):
            self.changed.emit(runs)

    async def _close_queue(self) -> None:
        queue, self._queue = self._queue, None
        if queue is not None:
            await queue.aclose()
