"""ProviderStatus: which model runs (`providerLabel` in the status bar; in team mode, which team
server) and, in the setup banner, what is missing before a first run (a key, an address)."""

from __future__ import annotations

import asyncio
import logging

import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QWidget

from hitl_desktop.core.settings import OFFLINE_DESCRIPTION, ProviderSettings, runs_offline, setup_needed
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.ui.threads import run_on_daemon_thread
from hitl_desktop.ui.widgets.banner import SetupBanner

log = logging.getLogger(__name__)


class ProviderStatus(QObject):
    def __init__(self, settings: SettingsService, banner: SetupBanner, parent: QWidget,
                 label: QLabel | None = None) -> None:
        super().__init__(parent)
        # The label may be in the status bar already: the window's first frame shows it empty.
        self.label = label or QLabel(parent, objectName="providerLabel")
        self._settings = settings
        self._banner = banner
        self._lookup: asyncio.Future[ProviderSettings] | None = None  # the newest wins

    def refresh(self) -> None:
        """Show the provider now and the setup sentence once the key is found. Finding it may
        wait on the OS keychain (an unlock prompt), so with a loop running it is looked up off
        the UI thread."""
        team = self._settings.team(with_token=False)
        if team.team_mode:  # the server runs the model, with its own keys: nothing to set up here
            if self._lookup is not None:
                self._lookup.cancel()
            self.label.setText(f"Team server · {team.display_url}")
            self._banner.show_need("")
            return
        self.label.setText(self._settings.current(with_key=False).description)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._banner.show_need(setup_needed(self._settings.current()))
            return
        if self._lookup is not None:
            self._lookup.cancel()  # its late answer is dropped
        self._lookup = run_on_daemon_thread(self._settings.current, name="key-lookup")
        self._lookup.add_done_callback(self._on_looked_up)

    def _on_looked_up(self, lookup: asyncio.Future[ProviderSettings]) -> None:
        if lookup.cancelled() or not shiboken6.isValid(self):
            return
        error = lookup.exception()
        if error is not None:
            log.warning("Looking up the API key failed: %s", type(error).__name__)
            return
        settings = lookup.result()
        self._banner.show_need(setup_needed(settings))
        # Until a model is set up, runs use the offline engine: say so where the model is named.
        self.label.setText(OFFLINE_DESCRIPTION if runs_offline(settings) else settings.description)
