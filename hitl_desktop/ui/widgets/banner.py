"""Banner: a strip across the window with an icon, a sentence and the buttons that act on it.

The window has three: the problem bar (`messageBar`: what failed and what fixes it), the setup
banner (what the app needs before a first run) and the review banner (a round is waiting). A
banner never blocks like a modal box; it stays until what it reports is resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.ui.widgets.qt_enums import set_enum

BannerAction = tuple[str, Callable[[], None]]
_PROBLEM_BORDER = "#c0392b"
# Failures fixed in Settings: a refused key, a missing model, a wrong address, too short a timeout.
_FIXED_IN_SETTINGS = (ErrorKind.AUTH, ErrorKind.CONFIG, ErrorKind.MODEL_NOT_FOUND, ErrorKind.NETWORK,
                      ErrorKind.TIMEOUT)


class Banner(QFrame):
    """`name` is the objectName; its text label is `<prefix>Text`. A problem banner has a red
    border and a warning icon, is announced to screen readers and can be dismissed."""

    def __init__(self, name: str, prefix: str, *, problem: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._prefix = prefix
        self._problem = problem
        border = _PROBLEM_BORDER if problem else "palette(highlight)"
        self.setStyleSheet(f"#{name} {{ background: palette(alternate-base); border: 1px solid {border};"
                           " border-radius: 4px; }")
        self._icon = QLabel(self)  # its picture is set when the banner is first shown (setVisible)
        self.textLabel = QLabel(self, objectName=f"{prefix}Text")
        self.textLabel.setWordWrap(True)
        set_enum(self.textLabel, "textFormat", "RichText")
        set_enum(self.textLabel, "textInteractionFlags", "TextSelectableByMouse")
        self.actionButtons: list[QPushButton] = []  # the current message's own buttons
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        set_enum(self._icon, "alignment", "AlignLeft|AlignTop")  # beside the first line of a long text
        self._layout.addWidget(self._icon)
        self._layout.addWidget(self.textLabel, 1)
        self._fixed: list[QPushButton] = []  # buttons every message of this banner has
        if problem:
            self.add_button("Dismiss", f"{prefix}Dismiss", self.hide)
        self.hide()

    def setVisible(self, visible: bool) -> None:  # noqa: N802 (Qt override)
        # The icon comes from the style: using QStyle from Python makes PySide create its class
        # and enums (7-11 ms), which the first frame, where every banner is hidden, does without.
        if visible and self._icon.pixmap().isNull():
            from PySide6.QtWidgets import QStyle

            icon = QStyle.StandardPixmap.SP_MessageBoxWarning if self._problem else \
                QStyle.StandardPixmap.SP_MessageBoxInformation
            self._icon.setPixmap(self.style().standardIcon(icon).pixmap(20, 20))
        super().setVisible(visible)

    def add_button(self, text: str, name: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text, self, objectName=name)
        button.clicked.connect(slot)
        self._layout.addWidget(button)
        self._fixed.append(button)
        return button

    def show_message(self, message: str, hint: str = "", actions: Sequence[BannerAction] = ()) -> None:
        import html  # with its entity tables: not needed for the first frame, which shows no banner

        from PySide6.QtGui import QAccessible, QAccessibleEvent

        text = f"<b>{html.escape(message, quote=False)}</b>" if self._problem else html.escape(message, quote=False)
        if hint:
            text += f"<br>{html.escape(hint, quote=False)}"
        self.textLabel.setText(text)
        self._set_actions(actions)
        self.show()
        if self._problem:
            # Screen readers announce it as an alert; the keyboard lands on the action that fixes it.
            self.setAccessibleDescription(f"{message} {hint}".strip())
            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))
            if self.actionButtons:
                from PySide6.QtCore import Qt  # not before the first frame: see qt_enums

                self.actionButtons[-1].setFocus(Qt.FocusReason.OtherFocusReason)

    def message(self) -> str:
        return self.textLabel.text()

    def action(self, text: str) -> QPushButton | None:
        return next((b for b in self.actionButtons if b.text().replace("&", "") == text), None)

    def _set_actions(self, actions: Sequence[BannerAction]) -> None:
        for button in self.actionButtons:
            button.deleteLater()
        self.actionButtons = []
        first_fixed = self._layout.indexOf(self._fixed[0]) if self._fixed else self._layout.count()
        for index, (text, callback) in enumerate(actions):
            button = QPushButton(text, self, objectName=f"{self._prefix}Action{index}")
            # No automatic hide: an action like "Open Settings…" leaves the problem standing, and
            # the bar must stay until the action that resolves it (Retry, Run Again) hides it.
            button.clicked.connect(callback)
            self._layout.insertWidget(first_fixed + index, button)
            self.actionButtons.append(button)
        self._order_tab_stops()

    def _order_tab_stops(self) -> None:
        """Tab visits the buttons as they appear, left to right; new buttons would otherwise join
        the end of the window's focus chain."""
        chain = [*self.actionButtons, *self._fixed]
        if not chain:
            return
        before = chain[0].previousInFocusChain()
        while before in chain:
            before = before.previousInFocusChain()
        for earlier, later in zip([before, *chain], chain, strict=False):
            QWidget.setTabOrder(earlier, later)


class ProblemBar(Banner):
    """What failed, why, and the buttons that fix it (Retry, Open Settings…, Run Again).

    `open_settings` is offered for failures fixed in Settings, unless `settings_offered()` says
    another banner already offers it."""

    def __init__(self, open_settings: Callable[[], None], settings_offered: Callable[[], bool],
                 parent: QWidget | None = None) -> None:
        super().__init__("messageBar", "message", problem=True, parent=parent)
        self.setAccessibleName("Problem")
        self._open_settings = open_settings
        self._settings_offered = settings_offered
        self._showing_step_failure = False

    def show_error(self, message: str, hint: str = "", actions: Sequence[BannerAction] = ()) -> None:
        self._showing_step_failure = False
        self.show_message(message, hint, actions)

    def show_user_error(self, error: UserFacingError) -> None:
        self.show_error(error.message, error.hint)

    def show_step_failure(self, error: UserFacingError, retry: Callable[[], None]) -> None:
        """A model call failed and the run waits: Retry goes on where it stopped."""
        self.show_error(error.message,
                        f"{error.hint} Retry continues the run where it stopped; Stop ends it.".strip(),
                        self._settings_action(error) + [("Retr&y", retry)])
        self._showing_step_failure = True

    def show_run_failure(self, error: UserFacingError, run_again: Callable[[], None]) -> None:
        """The run has ended in a failure."""
        self.show_error(error.message, error.hint, self._settings_action(error) or [("Run &Again", run_again)])

    def clear_step_failure(self) -> None:
        """The failed step was retried or its run ended: its Retry would act on nothing."""
        if self._showing_step_failure:
            self.hide()
            self._showing_step_failure = False

    def _settings_action(self, error: UserFacingError) -> list[BannerAction]:
        if error.kind not in _FIXED_IN_SETTINGS or self._settings_offered():
            return []  # e.g. the setup banner's own Open Settings… is right above: one is enough
        # Its own mnemonic, Alt+G: the setup banner's Alt+S may be in the window too.
        return [("Open Settin&gs…", self._open_settings)]


class SetupBanner(Banner):
    """One sentence saying what the app needs before a first run, and a way to give it."""

    openSettings = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("setupBanner", "setup", parent=parent)
        self.settingsButton = self.add_button("Open &Settings…", "setupSettingsButton", self.openSettings.emit)

    def show_need(self, sentence: str) -> None:
        """Show `sentence`, or hide the banner when it is empty (nothing is missing)."""
        self.show_message(sentence)
        self.setVisible(bool(sentence))
