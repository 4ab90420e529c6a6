"""ReviewDialog: the human reads (and may edit) a round of research, then approves or sends it back."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QKeySequence, QShortcut, QShowEvent, QTextCursor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from hitl_desktop.core.models import ReviewDecision, ReviewRequest
from hitl_desktop.core.text_safety import clean_text
from hitl_desktop.ui.widgets.placement import centre_on_parent
from hitl_desktop.ui.widgets.round_diff import RoundDiff
from hitl_desktop.ui.widgets.safe_markdown import SafeTextBrowser
from hitl_desktop.ui.widgets.source_triage import DROP, PIN, SourceTriage

_TOPIC_PREVIEW_CHARS = 160
_DRAFT_DELAY_MS = 500
_TITLE_TOPIC_CHARS = 50


class ReviewDialog(QDialog):
    """Emits `decided` once with the reviewer's decision. Closing it without deciding decides nothing."""

    decided = Signal(object)  # ReviewDecision
    draftChanged = Signal(str, str)  # edited notes ("" if unedited), feedback: the unsent answer

    def __init__(self, request: ReviewRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.request = request
        self._decision_sent = False
        self._placed = False
        self.setObjectName("reviewDialog")
        # Titled with its topic: with several runs going, each run has a dialog of its own.
        title = " ".join(request.topic.split())
        title = title if len(title) <= _TITLE_TOPIC_CHARS else title[:_TITLE_TOPIC_CHARS - 1].rstrip() + "…"
        self.setWindowTitle(f"Review Research — Round {request.round} — {title}")
        self.setSizeGripEnabled(True)
        # Roomy for reading, but never larger than the screen (a small laptop at 150 %).
        room = self.screen().availableGeometry()
        self.resize(min(820, room.width() * 9 // 10), min(680, room.height() * 9 // 10))
        self._build()
        # The reviewer's draft from before the app last quit, if any: nothing typed is lost.
        notes = request.draft_notes if request.draft_notes is not None else request.notes
        self.researchView.setPlainText(notes)
        # Rendered once shown: rendered now, into a view with no width yet, the notes would all
        # be laid out again as the dialog opens (30 ms of a 60,000-character round, in one go).
        self._notes_to_render: str | None = notes
        self.feedbackInput.setPlainText(request.draft_feedback)
        self.researchView.textChanged.connect(self._update_state)
        self.feedbackInput.textChanged.connect(self._update_state)
        # Saved a moment after typing stops, so a crash loses at most about a second of it.
        self._draft_timer = QTimer(self, singleShot=True, interval=_DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(lambda: self.draftChanged.emit(
            self.researchView.toPlainText() if self.edited_notes() is not None else "",
            self.feedbackInput.toPlainText()))
        self.researchView.textChanged.connect(self._draft_timer.start)
        self.feedbackInput.textChanged.connect(self._draft_timer.start)
        self._update_state()

    def _build(self) -> None:
        topic = self.request.topic
        if len(topic) > _TOPIC_PREVIEW_CHARS:
            topic = topic[:_TOPIC_PREVIEW_CHARS].rstrip() + "…"
        header = QLabel(f"<b>Round {self.request.round}</b> &nbsp;·&nbsp; {html.escape(topic)}")
        header.setWordWrap(True)
        header.setTextFormat(Qt.TextFormat.RichText)

        notes_label = QLabel("&Research notes — read them here; edit the Markdown on the Edit tab "
                             "(Ctrl+E). The report is written from what you leave here.")
        notes_label.setWordWrap(True)
        self.researchPreview = SafeTextBrowser(self)
        self.researchPreview.setObjectName("researchPreview")
        self.researchPreview.setAccessibleName("Research notes")
        # The source itself is edited: a rich-text editor would rewrite the whole Markdown on
        # the way back (escaped characters, re-wrapped lines, links swallowing typed text).
        self.researchView = QPlainTextEdit(self)
        self.researchView.setObjectName("researchView")
        self.researchView.setAccessibleName("Research notes, Markdown source")
        self.researchView.setTabChangesFocus(True)
        # Markdown source lines up (tables, lists, code) only in the system's fixed-width font.
        self.researchView.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.notesTabs = QTabWidget(self)
        self.notesTabs.setObjectName("notesTabs")
        self.notesTabs.addTab(self.researchPreview, "Read")
        self.notesTabs.addTab(self.researchView, "Edit Markdown")
        self.sourceTriage = SourceTriage(self.request.citations, self)
        documents = len({c.source for c in self.request.citations})
        self.notesTabs.addTab(self.sourceTriage, f"Sources ({documents})")
        if self.request.previous_notes is not None:  # what changed since the notes sent back
            self.roundDiff = RoundDiff(self.request.previous_notes, self.request.notes, self)
            self.notesTabs.addTab(self.roundDiff, "Changes")
        # What the citation check found: shown before the reviewer approves, never hidden.
        self.citationProblems = QLabel(objectName="citationProblems")
        self.citationProblems.setWordWrap(True)
        self.citationProblems.setTextFormat(Qt.TextFormat.RichText)
        problems = self.request.citation_problems
        self.citationProblems.setText(
            f"<b>{len(problems)} citation problem{'s' if len(problems) != 1 else ''}</b> — check before "
            "approving:<br>" + "<br>".join(f"• {html.escape(problem)}" for problem in problems))
        self.citationProblems.setStyleSheet("#citationProblems { border: 1px solid #c0392b; border-radius: 4px;"
                                            " padding: 6px; background: palette(alternate-base); }")
        self.citationProblems.setVisible(bool(problems))
        self.notesTabs.currentChanged.connect(self._refresh_preview)
        notes_label.setBuddy(self.notesTabs)
        toggle = QShortcut(QKeySequence("Ctrl+E"), self)
        toggle.activated.connect(lambda: self.notesTabs.setCurrentIndex(
            1 if self.notesTabs.currentWidget() is not self.researchView else 0))

        self.revertButton = QPushButton("Re&vert Edits", self)
        self.revertButton.setObjectName("revertButton")
        self.revertButton.setAutoDefault(False)
        self.revertButton.clicked.connect(self._revert_edits)

        feedback_label = QLabel("&Feedback — what the next round should change (needed to send it back), "
                                "or, with Approve, what the report should do:")
        feedback_label.setWordWrap(True)
        self.feedbackInput = QPlainTextEdit(self)
        self.feedbackInput.setObjectName("feedbackInput")
        self.feedbackInput.setPlaceholderText(
            "e.g. Too general: focus on cost per MWh and name the sites.")
        self.feedbackInput.setTabChangesFocus(True)
        self.feedbackInput.setFixedHeight(self.feedbackInput.fontMetrics().lineSpacing() * 4 + 16)
        feedback_label.setBuddy(self.feedbackInput)

        self.rejectButton = QPushButton("Send &Back for More Research", self)
        self.rejectButton.setObjectName("rejectButton")
        self.rejectButton.setAutoDefault(False)
        self.rejectButton.clicked.connect(self._send_back)
        self.approveButton = QPushButton("&Approve and Write Report", self)
        self.approveButton.setObjectName("approveButton")
        # Not the default button: Enter while reading must not start the report (which cannot be
        # taken back). Ctrl+Enter approves, as it runs in the main window.
        self.approveButton.setAutoDefault(False)
        self.approveButton.setToolTip("Ctrl+Enter")
        self.approveButton.clicked.connect(self._approve)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.approveButton.click)

        buttons = QDialogButtonBox(self)
        buttons.addButton(self.rejectButton, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.approveButton, QDialogButtonBox.ButtonRole.AcceptRole)
        later = buttons.addButton("Decide &Later", QDialogButtonBox.ButtonRole.RejectRole)
        later.setToolTip("Close this window; the run waits, and “Review research” reopens it.")
        later.setAutoDefault(False)
        buttons.rejected.connect(self.reject)

        edit_row = QHBoxLayout()
        edit_row.addWidget(notes_label, 1)
        edit_row.addWidget(self.revertButton)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(header)
        layout.addWidget(self.citationProblems)
        layout.addLayout(edit_row)
        layout.addWidget(self.notesTabs, 1)
        layout.addWidget(feedback_label)
        layout.addWidget(self.feedbackInput)
        layout.addWidget(buttons)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        # QDialogButtonBox makes its first accept button the default when shown; Approve must
        # not be (Enter while reading would start the report), so undo that every time.
        self.approveButton.setDefault(False)
        if not self._placed:  # once: reopened, it stays where the reviewer put it
            self._placed = True
            centre_on_parent(self)
        if self._notes_to_render is not None:
            self.researchPreview.set_safe_markdown(self._notes_to_render)
            self._notes_to_render = None

    @property
    def decision_sent(self) -> bool:
        return self._decision_sent

    def edited_notes(self) -> str | None:
        current = self.researchView.toPlainText()
        return None if current.strip() == self.request.notes.strip() else current.strip()

    def _refresh_preview(self, index: int) -> None:
        if self.notesTabs.widget(index) is self.researchPreview:
            bar = self.researchPreview.verticalScrollBar()
            where = bar.value()  # back from editing, the reader stays where they were
            self._notes_to_render = None
            self.researchPreview.set_safe_markdown(self.researchView.toPlainText())
            bar.setValue(where)

    def _update_state(self) -> None:
        open_for_decision = not self._decision_sent
        self.revertButton.setEnabled(open_for_decision and self.edited_notes() is not None)
        self.rejectButton.setEnabled(open_for_decision and bool(self.feedbackInput.toPlainText().strip()))
        has_notes = bool(self.researchView.toPlainText().strip())  # a report needs something to go on
        self.approveButton.setEnabled(open_for_decision and has_notes)
        self.approveButton.setToolTip("Ctrl+Enter" if has_notes else "The notes are empty: revert your "
                                      "edits, or write the notes the report should be based on.")

    def _revert_edits(self) -> None:
        cursor = self.researchView.textCursor()  # through the cursor, so Ctrl+Z brings edits back
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.insertText(self.request.notes)
        self._refresh_preview(self.notesTabs.currentIndex())

    def _approve(self) -> None:
        self._decide(ReviewDecision(round=self.request.round, approved=True,
                                    feedback=clean_text(self.feedbackInput.toPlainText()).strip(),
                                    edited_notes=self._clean_edits(), **self._triage()))

    def _send_back(self) -> None:
        feedback = clean_text(self.feedbackInput.toPlainText()).strip()
        if not feedback:
            self.feedbackInput.setFocus()
            return
        self._decide(ReviewDecision(round=self.request.round, approved=False, feedback=feedback,
                                    edited_notes=self._clean_edits(), **self._triage()))

    def _clean_edits(self) -> str | None:
        edited = self.edited_notes()
        return clean_text(edited) if edited is not None else None

    def _triage(self) -> dict[str, tuple[str, ...]]:
        # Sources are files and pages the app named itself: nothing typed to clean here.
        return {"dropped_sources": self.sourceTriage.sources_with(DROP),
                "pinned_sources": self.sourceTriage.sources_with(PIN)}

    def _decide(self, decision: ReviewDecision) -> None:
        if self._decision_sent:  # a double click, or a click queued behind the first
            return
        self._decision_sent = True
        self._update_state()
        self.decided.emit(decision)
        self.accept()
