"""The settings service: one owner of the keys, and the rules for where a saved key goes. No Qt."""

from __future__ import annotations

import threading
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from memory_keyring import MemoryKeyring

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, KeyLocation, SecretStore
from hitl_desktop.core.settings import (
    DASHSCOPE,
    OPENAI_COMPATIBLE,
    ProviderSettings,
    load_settings,
    save_settings,
    settings_file,
)
from hitl_desktop.core.settings_service import SettingsService

KEY = "sk-service-test-key-24681357"
NEW_KEY = "sk-service-replacement-97531"
LOCAL = ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url="http://127.0.0.1:9/v1")


def no_keychain() -> SettingsService:
    keyring.set_keyring(fail.Keyring())
    return SettingsService(SecretStore(env={}), env={})


def test_a_session_only_key_reaches_every_reader_of_the_one_service() -> None:
    service = no_keychain()
    result = service.start_save(LOCAL, KEY, KeyLocation.SESSION).run()
    assert result.key_location is KeyLocation.SESSION
    # What a run and the setup notice read: the same store, so the key is there.
    assert service.current().api_key == KEY
    assert service.with_key(service.current(with_key=False)).api_key == KEY
    assert service.key_state(OPENAI_COMPATIBLE).location is KeyLocation.SESSION
    # A store the key was not given to cannot know it: that is why there is only one.
    assert load_settings(env={}).api_key == ""
    assert SettingsService(SecretStore(env={}), env={}).current().api_key == ""


def test_with_a_keychain_a_typed_key_goes_there(isolated_keyring: MemoryKeyring) -> None:
    service = SettingsService(SecretStore(env={}), env={})
    result = service.start_save(ProviderSettings(), KEY, KeyLocation.FILE).run()  # the choice is moot
    assert result.key_location is KeyLocation.KEYCHAIN
    assert isolated_keyring.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    assert not service.key_file.exists()
    assert KEY not in settings_file().read_text(encoding="utf-8")


def test_the_reopened_choice_is_where_the_key_is_and_a_replacement_stays_there() -> None:
    service = no_keychain()
    service.start_save(LOCAL, KEY, KeyLocation.FILE).run()
    state = service.key_state(OPENAI_COMPATIBLE)
    assert (state.location, state.stored, state.fallback) == (KeyLocation.FILE,) * 3
    # A replacement typed with no choice offered (Save before the lookup answered) replaces
    # the file's key in the file, instead of deleting it for a session-only one.
    assert service.start_save(LOCAL, NEW_KEY).run().key_location is KeyLocation.FILE
    assert SecretStore(env={}).lookup(OPENAI_COMPATIBLE) == (NEW_KEY, KeyLocation.FILE)


def test_no_key_stored_reopens_on_this_session_only() -> None:
    state = no_keychain().key_state(DASHSCOPE)
    assert (state.stored, state.fallback, state.removable) == (KeyLocation.NONE, KeyLocation.SESSION, False)
    assert not state.keychain.available


def test_choosing_the_other_place_without_typing_moves_the_key() -> None:
    service = no_keychain()
    service.start_save(LOCAL, KEY, KeyLocation.SESSION).run()
    assert service.start_save(LOCAL, "", KeyLocation.FILE).run().key_location is KeyLocation.FILE
    assert SecretStore(env={}).lookup(OPENAI_COMPATIBLE) == (KEY, KeyLocation.FILE)
    assert service.start_save(LOCAL, "", KeyLocation.SESSION).run().key_location is KeyLocation.SESSION
    assert service.secrets.lookup(OPENAI_COMPATIBLE) == (KEY, KeyLocation.SESSION)
    assert KEY not in service.key_file.read_text(encoding="utf-8")
    # Without a choice, or when it is already there, nothing moves.
    assert service.start_save(LOCAL).run().key_location is None
    assert service.start_save(LOCAL, "", KeyLocation.SESSION).run().key_location is None


def test_the_environment_key_is_in_use_but_the_stored_place_is_still_known() -> None:
    keyring.set_keyring(fail.Keyring())
    env = {"OPENAI_API_KEY": "sk-from-the-environment-1122"}
    service = SettingsService(SecretStore(env=env), env=env)
    service.start_save(LOCAL, KEY, KeyLocation.FILE).run()
    state = service.key_state(OPENAI_COMPATIBLE)
    assert (state.location, state.stored, state.fallback) == (
        KeyLocation.ENVIRONMENT, KeyLocation.FILE, KeyLocation.FILE)
    assert service.current().api_key == "sk-from-the-environment-1122"


def test_editable_settings_ignore_the_launch_overrides_that_runs_use() -> None:
    save_settings(ProviderSettings(model="qwen-max"))
    service = SettingsService(SecretStore(env={}), env={"HITL_DESKTOP_MODEL": "qwen-turbo"})
    assert service.current(with_key=False).model == "qwen-turbo"
    assert service.editable().model == "qwen-max"


def test_test_connection_uses_the_typed_key_else_the_stored_one() -> None:
    service = no_keychain()
    service.start_save(LOCAL, KEY, KeyLocation.SESSION).run()
    assert service.with_key(LOCAL, f"  {NEW_KEY} ").api_key == NEW_KEY
    assert service.with_key(LOCAL).api_key == KEY


def test_forgetting_removes_the_key_everywhere_the_app_keeps_it() -> None:
    service = no_keychain()
    service.start_save(LOCAL, KEY, KeyLocation.FILE).run()
    state = service.forget_key(OPENAI_COMPATIBLE)
    assert state.location is KeyLocation.NONE and not state.removable
    assert KEY not in service.key_file.read_text(encoding="utf-8")


class HangingKeyring(MemoryKeyring):
    """A keychain whose write waits until the test lets it answer (an unseen unlock prompt)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = threading.Event()
        self.answer = threading.Event()

    def set_password(self, service: str, username: str, password: str) -> None:
        self.asked.set()
        self.answer.wait(timeout=10)
        super().set_password(service, username, password)


def test_giving_up_on_a_silent_keychain_saves_now_and_keeps_the_key_for_the_session() -> None:
    backend = HangingKeyring()
    keyring.set_keyring(backend)
    service = SettingsService(SecretStore(env={}), env={})
    pending = service.start_save(ProviderSettings(model="qwen-max"), KEY)
    assert pending.stores_key
    results = []
    writer = threading.Thread(target=lambda: results.append(pending.run()))
    writer.start()
    assert backend.asked.wait(timeout=5)

    result = pending.keep_key_for_session()
    assert result.key_location is KeyLocation.SESSION
    assert load_settings(env={}, with_key=False).model == "qwen-max"
    assert service.current().api_key == KEY  # a run started now has it
    settings_file().unlink()

    backend.answer.set()  # the keychain answers late: it keeps the key, and leaves the settings be
    writer.join(timeout=5)
    assert results and results[0].key_location is KeyLocation.KEYCHAIN
    assert not settings_file().exists()
    assert service.current().api_key == KEY


def test_an_unwritable_settings_folder_is_a_plain_error(tmp_path: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    in_the_way = tmp_path / "config"
    in_the_way.write_text("a file where the folder should be", encoding="utf-8")
    service = SettingsService(SecretStore(env={}), env={}, path=in_the_way / "settings.json")
    with pytest.raises(UserFacingError) as caught:
        service.start_save(LOCAL).run()
    assert caught.value.kind is ErrorKind.IO
    assert "Could not save the settings" in caught.value.message and str(in_the_way) in caught.value.hint


def test_a_key_can_only_fall_back_to_this_session_or_the_file() -> None:
    with pytest.raises(ValueError):
        no_keychain().start_save(LOCAL, KEY, KeyLocation.KEYCHAIN)
