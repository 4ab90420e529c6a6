"""GenerationBox: the Settings dialog's "Generation" limits — temperature, the longest reply
and how long to wait for the model. The ranges are the ones loading a settings file clamps to
(`hitl_desktop.core.settings`), so what the box accepts is what a load keeps.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QGroupBox, QSpinBox, QWidget

from hitl_desktop.core.settings import (
    MAX_OUTPUT_TOKENS_RANGE,
    OFFLINE,
    TEMPERATURE_RANGE,
    TIMEOUT_RANGE_S,
    ProviderSettings,
)


class GenerationBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Generation", parent)
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

        limits = QFormLayout(self)
        limits.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        limits.addRow("&Temperature:", self.temperatureSpin)
        limits.addRow("Max &output tokens:", self.maxTokensSpin)
        limits.addRow("T&imeout:", self.timeoutSpin)

    def load(self, settings: ProviderSettings) -> None:
        self.temperatureSpin.setValue(settings.temperature)
        self.maxTokensSpin.setValue(settings.max_output_tokens)
        self.timeoutSpin.setValue(int(settings.request_timeout_s))
        for spin in (self.temperatureSpin, self.maxTokensSpin, self.timeoutSpin):
            spin.setEnabled(settings.provider != OFFLINE)  # the offline engine has no model to limit

    def edited(self, settings: ProviderSettings) -> ProviderSettings:
        """`settings` with the limits as the box shows them."""
        return replace(settings, temperature=round(self.temperatureSpin.value(), 2),
                       max_output_tokens=self.maxTokensSpin.value(),
                       request_timeout_s=float(self.timeoutSpin.value()))
