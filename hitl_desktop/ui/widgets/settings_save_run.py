"""SettingsSaveRun: one press of Save in the Settings dialog, followed to its end on the loop.

The team settings are written first, then the key and the provider settings by the settings
service's job (`SaveInProgress`, which does the writing off the UI thread). A keychain write
that does not answer within the service's patience may be waiting on an unlock prompt nobody
sees: the run says so (`slow`), and the dialog may then stop waiting and keep the key for this
session only (`SettingsDialog.keep_key_for_session`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import shiboken6
from PySide6.QtWidgets import QWidget

from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings_service import SaveResult
from hitl_desktop.ui.settings_service import SaveInProgress
from hitl_desktop.ui.widgets.team_settings import TeamSettingsBox

SaveOutcome = SaveResult | Exception


class SettingsSaveRun:
    """Calls `slow()` when the keychain keeps it waiting and `finished(outcome)` at the end, each
    only while `owner` (the dialog) still exists. Cancelling `task` drops the answer."""

    def __init__(self, job: SaveInProgress, team: TeamSettingsBox, choice: KeyLocation | None,
                 owner: QWidget, slow: Callable[[], None],
                 finished: Callable[[SaveOutcome], None]) -> None:
        self.job = job
        self._owner = owner
        self._slow = slow
        self._finished = finished
        self.task = asyncio.get_running_loop().create_task(self._follow(team, choice), name="save-settings")

    async def _follow(self, team: TeamSettingsBox, choice: KeyLocation | None) -> None:
        try:
            await team.save(choice)
            result = await self.job.result_within_patience()
            if result is None and shiboken6.isValid(self._owner):
                self._slow()
            outcome: SaveOutcome = result if result is not None else await self.job.result()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — shown in the dialog
            outcome = exc
        if shiboken6.isValid(self._owner):  # deleted meanwhile (its window closed); the write is done
            self._finished(outcome)


def outcome_of(work: Callable[[], SaveResult]) -> SaveOutcome:
    """Run `work`; its error as a value, shown like one from the worker thread."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 — any failure is handed back as a value
        return exc
