"""Team settings: the address and the reviewer's name saved and read back, the token kept like an
API key (never in a settings file or a log), and the environment's overrides never written back.
Also: in local mode too, a decision records who made it."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from memory_keyring import MemoryKeyring
from scripted_model import ScriptedChatModel

from hitl_desktop.core.models import ProgressUpdate, ReviewDecision, ReviewRequest
from hitl_desktop.core.run_recorder import RunRecorder
from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, KeyLocation, SecretStore
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.settings import settings_file
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.store import RunStore
from hitl_desktop.core.team.settings import (
    SERVER_ENV,
    TOKEN_ENV,
    TOKEN_NAME,
    TeamSettings,
    check_server_url,
    team_file,
)

TOKEN = "team-token-0f9e8d7c6b5a"
ENV_TOKEN = "env-token-1a2b3c4d5e6f"


def every_settings_file_text() -> str:
    folder = settings_file().parent
    return "".join(path.read_text(encoding="utf-8") for path in folder.glob("*.json") if path.name != "api-keys.json")


def test_address_name_and_token_round_trip_with_the_token_in_the_keychain_only(
        isolated_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    service = SettingsService(SecretStore(env={}), env={})
    where = service.save_team(TeamSettings(server_url=" http://team.example.org:8000 ", reviewer="  Ada   Lovelace "),
                              TOKEN)
    assert where is KeyLocation.KEYCHAIN
    assert isolated_keyring.get_password(KEYCHAIN_SERVICE, TOKEN_NAME) == TOKEN

    again = SettingsService(SecretStore(env={}), env={})
    assert again.editable_team() == TeamSettings(server_url="http://team.example.org:8000", reviewer="Ada Lovelace")
    assert again.team() == TeamSettings("http://team.example.org:8000", "Ada Lovelace", TOKEN)
    assert again.team().team_mode
    assert TOKEN not in repr(again.team())
    # Written down nowhere but the keychain: not in team.json, settings.json or the log.
    assert team_file().is_file() and TOKEN not in every_settings_file_text() and TOKEN not in caplog.text
    # An empty address is local mode, the default.
    service.save_team(TeamSettings(reviewer="Ada Lovelace"))
    assert not again.team().team_mode and again.team().reviewer == "Ada Lovelace"


def test_without_a_keychain_the_token_is_kept_where_the_person_chose() -> None:
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    service = SettingsService(SecretStore(env={}), env={})
    assert service.save_team(TeamSettings(server_url="http://127.0.0.1:8000"), TOKEN, KeyLocation.SESSION) \
        is KeyLocation.SESSION
    assert service.team().token == TOKEN and service.key_state(TOKEN_NAME).location is KeyLocation.SESSION
    assert TOKEN not in every_settings_file_text()


def test_the_environment_overrides_for_one_launch_and_is_never_written_back(isolated_keyring: MemoryKeyring) -> None:
    env = {SERVER_ENV: "http://10.0.0.5:8000", TOKEN_ENV: ENV_TOKEN}
    service = SettingsService(SecretStore(env=env), env=env)
    service.save_team(TeamSettings(server_url="http://saved.example.org", reviewer="Ada"), TOKEN)
    assert service.team() == TeamSettings("http://10.0.0.5:8000", "Ada", ENV_TOKEN)
    assert service.key_state(TOKEN_NAME).location is KeyLocation.ENVIRONMENT
    # What Settings edits, and what is saved, are the person's own values.
    assert service.editable_team().server_url == "http://saved.example.org"
    service.save_team(service.editable_team())
    text = every_settings_file_text()
    assert "10.0.0.5" not in text and ENV_TOKEN not in text and TOKEN not in text
    assert isolated_keyring.get_password(KEYCHAIN_SERVICE, TOKEN_NAME) == TOKEN
    assert SettingsService(SecretStore(env={}), env={}).team() == TeamSettings("http://saved.example.org", "Ada", TOKEN)


def test_a_bad_address_is_explained_and_credentials_in_it_are_refused() -> None:
    assert check_server_url("") is None and check_server_url("https://team.example.org") is None
    assert "not a web address" in check_server_url("team.example.org").message
    refused = check_server_url("http://user:secret-pass-99@team.example.org")
    assert refused is not None and "Token field" in refused.message and "secret-pass" not in refused.message


def test_in_local_mode_a_decision_records_the_reviewer_in_the_history_and_the_provenance(tmp_path: Path) -> None:
    store = RunStore.open(tmp_path / "runs.sqlite")
    session = ResearchSession(lambda: ScriptedChatModel("notes", "the report"), recorder=RunRecorder(store))
    updates: list = []  # type: ignore[type-arg]

    def emit(update) -> None:  # type: ignore[no-untyped-def]
        updates.append(update)
        if isinstance(update, ReviewRequest):
            assert session.submit_decision(ReviewDecision(round=1, approved=True, reviewer="Ada Lovelace"))

    report = asyncio.run(session.run("tides", emit))
    assert [(r.round, r.reviewer) for r in report.provenance.rounds] == [(1, "Ada Lovelace")]
    assert "Research round 1 approved by Ada Lovelace" in [u.message for u in updates if isinstance(u, ProgressUpdate)]
    stored = store.get(store.list_runs()[0].id)
    assert [d.reviewer for d in stored.decisions] == ["Ada Lovelace"]
    assert any("approved by Ada Lovelace" in line.message for line in stored.progress)
    store.close()


def test_the_workflow_takes_one_answer_per_review_and_names_who_gave_it() -> None:
    from hitl_desktop.core.workflow.events import DecisionIgnoredEvent, ResearchReadyEvent, ReviewDecisionEvent
    from hitl_desktop.core.workflow.research import ResearchWorkflow

    async def scenario():  # type: ignore[no-untyped-def]
        model = ScriptedChatModel("notes", "the report")
        handler = ResearchWorkflow(lambda: model).run(topic="tides")
        seen = []
        async for event in handler.stream_events():
            seen.append(event)
            if isinstance(event, ResearchReadyEvent):
                for reviewer, approved in (("Ada", True), ("Grace", False)):  # both at once
                    handler.ctx.send_event(ReviewDecisionEvent(round=1, approved=approved, feedback="more",
                                                               review_id=event.review_id, reviewer=reviewer))
        return await handler, seen, model

    result, seen, model = asyncio.run(scenario())
    ignored = [e for e in seen if isinstance(e, DecisionIgnoredEvent)]
    ready = next(e for e in seen if isinstance(e, ResearchReadyEvent))
    assert [(e.round, e.review_id, e.decided_by) for e in ignored] == [(1, ready.review_id, "Ada")]
    assert result.rounds == 1 and len(model.calls) == 2  # one research, one report: "sent back" never counted
