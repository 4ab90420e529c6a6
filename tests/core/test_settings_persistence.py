"""Settings on disk: non-secret fields only, remembered per provider, malformed files survived."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from hitl_desktop.core.errors import ErrorKind
from hitl_desktop.core.settings import (
    DASHSCOPE,
    OPENAI_COMPATIBLE,
    ProviderSettings,
    check_settings,
    for_provider,
    load_settings,
    save_settings,
    settings_file,
)


def test_round_trip_and_per_provider_memory() -> None:
    local = ProviderSettings(provider=OPENAI_COMPATIBLE, model="llama3.1:8b",
                             base_url="http://localhost:11434/v1", temperature=0.9,
                             max_output_tokens=2048, request_timeout_s=120.0)
    save_settings(local)
    save_settings(replace(for_provider(local, DASHSCOPE), model="qwen-max"))
    loaded = load_settings(env={})
    assert (loaded.provider, loaded.model, loaded.temperature) == (DASHSCOPE, "qwen-max", 0.9)
    back = for_provider(loaded, OPENAI_COMPATIBLE)
    assert (back.model, back.base_url) == ("llama3.1:8b", "http://localhost:11434/v1")


def test_environment_provider_uses_that_providers_remembered_model() -> None:
    save_settings(ProviderSettings(provider=OPENAI_COMPATIBLE, model="phi4", base_url="http://127.0.0.1:1234/v1"))
    save_settings(ProviderSettings(provider=DASHSCOPE, model="qwen-turbo"))
    loaded = load_settings(env={"HITL_DESKTOP_PROVIDER": OPENAI_COMPATIBLE, "OPENAI_API_KEY": "sk-env-key-000111222"})
    assert (loaded.model, loaded.base_url, loaded.api_key) == ("phi4", "http://127.0.0.1:1234/v1",
                                                               "sk-env-key-000111222")
    assert "sk-env-key" not in settings_file().read_text()


def test_a_key_written_into_the_settings_file_by_hand_is_ignored() -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(json.dumps({"provider": DASHSCOPE, "api_key": "sk-hand-written-key-0000"}))
    assert load_settings(env={}).api_key == ""


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", json.dumps({"temperature": "hot",
                                                                          "max_output_tokens": None,
                                                                          "provider": "nonsense"})])
def test_malformed_files_fall_back_to_defaults(content: str) -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(content)
    loaded = load_settings(env={})
    assert loaded.provider == DASHSCOPE and loaded.temperature == 0.3 and loaded.max_output_tokens == 4096


def test_out_of_range_values_are_clamped() -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(json.dumps({"temperature": 9, "max_output_tokens": 1, "request_timeout_s": 0}))
    loaded = load_settings(env={})
    assert (loaded.temperature, loaded.max_output_tokens, loaded.request_timeout_s) == (2.0, 16, 5.0)


@pytest.mark.parametrize(("settings", "words"), [
    (ProviderSettings(model=" "), "Enter a model name"),
    (ProviderSettings(provider=OPENAI_COMPATIBLE, model="m"), "base URL"),
    (ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url="localhost:11434"), "not a web address"),
])
def test_check_settings_says_what_to_fix(settings: ProviderSettings, words: str) -> None:
    problem = check_settings(settings)
    assert problem is not None and words in problem.message and problem.hint
    assert problem.kind in (ErrorKind.BAD_INPUT, ErrorKind.CONFIG)


def test_good_settings_pass_the_check() -> None:
    assert check_settings(ProviderSettings()) is None
    assert check_settings(ProviderSettings(provider=OPENAI_COMPATIBLE, model="m",
                                           base_url="https://dashscope-intl.aliyuncs.com/compatible-mode/v1")) is None


def test_hand_damaged_settings_files_fall_back_instead_of_crashing(tmp_path: Path) -> None:
    import json

    from hitl_desktop.core.settings import (
        OPENAI_COMPATIBLE,
        ProviderSettings,
        for_provider,
        load_settings,
        save_settings,
    )

    target = tmp_path / "settings.json"
    for damage in ({"profiles": ["x"]}, {"profiles": {"openai_compatible": "oops"}},
                   {"model": None, "temperature": float("nan")},
                   {"max_output_tokens": float("inf"), "request_timeout_s": float("-inf")}):
        target.write_text(json.dumps(damage), encoding="utf-8")
        settings = load_settings(env={"HITL_DESKTOP_PROVIDER": OPENAI_COMPATIBLE}, path=target, with_key=False)
        assert settings.provider == OPENAI_COMPATIBLE and settings.model == "qwen2.5:7b"
        assert for_provider(ProviderSettings(), OPENAI_COMPATIBLE, damage).model == "qwen2.5:7b"
        save_settings(settings, target)  # and the next save repairs the file
        assert json.loads(target.read_text(encoding="utf-8"))["profiles"][OPENAI_COMPATIBLE]["model"] == "qwen2.5:7b"
    target.write_text(json.dumps({"model": None, "temperature": float("nan"), "max_output_tokens": 1e999}),
                      encoding="utf-8")
    settings = load_settings(env={}, path=target, with_key=False)
    defaults = ProviderSettings()  # a value that is not a number is ignored, like any malformed one
    assert settings.model == "qwen-plus" and settings.temperature == defaults.temperature
    assert settings.max_output_tokens == defaults.max_output_tokens


def test_credentials_in_a_base_url_are_never_shown(tmp_path: Path) -> None:
    from hitl_desktop.core.providers.http_errors import error_for_status, unreachable
    from hitl_desktop.core.redaction import redact
    from hitl_desktop.core.settings import load_settings

    url = "https://bob:s3cr3t-pass@gw.example:8443/v1?api-key=querykey12345"
    token_url = "https://tok-0123456789abcdef@gw.example/v1"  # a token in the user-name place
    (tmp_path / "settings.json").write_text(
        '{"provider": "openai_compatible", "base_url": "%s"}' % url, encoding="utf-8")
    load_settings(env={}, path=tmp_path / "settings.json", with_key=False)
    (tmp_path / "settings.json").write_text(
        '{"provider": "openai_compatible", "base_url": "%s"}' % token_url, encoding="utf-8")
    load_settings(env={}, path=tmp_path / "settings.json", with_key=False)
    assert "tok-0123456789abcdef" not in redact(f"HTTP Request: POST {token_url}/chat/completions")
    texts = [str(unreachable("the server", url, "refused")),
             str(error_for_status("the server", 404, "not found", endpoint=url + "/chat/completions"))]
    for text in texts:
        assert "gw.example:8443" in text
        assert "s3cr3t-pass" not in text and "querykey12345" not in text and "bob" not in text
    assert "s3cr3t-pass" not in redact(f"log line with {url}")


def test_web_search_is_off_by_default_saved_when_turned_on_and_overridden_by_the_environment() -> None:
    assert load_settings(env={}).web_search is False
    save_settings(ProviderSettings(provider=DASHSCOPE, web_search=True))
    assert json.loads(settings_file().read_text())["web_search"] is True
    assert load_settings(env={}).web_search is True
    assert load_settings(env={"HITL_DESKTOP_WEB_SEARCH": "0"}).web_search is False
    save_settings(ProviderSettings(provider=DASHSCOPE, web_search=False))
    assert load_settings(env={"HITL_DESKTOP_WEB_SEARCH": "on"}).web_search is True
    assert load_settings(env={"HITL_DESKTOP_WEB_SEARCH": "maybe"}).web_search is False  # ignored


def test_a_web_search_switch_written_as_text_is_ignored_not_read_as_true() -> None:
    settings_file().parent.mkdir(parents=True, exist_ok=True)
    settings_file().write_text(json.dumps({"provider": DASHSCOPE, "web_search": "false"}))
    assert load_settings(env={}).web_search is False
