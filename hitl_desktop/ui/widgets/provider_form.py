"""ProviderForm: the Settings dialog's "Provider and model" box — provider, model, base URL
(with presets for common local servers) and the write-only API key field with its notes.

It shows settings and reads back what was edited; which provider's settings to show, and the
key lookups and removals behind the key note, are the dialog's business
(`hitl_desktop.ui.widgets.settings_dialog`). The key field never shows a stored key, only says
where one is kept.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QToolButton,
    QWidget,
)

from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings import (
    DASHSCOPE,
    DEFAULT_BASE_URLS,
    OFFLINE,
    OPENAI_COMPATIBLE,
    PROVIDERS,
    SUGGESTED_MODELS,
    ProviderSettings,
)
from hitl_desktop.core.settings_service import KeyState
from hitl_desktop.ui.widgets.form_cells import esc, note_label, row, stacked
from hitl_desktop.ui.widgets.key_storage_box import KeyStorageBox

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


class ProviderForm(QGroupBox):
    forgetKeyConfirmed = Signal()  # the person confirmed removing the shown provider's stored key

    def __init__(self, key_file: Path, parent: QWidget | None = None) -> None:
        super().__init__("Provider and model", parent)
        self.providerCombo = QComboBox(objectName="providerCombo")
        for provider in PROVIDERS:
            self.providerCombo.addItem(PROVIDER_CHOICES[provider], provider)

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
        url_row = row(self.baseUrlEdit, self.presetButton)

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
        key_row = row(self.apiKeyEdit, self.forgetKeyButton)
        self.keyStatusLabel = note_label("keyStatusLabel")
        self.keyStorageBox = KeyStorageBox(key_file)
        self.urlHintLabel = note_label("urlHintLabel")

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Provider:", self.providerCombo)
        form.addRow("&Model:", self.modelCombo)
        url_label = QLabel("&Base URL:")
        url_label.setBuddy(self.baseUrlEdit)
        form.addRow(url_label, stacked(url_row, self.urlHintLabel))
        key_label = QLabel("API &key:")
        key_label.setBuddy(self.apiKeyEdit)
        form.addRow(key_label, stacked(key_row, self.keyStatusLabel, self.keyStorageBox))

    @property
    def provider(self) -> str:
        return str(self.providerCombo.currentData())

    def load(self, settings: ProviderSettings) -> None:
        """Show `settings`' provider, model and base URL, with the hints for that provider."""
        provider = settings.provider
        self.providerCombo.blockSignals(True)  # showing a provider is not choosing one
        self.providerCombo.setCurrentIndex(max(0, self.providerCombo.findData(provider)))
        self.providerCombo.blockSignals(False)
        self.modelCombo.clear()
        self.modelCombo.addItems(list(SUGGESTED_MODELS.get(provider, ())))
        self.modelCombo.setCurrentText(settings.model)
        self.baseUrlEdit.setText(settings.base_url)
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
        for field_ in (self.modelCombo, self.baseUrlEdit, self.apiKeyEdit):
            field_.setEnabled(not offline)
        self.apiKeyEdit.clear()

    def edited(self, settings: ProviderSettings) -> ProviderSettings:
        """`settings` with the model and base URL as the form shows them."""
        return replace(settings, model=self.modelCombo.currentText().strip(),
                       base_url=self.baseUrlEdit.text().strip())

    def typed_key(self) -> str:
        return self.apiKeyEdit.text().strip()

    def show_checking_key(self) -> None:
        self.keyStatusLabel.setText(esc(CHECKING_KEYCHAIN))

    def show_key_state(self, state: KeyState, settings: ProviderSettings) -> None:
        """Say where `settings`' provider's key is kept, and offer a place for one if there is
        no keychain."""
        env_var = settings.key_env_var
        optional = "" if settings.needs_key else " Local servers usually need none."
        texts = {
            KeyLocation.ENVIRONMENT: f"Using the key from the {env_var} environment variable; it "
                                     "takes precedence over a key saved here.",
            KeyLocation.KEYCHAIN: "A key is stored in the system keychain. Type a new one to replace it.",
            KeyLocation.SESSION: "A key is kept for this session only. Type a new one to replace it.",
            KeyLocation.FILE: f"A key is stored in {state.key_file} (readable only by you). "
                              "Type a new one to replace it.",
            KeyLocation.NONE: f"No key is stored.{optional}",
        }
        self.keyStatusLabel.setText(esc(texts[state.location]))
        self.apiKeyEdit.setPlaceholderText("Paste a new key to replace the stored one"
                                           if state.location is not KeyLocation.NONE else "Paste your API key")
        self.keyStorageBox.show_keychain(state)

    def _confirm_forget_key(self) -> None:
        """Removing a key cannot be undone (the app never shows it), so it asks first."""
        box = QMessageBox(QMessageBox.Icon.Question, "Remove Stored Key",
                          f"Remove the stored {PROVIDER_CHOICES[self.provider]} API key? You will "
                          "need to paste it again to use this provider.",
                          QMessageBox.StandardButton.Cancel, self.window())
        box.setObjectName("confirmForgetKeyBox")
        remove = box.addButton("Remove Key", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda _result: box.clickedButton() is remove and self.forgetKeyConfirmed.emit())
        box.finished.connect(box.deleteLater)
        box.open()
