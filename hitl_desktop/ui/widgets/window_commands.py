"""Which of the main window's commands may be used now, from the window's state.

Before the services are attached (the first frame) only what works without them is enabled:
nothing a person can click does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hitl_desktop.ui.widgets.main_window import MainWindow

_RUN_TIP = "Start researching the topic (Ctrl+Enter)"
_SAME_TOPIC_TIP = "A run on this topic is going: change the topic to start another"


def update_commands(window: MainWindow) -> None:
    attached = window.attached
    window.settingsAction.setEnabled(attached)
    window.addDocumentsAction.setEnabled(attached)
    if not attached:
        for command in (window.runAction, window.stopAction, window.reviewAction, window.retryAction,
                        window.runButton, window.stopButton):
            command.setEnabled(False)
        window.reportActions.update_enabled(writing=False)
        return
    bridge, shown = window.bridge, window.display.shown
    # Another topic may start while runs go; the same one twice may not.
    going = window.topic.text().strip() in {bridge.topic_of(run_id) for run_id in bridge.run_ids}
    window.runAction.setEnabled(window.topic.is_valid and not going)
    window.runButton.setToolTip(_SAME_TOPIC_TIP if going else _RUN_TIP)
    window.runButton.setEnabled(window.runAction.isEnabled())
    shown_is_going = bridge.is_active(shown)
    window.stopAction.setEnabled(shown_is_going)
    window.stopButton.setEnabled(shown_is_going)
    window.reviewAction.setEnabled(window.reviewBanner.dialog is not None)
    window.retryAction.setEnabled(bridge.pending_failure(shown) is not None)
    window.reportActions.update_enabled(writing=window.runs.is_writing)
