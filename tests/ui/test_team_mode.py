"""The desktop window as a client of the real team server (`python -m hitl_desktop.server` on
127.0.0.1, SQLite store, a token; its model a fake OpenAI-compatible server): a run typed,
reviewed and approved in the window, the Team queue tab listing the server's runs, from which
a reviewer opens the review of a run someone else started, and Resume now after the server was
killed mid-step."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, FakeOpenAIServer, Stream
from PySide6.QtCore import Qt
from team_server import TeamServer, model_requests, running, server_for
from window_driver import progress_lines, start_run, wait_for_review

from hitl_desktop.core.models import ReviewRequest
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.team.client import TeamClient
from hitl_desktop.core.team.session import TeamSession
from hitl_desktop.core.team.settings import SERVER_ENV, TOKEN_ENV, TeamSettings
from hitl_desktop.ui import MainWindow


TOKEN = "team-token-7f3a9c2e41"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TeamServer]:
    """The module's server; each reply of its model is six numbered words, word0 … word5."""
    folder = tmp_path_factory.mktemp("team-gui")
    with FakeOpenAIServer() as model:
        model.fake.default = Stream([f"word{index} " for index in range(6)])
        with running(server_for(model.fake, folder / "home", str(folder / "team.sqlite3"), TOKEN)) as started:
            yield started


@pytest.fixture
def make_team_window(qtbot, qloop, tmp_path: Path):  # type: ignore[no-untyped-def]
    """make_team_window(server): the window in team mode, the server and token from the
    environment as for one launch, "Your name" saved in Settings; wound down afterwards."""
    windows: list[MainWindow] = []

    def make(server: TeamServer) -> MainWindow:
        env = {SERVER_ENV: server.base_url, TOKEN_ENV: TOKEN}
        folder = tmp_path / f"desk-{len(windows)}"
        service = SettingsService(SecretStore(env=env, file_path=folder / "keys.json"), env=env,
                                  path=folder / "config" / "settings.json")
        service.save_team(TeamSettings(reviewer="Ada Lovelace"))
        window = MainWindow(settings=service)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.bridge.stop()
        qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=10_000)  # noqa: B023
        window.sidePanes.show_team(False)
        closing = asyncio.ensure_future(window.bridge.close_team_queue())
        qtbot.waitUntil(closing.done, timeout=10_000)


@pytest.fixture
def team_window(make_team_window, server: TeamServer) -> MainWindow:  # type: ignore[no-untyped-def]
    return make_team_window(server)


def test_a_run_typed_in_the_window_runs_on_the_team_server_and_its_report_streams_back(
        qtbot, team_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = team_window
    assert window.bridge.team_mode
    # Runs are listed where a reviewer looks for them: the Team queue has the History's place,
    # and the History, of runs made on this desk only, says so.
    tabs = window.sidePanes
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["Progress", "Sources", "Team queue", "Local history"]
    assert tabs.widget(2) is window.teamQueue and tabs.widget(3) is window.history
    # The server's model runs, with the server's keys: nothing to set up on this desk.
    assert window.providerLabel.text() == f"Team server · {window.bridge._team_settings().display_url}"
    assert not window.setupBanner.isVisibleTo(window)
    start_run(qtbot, window, "offshore wind in the Baltic")

    dialog = wait_for_review(qtbot, window, 1)
    assert dialog.researchView.toPlainText().split()[:3] == ["word0", "word1", "word2"]
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None, timeout=20_000)
    assert window.reportView.toPlainText().split() == [f"word{i}" for i in range(6)]
    progress = [window.progressList.item(i).text() for i in range(window.progressList.count())]
    assert any("Research round 1 approved by Ada Lovelace" in line for line in progress)
    assert [(r.round, r.reviewer) for r in window.report.provenance.rounds] == [(1, "Ada Lovelace")]
    # The Team queue lists it, done, by its topic.
    qtbot.waitUntil(lambda: any(row.startswith("offshore wind in the Baltic\ndone") for row in rows(window)),
                    timeout=20_000)


def test_the_team_queue_lists_a_run_someone_else_started_and_its_review_opens_here(
        qtbot, qloop, team_window: MainWindow, server: TeamServer) -> None:  # type: ignore[no-untyped-def]
    window = team_window
    # Grace starts a run from her own desk; it waits for a review.
    waiting = asyncio.Event()
    grace = TeamSession(lambda: TeamClient(TeamSettings(server_url=server.base_url, token=TOKEN)), reviewer="Grace")
    hers = asyncio.ensure_future(grace.run("tidal lagoons in Wales",
                                           lambda u: isinstance(u, ReviewRequest) and waiting.set()))
    qtbot.waitUntil(waiting.is_set, timeout=20_000)
    window.teamQueue.refreshButton.click()
    qtbot.waitUntil(lambda: "tidal lagoons in Wales\nwaiting for review (round 1)" in
                    [row.split(" · ")[0] for row in rows(window)], timeout=20_000)

    row = next(i for i, text in enumerate(rows(window)) if text.startswith("tidal lagoons in Wales"))
    item = window.teamQueue.list.item(row)
    qtbot.mouseClick(window.teamQueue.list.viewport(), Qt.MouseButton.LeftButton,
                     pos=window.teamQueue.list.visualItemRect(item).center())
    dialog = wait_for_review(qtbot, window, 1)
    assert dialog.request.topic == "tidal lagoons in Wales"
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None and hers.done(), timeout=20_000)
    report = hers.result()
    assert window.report.markdown == report.markdown
    assert any("approved by Ada Lovelace" in window.progressList.item(i).text()
               for i in range(window.progressList.count()))
    qtbot.waitUntil(lambda: any(text.startswith("tidal lagoons in Wales\ndone") for text in rows(window)),
                    timeout=20_000)


def rows(window: MainWindow) -> list[str]:
    listed = window.teamQueue.list
    return [listed.item(i).text() for i in range(listed.count())]


def test_resume_now_takes_up_at_once_a_run_whose_server_was_killed_mid_step(
        qtbot, make_team_window, fake_openai, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The server dies while the model writes the research and is started again: the run waits
    out the server's ~30 s grace, the problem bar says so, and Resume now runs the step again."""
    fake_openai.replies = [Stream([f"slow{index} " for index in range(400)], delay_s=0.05)]
    fake_openai.default = Stream([f"word{index} " for index in range(6)])
    with running(server_for(fake_openai, tmp_path / "home", str(tmp_path / "team.sqlite3"), TOKEN)) as server:
        window = make_team_window(server)
        start_run(qtbot, window, "tidal stream turbines")
        qtbot.waitUntil(lambda: window.display.research_chars(window.shown_run) > 0, timeout=30_000)

        restart = threading.Thread(target=kill_and_restart, args=(server, fake_openai))
        restart.start()
        qtbot.waitUntil(lambda: not restart.is_alive(), timeout=120_000)
        qtbot.waitUntil(lambda: window.messageBar.action("Resume now") is not None, timeout=30_000)
        assert window.messageBar.isVisibleTo(window)
        assert "resuming this run" in window.messageBar.message() and "30 s" in window.messageBar.message()

        qtbot.mouseClick(window.messageBar.action("Resume now"), Qt.MouseButton.LeftButton)
        assert not window.messageBar.isVisibleTo(window)
        dialog = wait_for_review(qtbot, window, 1)
        assert dialog.researchView.toPlainText().split() == [f"word{i}" for i in range(6)]
        qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.report is not None, timeout=30_000)

    assert any(line.endswith("Asked the team server to resume the run now") for line in progress_lines(window))
    assert model_requests(fake_openai) == (2, 1)  # the interrupted research once more, then the report


def kill_and_restart(server: TeamServer, fake: FakeOpenAI) -> None:
    """SIGKILL mid-step, and the same server (address, store) started again."""
    server.stop(signal.SIGKILL)
    fake.release.set()  # the dead connection's remaining words go out without delay
    server.start()
