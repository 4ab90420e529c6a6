"""SettingsDialog: provider, model, endpoint, API key, web search and generation limits, with Test
Connection.

A form: it collects values and shows what became of them. Where keys are kept, and how a Save
waits on the keychain, is the settings service's business (`hitl_desktop.core.settings_service`,
awaited through `hitl_desktop.ui.settings_service` so the keychain is never asked on the UI
thread). The API key field is write-only: it never shows a stored key, only says where one is
kept. Test Connection runs an injected coroutine function on the running loop (the bridge's),
so this module needs no LlamaIndex and the dialog never blocks.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable
from dataclasses import replace

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QStyle,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings import (
    DASHSCOPE,
    DEFAULT_BASE_URLS,
    MAX_OUTPUT_TOKENS_RANGE,
    OPENAI_COMPATIBLE,
    OFFLINE,
    PROVIDERS,
    SUGGESTED_MODELS,
    TEMPERATURE_RANGE,
    TIMEOUT_RANGE_S,
    ProviderSettings,
    check_settings,
)
from hitl_desktop.core.settings_service import KeyState, SaveResult
from hitl_desktop.ui.settings_service import AsyncSettingsService, SaveInProgress
from hitl_desktop.ui.widgets.placement import centre_on_parent, keep_on_screen
from hitl_desktop.ui.widgets.team_settings import TeamSettingsBox
from hitl_desktop.ui.widgets.web_search_option import WebSearchOption

ConnectionTester = Callable[[ProviderSettings], Awaitable[str]]
CHECKING_KEYCHAIN = "Checking the keychain…"

PROVIDER_CHOICES = {DASHSCOPE: "Qwen on DashScope",
                    OPENAI_COMPATIBLE: "OpenAI-compatible server (Ollama, LM Studio, vLLM…)",
                    OFFLINE: "Offline: quote my documents, no model"}
# Where the common servers listen by default.
BASE_URL_PRESETS = (
    ("Ollama", "http://localhost:11434/v1"),
    ("LM Studio", "http://localhost:1234/v1"),
    ("vLLM", "http://localhost:8000/v1"),
    ("llama.cpp server", "http://localhost:8080/v1"),
    ("DashScope compatible mode (international)", "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"),
    ("DashScope compatible mode (China)", "https://dashscope.aliyuncs.com/compatible-mode/v1"),
)


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
        self._save_task: asyncio.Task[None] | None = None
        self._save: SaveInProgress | None = None  # the running save, while it runs
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
        self.providerCombo = QComboBox(objectName="providerCombo")
        for provider in PROVIDERS:
            self.providerCombo.addItem(PROVIDER_CHOICES[provider], provider)
        self.providerCombo.currentIndexChanged.connect(self._on_provider_changed)

        self.modelCombo = QComboBox(objectName="modelCombo")
        self.modelCombo.setEditable(True)
        self.modelCombo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.modelCombo.setToolTip("Pick a model or type any name the provider knows.")

        self.baseUrlEdit = QLineEdit(objectName="baseUrlEdit")
        # Named here: inside a row widget, Qt cannot take the name from the form's label.
        self.baseUrlEdit.setAccessibleName("Base URL")
        self.baseUrlEdit.setClearButtonEnabled(True)
        self.presetButton = QToolButton(objectName="presetButton", text="Presets")
        self.presetButton.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        presets = QMenu(self.presetButton)
        for name, url in BASE_URL_PRESETS:
            action = QAction(f"{name} — {url}", presets)
            action.triggered.connect(lambda _checked=False, u=url: self.baseUrlEdit.setText(u))
            presets.addAction(action)
        self.presetButton.setMenu(presets)
        url_row = _row(self.baseUrlEdit, self.presetButton)

        self.apiKeyEdit = QLineEdit(objectName="apiKeyEdit")
        self.apiKeyEdit.setAccessibleName("API key")
        self.apiKeyEdit.setEchoMode(QLineEdit.EchoMode.Password)
        self.apiKeyEdit.setClearButtonEnabled(True)
        # Keys are pasted, not typed; never offer them to input-method history.
        self.apiKeyEdit.setInputMethodHints(Qt.InputMethodHint.ImhSensitiveData
                                            | Qt.InputMethodHint.ImhNoPredictiveText)
        self.forgetKeyButton = QPushButton("Remove Stored Key", objectName="forgetKeyButton")
        self.forgetKeyButton.setAutoDefault(False)
        self.forgetKeyButton.clicked.connect(self._confirm_forget_key)
        key_row = _row(self.apiKeyEdit, self.forgetKeyButton)
        self.keyStatusLabel = _note_label("keyStatusLabel")
        self.keyStorageBox = self._build_key_storage_box()

        self.temperatureSpin = QDoubleSpinBox(objectName="temperatureSpin")
        self.temperatureSpin.setRange(*TEMPERATURE_RANGE)
        self.temperatureSpin.setSingleStep(0.1)
        self.temperatureSpin.setDecimals(2)
        self.temperatureSpin.setToolTip("Lower is more focused and repeatable; higher is more varied.")
        self.maxTokensSpin = QSpinBox(objectName="maxTokensSpin")
        self.maxTokensSpin.setRange(*MAX_OUTPUT_TOKENS_RANGE)
        self.maxTokensSpin.setSingleStep(512)
        self.maxTokensSpin.setGroupSeparatorShown(True)
        self.maxTokensSpin.setToolTip("The longest reply the model may write; reports need a few thousand.")
        self.timeoutSpin = QSpinBox(objectName="timeoutSpin")
        self.timeoutSpin.setRange(int(TIMEOUT_RANGE_S[0]), int(TIMEOUT_RANGE_S[1]))
        self.timeoutSpin.setSuffix(" s")
        self.timeoutSpin.setToolTip("How long to wait for the model to start or continue a reply.")
        for spin in (self.temperatureSpin, self.maxTokensSpin, self.timeoutSpin):
            spin.setMinimumWidth(140)

        self.urlHintLabel = _note_label("urlHintLabel")
        # One switch for every provider (only DashScope acts on it), so it is not per form.
        self.webSearchOption = WebSearchOption(self._settings.web_search)
        model_box = QGroupBox("Provider and model")
        form = QFormLayout(model_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Provider:", self.providerCombo)
        form.addRow("&Model:", self.modelCombo)
        url_label = QLabel("&Base URL:")
        url_label.setBuddy(self.baseUrlEdit)
        form.addRow(url_label, _stacked(url_row, self.urlHintLabel))
        key_label = QLabel("API &key:")
        key_label.setBuddy(self.apiKeyEdit)
        form.addRow(key_label, _stacked(key_row, self.keyStatusLabel, self.keyStorageBox))

        limits_box = QGroupBox("Generation")
        limits = QFormLayout(limits_box)
        limits.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        limits.addRow("&Temperature:", self.temperatureSpin)
        limits.addRow("Max &output tokens:", self.maxTokensSpin)
        limits.addRow("T&imeout:", self.timeoutSpin)

        self.testButton = QPushButton("Test Co&nnection", objectName="testButton")
        self.testButton.setAutoDefault(False)
        self.testButton.setToolTip("Send one tiny request with these settings (not yet saved).")
        self.testButton.clicked.connect(self.test_connection)
        self.testButton.setEnabled(self._tester is not None)
        self.testIcon = QLabel(objectName="testIcon")
        self.testResultLabel = QLabel(objectName="testResultLabel")
        self.testResultLabel.setWordWrap(True)
        self.testResultLabel.setTextFormat(Qt.TextFormat.RichText)
        self.testResultLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Offered when a keychain write has not answered for a while (see save()).
        self.keepForSessionButton = QPushButton("&Use Key for This Session Only", objectName="keepForSessionButton")
        self.keepForSessionButton.setToolTip("Save the settings now and keep the key in memory until "
                                             "you quit, without waiting for the keychain")
        self.keepForSessionButton.clicked.connect(self.keep_key_for_session)
        self.keepForSessionButton.hide()
        result_column = QVBoxLayout()
        result_column.addWidget(self.testResultLabel)
        result_column.addWidget(self.keepForSessionButton, 0, Qt.AlignmentFlag.AlignLeft)
        test_row = QHBoxLayout()
        test_row.addWidget(self.testButton, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.testIcon, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addLayout(result_column, 1)

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
        self.pages.addTab(_column(model_box), "Mo&del")
        self.pages.addTab(_column(limits_box, self.webSearchOption), "&Generation")
        self.pages.addTab(_column(self.teamBox), "Te&am server")
        self.teamBox.notesChanged.connect(lambda: QTimer.singleShot(0, self._fit_height))
        layout.addWidget(self.pages)
        layout.addLayout(test_row)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    def _build_key_storage_box(self) -> QFrame:
        box = QFrame(objectName="keyStorageBox")
        box.setFrameShape(QFrame.Shape.StyledPanel)
        box.setStyleSheet("#keyStorageBox { border: 1px solid #d4a017; border-radius: 4px; }")
        self.noKeychainLabel = _note_label("noKeychainLabel")
        self.sessionOnlyRadio = QRadioButton("Keep the key for this session only (type it again next time)",
                                             objectName="sessionOnlyRadio")
        self.keyFileRadio = QRadioButton("Keep it in a file only you can read (permissions 0600)",
                                         objectName="keyFileRadio")
        self.sessionOnlyRadio.setChecked(True)  # until a lookup says where the key is kept
        group = QButtonGroup(box)
        group.addButton(self.sessionOnlyRadio)
        group.addButton(self.keyFileRadio)
        # Always shown, under the choice it is about: read before choosing, and choosing does
        # not grow the dialog (which would move Save from under the pointer).
        self.keyFileWarning = _note_label("keyFileWarning")
        self.keyFileWarning.setText(
            f"The file {_esc(str(self._service.core.key_file))} is not encrypted: anyone who can "
            "read your files as you (other programs, backups, an administrator) can read the key.")
        indent = self.style().pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth) \
            + self.style().pixelMetric(QStyle.PixelMetric.PM_RadioButtonLabelSpacing)
        box.hide()  # shown once a lookup says there is no keychain
        column = QVBoxLayout(box)
        column.setContentsMargins(8, 6, 8, 6)
        column.addWidget(self.noKeychainLabel)
        column.addWidget(self.sessionOnlyRadio)
        column.addWidget(self.keyFileRadio)
        under_radio = QHBoxLayout()
        under_radio.addSpacing(indent)
        under_radio.addWidget(self.keyFileWarning, 1)
        column.addLayout(under_radio)
        return box

    def _fit_height(self) -> None:
        """Tall enough for every wrapped note at the dialog's width (sizeHint ignores wrapping)."""
        layout = self.layout()
        if layout is None:
            return
        # A changed note tells the layouts above it by posted events: let them all hear first,
        # or the height below is the one from before the change.
        QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        layout.activate()
        width = max(self.width() if self.isVisible() else 0, self.sizeHint().width(), 620)
        height = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
        # Not sizeHint's height: that one wraps the notes at the narrower preferred width and
        # leaves a gap above the buttons at this width.
        wanted = height if height > 0 else self.sizeHint().height()
        if not self.isVisible() or wanted > self.height():
            self.resize(width, wanted)
            if self.isVisible():  # grown downwards: the buttons may have left the screen
                keep_on_screen(self)

    # ----- provider switching ---------------------------------------------------------------

    @property
    def provider(self) -> str:
        return str(self.providerCombo.currentData())

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
        self.providerCombo.blockSignals(True)
        self.providerCombo.setCurrentIndex(max(0, self.providerCombo.findData(provider)))
        self.providerCombo.blockSignals(False)
        self.modelCombo.clear()
        self.modelCombo.addItems(list(SUGGESTED_MODELS.get(provider, ())))
        self.modelCombo.setCurrentText(settings.model)
        self.baseUrlEdit.setText(settings.base_url)
        self.temperatureSpin.setValue(settings.temperature)
        self.maxTokensSpin.setValue(settings.max_output_tokens)
        self.timeoutSpin.setValue(int(settings.request_timeout_s))
        local = provider == OPENAI_COMPATIBLE
        self.presetButton.setVisible(local)
        self.baseUrlEdit.setPlaceholderText(DEFAULT_BASE_URLS[provider] if local
                                            else f"{DEFAULT_BASE_URLS[provider]} (default)")
        offline = provider == OFFLINE
        self.urlHintLabel.setText(
            "The offline engine quotes your documents and builds the report from them: no model, "
            "key or network. Test Connection checks nothing but that." if offline else
            "Where the server answers chat completions, usually ending in /v1. Use Presets for "
            "common local servers." if local else
            "Leave empty for the default (China). Outside China use "
            "https://dashscope-intl.aliyuncs.com/api/v1.")
        for field_ in (self.modelCombo, self.baseUrlEdit, self.apiKeyEdit, self.temperatureSpin,
                       self.maxTokensSpin, self.timeoutSpin):
            field_.setEnabled(not offline)
        self.webSearchOption.show_for(provider)
        self.apiKeyEdit.clear()
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
        self.keyStatusLabel.setText(_esc(CHECKING_KEYCHAIN))
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
                    _esc(f"Could not check the keychain ({type(exc).__name__})."))
            return
        if shiboken6.isValid(self):  # the dialog may have been deleted meanwhile
            self._apply_key_state(state, removed=forget)

    def key_state_known(self) -> bool:
        """False while the keychain is being asked where the key is."""
        return self._key_task is None or self._key_task.done()

    def _apply_key_state(self, state: KeyState, removed: bool = False) -> None:
        if state.provider != self.provider:  # an answer about a provider no longer shown
            return
        env_var = self._settings.key_env_var
        optional = "" if self._settings.needs_key else " Local servers usually need none."
        texts = {
            KeyLocation.ENVIRONMENT: f"Using the key from the {env_var} environment variable; it "
                                     "takes precedence over a key saved here.",
            KeyLocation.KEYCHAIN: "A key is stored in the system keychain. Type a new one to replace it.",
            KeyLocation.SESSION: "A key is kept for this session only. Type a new one to replace it.",
            KeyLocation.FILE: f"A key is stored in {state.key_file} (readable only by you). "
                              "Type a new one to replace it.",
            KeyLocation.NONE: f"No key is stored.{optional}",
        }
        self.keyStatusLabel.setText(_esc(texts[state.location]))
        if removed:
            self._show_result("The stored key was removed.", ok=True)
        self.apiKeyEdit.setPlaceholderText("Paste a new key to replace the stored one"
                                           if state.location is not KeyLocation.NONE else "Paste your API key")
        self.forgetKeyButton.setEnabled(self._save_task is None and state.removable)
        keychain = state.keychain
        self.keyStorageBox.setVisible(not keychain.available)
        if not keychain.available:
            self.noKeychainLabel.setText(
                f"<b>No system keychain is available</b>: {_esc(keychain.reason)} "
                "Where should a key you enter here be kept?")
            # Reopen on the choice that holds the key: a replacement goes to the same place.
            radio = self.keyFileRadio if state.fallback is KeyLocation.FILE else self.sessionOnlyRadio
            radio.setChecked(True)
        # The key's status note may wrap to more lines than before: grow rather than squash.
        QTimer.singleShot(0, self._fit_height)
        self._key_state = state

    def key_storage_choice(self) -> KeyLocation | None:
        """Where the person chose to keep a key, when the choice is offered (no keychain)."""
        if self._key_state is None or self._key_state.keychain.available:
            return None
        return KeyLocation.FILE if self.keyFileRadio.isChecked() else KeyLocation.SESSION

    # ----- reading the form -----------------------------------------------------------------

    def _form_settings(self, provider: str | None = None) -> ProviderSettings:
        return replace(self._settings, provider=provider or self.provider,
                       model=self.modelCombo.currentText().strip(),
                       base_url=self.baseUrlEdit.text().strip(),
                       temperature=round(self.temperatureSpin.value(), 2),
                       max_output_tokens=self.maxTokensSpin.value(),
                       request_timeout_s=float(self.timeoutSpin.value()),
                       web_search=self.webSearchOption.is_on(), api_key="")

    def settings(self) -> ProviderSettings:
        """The settings as the form shows them, without any key."""
        return self._form_settings()


    # ----- actions --------------------------------------------------------------------------

    def _checked_form_settings(self) -> ProviderSettings | None:
        """The form's settings, or None after saying in the dialog what to fix first."""
        settings = self._form_settings()
        problem = check_settings(settings)
        if problem is not None:
            self._show_result(f"<b>{_esc(problem.message)}</b> {_esc(problem.hint)}", ok=False)
            return None
        return settings

    def test_connection(self) -> None:
        if self._tester is None or (self._test_task is not None and not self._test_task.done()):
            return
        settings = self._checked_form_settings()
        if settings is None:
            return
        self.testButton.setEnabled(False)
        self.testButton.setText("Testing…")
        self._show_result(f"Sending a tiny request to {_esc(settings.description)}…", ok=None)
        self._test_task = asyncio.get_running_loop().create_task(
            self._run_test(settings, self.apiKeyEdit.text().strip()), name="test-connection")

    async def _run_test(self, settings: ProviderSettings, typed_key: str) -> None:
        assert self._tester is not None
        try:
            # The typed key, else the one a run would use: asked of the same service.
            text = await self._tester(await self._service.with_key(settings, typed_key))
            if not shiboken6.isValid(self):
                return
        except UserFacingError as error:
            self._show_result(f"<b>{_esc(redact(error.message))}</b><br>"
                              f"{_esc(redact(error.hint))}", ok=False)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in a provider must not leave the dialog stuck
            self._show_result(f"<b>The test failed unexpectedly ({_esc(type(exc).__name__)}).</b>",
                              ok=False)
        else:
            self._show_result(_esc(redact(text)), ok=True)
        finally:
            if shiboken6.isValid(self.testButton):  # the dialog may be gone (closed mid-test)
                self.testButton.setText("Test Co&nnection")
                self.testButton.setEnabled(True)

    def save(self) -> None:
        """Check the form, then have the service store the key and the settings off the UI
        thread; `saved` is emitted and the dialog closes only once both are written."""
        if self._save_task is not None:
            return
        settings = self._checked_form_settings()
        if settings is None:
            return
        if (team_problem := self.teamBox.problem()) is not None:
            self.pages.setCurrentIndex(self.pages.count() - 1)  # where the address is
            self.teamBox.serverUrlEdit.setFocus()
            self._finish_save(team_problem)
            return
        typed = self.apiKeyEdit.text().strip()
        choice = self.key_storage_choice()
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop: nothing else to freeze
            self.teamBox.save_now(choice)
            self._finish_save(_outcome(self._service.core.start_save(settings, typed, choice).run))
            return
        self._save = self._service.start_save(settings, typed, choice)
        self._set_saving(True)
        self._show_result("Saving… (the system keychain may ask you to unlock it)" if typed
                          else "Saving…", ok=None)
        self._save_task = loop.create_task(self._follow_save(self._save), name="save-settings")

    async def _follow_save(self, job: SaveInProgress) -> None:
        try:
            await self.teamBox.save(self.key_storage_choice())
            result = await job.result_within_patience()
            if result is None and shiboken6.isValid(self):
                self._offer_session_key()
            outcome: SaveResult | Exception = result if result is not None else await job.result()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — shown in the dialog, below
            outcome = exc
        if not shiboken6.isValid(self):  # deleted meanwhile (its window closed); the write is done
            return
        self._save_task = self._save = None
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
        if self._save_task is None or self._save is None:
            return
        job, task = self._save, self._save_task
        self._save_task = self._save = None
        task.cancel()  # its thread finishes on its own; the answer is dropped
        self._set_saving(False)
        self._finish_save(_outcome(job.keep_key_for_session))

    def _finish_save(self, outcome: SaveResult | Exception) -> None:
        if isinstance(outcome, UserFacingError):
            self._show_result(f"<b>{_esc(redact(outcome.message))}</b> {_esc(redact(outcome.hint))}",
                              ok=False)
        elif isinstance(outcome, Exception):
            self._show_result(f"<b>Saving failed unexpectedly ({_esc(type(outcome).__name__)}).</b> "
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
        return self._save_task is not None

    def _confirm_forget_key(self) -> None:
        """Removing a key cannot be undone (the app never shows it), so it asks first."""
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Stored Key",
                          f"Remove the stored {PROVIDER_CHOICES[self.provider]} API key? You will "
                          "need to paste it again to use this provider.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("confirmForgetKeyBox")
        remove = box.addButton("Remove Key", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: box.clickedButton() is remove and self._forget_key())
        box.finished.connect(box.deleteLater)
        box.open()

    def _forget_key(self) -> None:
        self._start_key_task(self.provider, forget=True)

    def _show_result(self, rich_text: str, ok: bool | None) -> None:
        self.testResultLabel.setText(rich_text)
        self._fit_height()  # a long message wraps: grow rather than squash the form
        if ok is None:
            self.testIcon.clear()
            return
        pixmap = (QStyle.StandardPixmap.SP_DialogApplyButton if ok
                  else QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.testIcon.setPixmap(self.style().standardIcon(pixmap).pixmap(18, 18))

    def result_text(self) -> str:
        return self.testResultLabel.text()

    # ----- closing --------------------------------------------------------------------------

    def reject(self) -> None:
        # Cancel, Escape and the close button all come here. Mid-save the key may be half way
        # into the keychain (an unlock prompt is up): stay until it is written or refused, so the
        # window is told about settings that were saved.
        if self._save_task is not None:
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
        if self._save_task is None:
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


def _outcome(work: Callable[[], SaveResult]) -> SaveResult | Exception:
    """Run `work`; its error as a value, shown like one from the worker thread."""
    try:
        return work()
    except Exception as exc:  # noqa: BLE001 — any failure is handed back as a value
        return exc


def _row(main: QWidget, side: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(main, 1)
    row.addWidget(side)
    return box


def _column(*widgets: QWidget) -> QWidget:
    page = QWidget()
    column = QVBoxLayout(page)
    column.setContentsMargins(0, 8, 0, 0)
    for widget in widgets:
        column.addWidget(widget)
    column.addStretch(1)
    return page


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _stacked(*widgets: QWidget) -> QWidget:
    """One form cell holding a field and the notes under it (no empty label column rows)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(4)
    for widget in widgets:
        column.addWidget(widget)
    return box


def _note_label(name: str) -> QLabel:
    label = QLabel(objectName=name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label
