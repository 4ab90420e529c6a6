"""The SettingsService's keychain work, awaited on the qasync loop instead of blocking it.

A locked keychain may show an unlock prompt and wait for it; on the UI thread that would freeze
the window and any report streaming in behind the dialog. So every call that may reach the
keychain runs on a daemon thread (an unanswered prompt must not keep the app from quitting),
and a task cancelled meanwhile drops the late answer unread.
"""

from __future__ import annotations

import asyncio

from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings import ProviderSettings
from hitl_desktop.core.team.settings import TOKEN_NAME, TeamSettings
from hitl_desktop.core.settings_service import KeyState, PendingSave, SaveResult, SettingsService
from hitl_desktop.ui.threads import run_on_daemon_thread

_THREAD = "settings-keychain"


class AsyncSettingsService:
    """The service's blocking calls as coroutines, for widgets."""

    def __init__(self, core: SettingsService) -> None:
        self.core = core

    async def key_state(self, provider: str) -> KeyState:
        return await run_on_daemon_thread(lambda: self.core.key_state(provider), name=_THREAD)

    async def forget_key(self, provider: str) -> KeyState:
        return await run_on_daemon_thread(lambda: self.core.forget_key(provider), name=_THREAD)

    async def with_key(self, settings: ProviderSettings, typed_key: str = "") -> ProviderSettings:
        if typed_key.strip():  # nothing to look up
            return self.core.with_key(settings, typed_key)
        return await run_on_daemon_thread(lambda: self.core.with_key(settings), name=_THREAD)

    async def team_token_state(self) -> KeyState:
        return await run_on_daemon_thread(lambda: self.core.key_state(TOKEN_NAME), name=_THREAD)

    async def save_team(self, settings: TeamSettings, typed_token: str = "",
                        fallback: KeyLocation | None = None) -> KeyLocation | None:
        return await run_on_daemon_thread(lambda: self.core.save_team(settings, typed_token, fallback),
                                          name=_THREAD)

    def start_save(self, settings: ProviderSettings, typed_key: str = "",
                   fallback: KeyLocation | None = None) -> SaveInProgress:
        """Start writing on a daemon thread at once; needs the running loop."""
        return SaveInProgress(self.core.start_save(settings, typed_key, fallback),
                              self.core.keychain_patience_s)


class SaveInProgress:
    """A Save running on a daemon thread, and the way out when the keychain does not answer."""

    def __init__(self, pending: PendingSave, patience_s: float) -> None:
        self._pending = pending
        self.patience_s = patience_s
        self._future = run_on_daemon_thread(pending.run, name=_THREAD)

    @property
    def settings(self) -> ProviderSettings:
        return self._pending.settings

    @property
    def stores_key(self) -> bool:
        return self._pending.stores_key

    async def result_within_patience(self) -> SaveResult | None:
        """The result, or None when the save has not finished within the keychain's patience
        (only a typed key makes it wait on the keychain; otherwise this waits to the end)."""
        if not self.stores_key:
            return await self._future
        done, _pending = await asyncio.wait({self._future}, timeout=self.patience_s)
        return self._future.result() if done else None

    async def result(self) -> SaveResult:
        """The save's result; raises its UserFacingError (or any other failure). Cancelling the
        awaiting task drops the answer, as abandon() does."""
        return await self._future

    def keep_key_for_session(self) -> SaveResult:
        """Stop waiting: keep the key in memory and save the settings now (a quick file write).
        The thread's late answer is dropped unread."""
        self._future.cancel()
        return self._pending.keep_key_for_session()

