"""SettingsDialog: provider, model, endpoint, API key, web search and generation limits, with Test
Connection.

A form: it collects values and shows what became of them. Where keys are kept, and how a Save
waits on the keychain, is the settings service's business (`hitl_desktop.core.settings_service`,
awaited through `hitl_desktop.ui.settings_service` so the keychain is never asked on the UI
thread). The API key field is write-only: it never shows a stored key, only says where one is
kept. Test Connection runs an injected coroutine function on the running loop (the bridge's),
so this module needs no LlamaIndex and the dialog never blocks.

The sections are widgets of their own (`provider_form`, `key_storage_box`, `generation_box`,
`settings_result_row`, `team_settings`); this module composes them and runs what takes time
(key lookups and removals, the test, the save) without blocking.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTabWidget, QVBoxLayout, QWidget

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings import ProviderSettings, check_settings
from hitl_desktop.core.settings_service import KeyState
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.form_cells import esc, page
from hitl_desktop.ui.widgets.generation_box import GenerationBox
from hitl_desktop.ui.widgets.placement import centre_on_parent, grow_to_fit
from hitl_desktop.ui.widgets.provider_form import ProviderForm
from hitl_desktop.ui.widgets.settings_result_row import SettingsResultRow
from hitl_desktop.ui.widgets.settings_save_run import SaveOutcome, SettingsSaveRun, outcome_of
from hitl_desktop.ui.widgets.team_settings import TeamSettingsBox
from hitl_desktop.ui.widgets.web_search_option import WebSearchOption

ConnectionTester = Callable[[ProviderSettings], Awaitable[str]]


class SettingsDialog(QDialog):
    """Emits `saved` with the new settings (without the key) after they were written.

    It edits the saved settings (`service.core.editable()`) unless given others.
    """

    saved = Signal(object)  # ProviderSettings

    def __init__(self, service: AsyncSettingsService, tester: ConnectionTester | None = None,
                 parent: QWidget | None = None, settings: ProviderSettings | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsDialog")
        self.setWindowTitle("Settings")
        self._service = service
        self._tester = tester
        self._test_task: asyncio.Task[None] | None = None
        self._key_task: asyncio.Task[None] | None = None   # the newest key lookup or removal
        self._save_run: SettingsSaveRun | None = None  # the running save, while it runs
        self._key_state: KeyState | None = None  # None until the newest lookup answers
        self._placed = False
        settings = settings if settings is not None else service.core.editable()
        self._settings = replace(settings, api_key="")
        self._forms: dict[str, ProviderSettings] = {settings.provider: self._settings}
        self._build()
        self._show_provider(settings.provider)
        self._fit_height()

    # ----- construction -------------------------------------------------------------------

    def _build(self) -> None:
        self.providerForm = ProviderForm(self._service.core.key_file)
        self.providerForm.providerCombo.currentIndexChanged.connect(self._on_provider_changed)
        self.providerForm.forgetKeyConfirmed.connect(self._forget_key)
        self.generationBox = GenerationBox()
        # One switch for every provider (only DashScope acts on it), so it is not per form.
        self.webSearchOption = WebSearchOption(self._settings.web_search)
        self.resultRow = SettingsResultRow()
        self.resultRow.testButton.clicked.connect(self.test_connection)
        self.resultRow.testButton.setEnabled(self._tester is not None)
        self.resultRow.keepForSessionButton.clicked.connect(self.keep_key_for_session)

        # Every field is an attribute of the dialog too: tests and scripts reach them there,
        # whichever section holds them.
        form, storage, limits, row = self.providerForm, self.providerForm.keyStorageBox, \
            self.generationBox, self.resultRow
        self.providerCombo, self.modelCombo, self.baseUrlEdit = form.providerCombo, form.modelCombo, form.baseUrlEdit
        self.presetButton, self.urlHintLabel = form.presetButton, form.urlHintLabel
        self.apiKeyEdit, self.forgetKeyButton, self.keyStatusLabel = form.apiKeyEdit, form.forgetKeyButton, \
            form.keyStatusLabel
        self.keyStorageBox, self.noKeychainLabel, self.keyFileWarning = storage, storage.noKeychainLabel, \
            storage.keyFileWarning
        self.sessionOnlyRadio, self.keyFileRadio = storage.sessionOnlyRadio, storage.keyFileRadio
        self.temperatureSpin, self.maxTokensSpin, self.timeoutSpin = limits.temperatureSpin, \
            limits.maxTokensSpin, limits.timeoutSpin
        self.testButton, self.testIcon, self.testResultLabel = row.testButton, row.testIcon, row.testResultLabel
        self.keepForSessionButton = row.keepForSessionButton

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.saveButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.saveButton.setObjectName("saveButton")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        # Pages, so the dialog stays short enough for a small screen.
        self.teamBox = TeamSettingsBox(self._service, self)
        self.pages = QTabWidget(self, objectName="settingsPages", documentMode=True)
        self.pages.addTab(page(self.providerForm), "Mo&del")
        self.pages.addTab(page(self.generationBox, self.webSearchOption), "&Generation")
        self.pages.addTab(page(self.teamBox), "Te&am server")
        self.teamBox.notesChanged.connect(lambda: QTimer.singleShot(0, self._fit_height))
        layout.addWidget(self.pages)
        layout.addWidget(self.resultRow)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def _fit_height(self) -> None:
        grow_to_fit(self, min_width=620)

    # ----- provider switching ---------------------------------------------------------------

    @property
    def provider(self) -> str:
        return self.providerForm.provider

    def _on_provider_changed(self) -> None:
        previous = self._settings.provider
        self._forms[previous] = self._form_settings(previous)
        provider = self.provider
        if provider not in self._forms:
            self._forms[provider] = self._service.core.for_provider(self._forms[previous], provider)
        self._show_provider(provider)

    def _show_provider(self, provider: str) -> None:
        settings = self._forms.get(provider) or self._service.core.for_provider(self._settings, provider)
        self._settings = settings
        self.providerForm.load(settings)
        self.generationBox.load(settings)
        self.webSearchOption.show_for(provider)
        self._show_key_state()
        self._show_result("", ok=None)

    def _show_key_state(self) -> None:
        """Say where the key is kept; looked up off the UI thread, the newest lookup wins."""
        self._start_key_task(self.provider)

    def _start_key_task(self, provider: str, *, forget: bool = False) -> None:
        if self._key_task is not None:
            self._key_task.cancel()
            self._key_task = None
        self._key_state = None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop yet (scripts, tests without one): nothing else to freeze
            core = self._service.core
            self._apply_key_state(core.forget_key(provider) if forget else core.key_state(provider),
                                  removed=forget)
            return
        self.providerForm.show_checking_key()
        self.forgetKeyButton.setEnabled(False)
        self._key_task = loop.create_task(self._key_state_from(provider, forget),
                                          name="forget-key" if forget else "key-lookup")

    async def _key_state_from(self, provider: str, forget: bool) -> None:
        try:
            state = await (self._service.forget_key(provider) if forget
                           else self._service.key_state(provider))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — a broken keyring must not leave "Checking…" up forever
            if shiboken6.isValid(self):
                self.keyStatusLabel.setText(
                    esc(f"Could not check the keychain ({type(exc).__name__})."))
            return
        if shiboken6.isValid(self):  # the dialog may have been deleted meanwhile
            self._apply_key_state(state, removed=forget)

    def key_state_known(self) -> bool:
        """False while the keychain is being asked where the key is."""
        return self._key_task is None or self._key_task.done()

    def _apply_key_state(self, state: KeyState, removed: bool = False) -> None:
        if state.provider != self.provider:  # an answer about a provider no longer shown
            return
        self.providerForm.show_key_state(state, self._settings)
        if removed:
            self._show_result("The stored key was removed.", ok=True)
        self.forgetKeyButton.setEnabled(self._save_run is None and state.removable)
        # The key's status note may wrap to more lines than before: grow rather than squash.
        QTimer.singleShot(0, self._fit_height)
        self._key_state = state

    def key_storage_choice(self) -> KeyLocation | None:
        """Where the person chose to keep a key, when the choice is offered (no keychain)."""
        if self._key_state is None or self._key_state.keychain.available:
            return None
        return self.keyStorageBox.choice()

    # ----- reading the form -----------------------------------------------------------------

    def _form_settings(self, provider: str | None = None) -> ProviderSettings:
        settings = replace(self._settings, provider=provider or self.provider,
                           web_search=self.webSearchOption.is_on(), api_key="")
        return self.generationBox.edited(self.providerForm.edited(settings))

    def settings(self) -> ProviderSettings:
        """The settings as the form shows them, without any key."""
        return self._form_settings()

    # ----- actions --------------------------------------------------------------------------

    def _checked_form_settings(self) -> ProviderSettings | None:
        """The form's settings, or None after saying in the dialog what to fix first."""
        settings = self._form_settings()
        problem = check_settings(settings)
        if problem is not None:
            self._show_result(f"<b>{esc(problem.message)}</b> {esc(problem.hint)}", ok=False)
            return None
        return settings

    def test_connection(self) -> None:
        if self._tester is None or (self._test_task is not None and not self._test_task.done()):
            return
        settings = self._checked_form_settings()
        if settings is None:
            return
        self.testButton.setEnabled(False)
        self.resultRow.show_testing(True)
        self._show_result(f"Sending a tiny request to {esc(settings.description)}…", ok=None)
        self._test_task = asyncio.get_running_loop().create_task(
            self._run_test(settings, self.providerForm.typed_key()), name="test-connection")

    async def _run_test(self, settings: ProviderSettings, typed_key: str) -> None:
        assert self._tester is not None
        try:
            # The typed key, else the one a run would use: asked of the same service.
            text = await self._tester(await self._service.with_key(settings, typed_key))
            if not shiboken6.isValid(self):
                return
        except UserFacingError as error:
            self._show_result(f"<b>{esc(redact(error.message))}</b><br>"
                              f"{esc(redact(error.hint))}", ok=False)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a provider must not leave the dialog stuck
            self._show_result(f"<b>The test failed unexpectedly ({esc(type(exc).__name__)}).</b>",
                              ok=False)
        else:
            self._show_result(esc(redact(text)), ok=True)
        finally:
            if shiboken6.isValid(self.testButton):  # the dialog may be gone (closed mid-test)
                self.resultRow.show_testing(False)
                self.testButton.setEnabled(True)

    def save(self) -> None:
        """Check the form, then have the service store the key and the settings off the UI
        thread; `saved` is emitted and the dialog closes only once both are written."""
        if self._save_run is not None:
            return
        settings = self._checked_form_settings()
        if settings is None:
            return
        if (team_problem := self.teamBox.problem()) is not None:
            self.pages.setCurrentIndex(self.pages.count() - 1)  # where the address is
            self.teamBox.serverUrlEdit.setFocus()
            self._finish_save(team_problem)
            return
        typed = self.providerForm.typed_key()
        choice = self.key_storage_choice()
        try:
            asyncio.get_running_loop()  # the run follows the save on it
        except RuntimeError:  # no loop: nothing else to freeze
            self.teamBox.save_now(choice)
            self._finish_save(outcome_of(self._service.core.start_save(settings, typed, choice).run))
            return
        job = self._service.start_save(settings, typed, choice)
        self._set_saving(True)
        self._show_result("Saving… (the system keychain may ask you to unlock it)" if typed
                          else "Saving…", ok=None)
        self._save_run = SettingsSaveRun(job, self.teamBox, choice, self, slow=self._offer_session_key,
                                         finished=self._save_ended)

    def _save_ended(self, outcome: SaveOutcome) -> None:
        self._save_run = None
        self._set_saving(False)
        self._finish_save(outcome)

    def _offer_session_key(self) -> None:
        """A keychain write that has not answered may be waiting on an unlock prompt, or stuck."""
        self._show_result("<b>The system keychain is not answering.</b> If it shows an unlock "
                          "prompt, answer it there; or use the key for this session only (the "
                          "settings are saved now).", ok=None)
        self.keepForSessionButton.show()
        self.keepForSessionButton.setFocus()
        self._fit_height()

    def keep_key_for_session(self) -> None:
        """Stop waiting for the keychain: save the settings, hold the key in memory, close.
        The keychain may still store the key when it answers; the session copy is used first."""
        if self._save_run is None:
            return
        run, self._save_run = self._save_run, None
        run.task.cancel()  # its thread finishes on its own; the answer is dropped
        self._set_saving(False)
        self._finish_save(outcome_of(run.job.keep_key_for_session))

    def _finish_save(self, outcome: SaveOutcome) -> None:
        if isinstance(outcome, UserFacingError):
            self._show_result(f"<b>{esc(redact(outcome.message))}</b> {esc(redact(outcome.hint))}",
                              ok=False)
        elif isinstance(outcome, Exception):
            self._show_result(f"<b>Saving failed unexpectedly ({esc(type(outcome).__name__)}).</b> "
                              "Check the settings and try again.", ok=False)
        else:
            self.apiKeyEdit.clear()
            self.saved.emit(outcome.settings)
            self.accept()

    def _set_saving(self, saving: bool) -> None:
        # While the key is written the dialog stays open (see reject), so Save cannot run twice.
        self.buttons.setEnabled(not saving)
        if not saving:
            self.keepForSessionButton.hide()
        testing = self._test_task is not None and not self._test_task.done()
        self.testButton.setEnabled(not saving and not testing and self._tester is not None)
        self.forgetKeyButton.setEnabled(not saving and self._key_state is not None
                                        and self._key_state.removable)

    def is_saving(self) -> bool:
        return self._save_run is not None

    def _forget_key(self) -> None:
        self._start_key_task(self.provider, forget=True)

    def _show_result(self, rich_text: str, ok: bool | None) -> None:
        self.resultRow.show_result(rich_text, ok)
        self._fit_height()  # a long message wraps: grow rather than squash the form

    def result_text(self) -> str:
        return self.resultRow.result_text()

    # ----- closing --------------------------------------------------------------------------

    def reject(self) -> None:
        # Cancel, Escape and the close button all come here. Mid-save the key may be half way
        # into the keychain (an unlock prompt is up): stay until it is written or refused, so the
        # window is told about settings that were saved.
        if self._save_run is not None:
            self._show_result("Still saving: the dialog closes once the key is stored.", ok=None)
            return
        super().reject()

    def done(self, result: int) -> None:
        # A cancelled lookup's worker thread finishes on its own; its answer is dropped.
        for task in (self._test_task, self._key_task):
            if task is not None and not task.done():
                task.cancel()
        self.apiKeyEdit.clear()
        self.teamBox.clear_secret()
        super().done(result)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._fit_height()
        if not self._placed:  # once: later the person may have moved it
            self._placed = True
            centre_on_parent(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._save_run is None:
            for task in (self._test_task, self._key_task):
                if task is not None and not task.done():
                    task.cancel()
        super().closeEvent(event)


def open_settings_dialog(parent: QWidget, service: AsyncSettingsService,
                         tester: ConnectionTester,
                         saved: Callable[[object], None]) -> None:
    """Open Settings over `parent`, or bring forward the one already open there."""
    existing = parent.findChild(SettingsDialog, "settingsDialog")
    if existing is not None and existing.isVisible():
        existing.raise_()
        existing.activateWindow()
        return
    dialog = SettingsDialog(service, tester=tester, parent=parent)
    dialog.saved.connect(saved)
    dialog.finished.connect(dialog.deleteLater)
    dialog.open()
