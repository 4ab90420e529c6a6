"""The OpenAI-compatible path end to end: OpenAILike and the openai client against a local fake server."""

from __future__ import annotations

import asyncio
import socket

import pytest
from fake_openai import CHAT_PATH, Error, FakeOpenAI, Stream

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers import Message, build_chat_model
from hitl_desktop.core.providers.connection_check import check_connection
from hitl_desktop.core.settings import OPENAI_COMPATIBLE, ProviderSettings

KEY = "sk-openai-fake-key-5566778899"


def settings_for(base_url: str, **changes: object) -> ProviderSettings:
    values: dict[str, object] = {"provider": OPENAI_COMPATIBLE, "model": "qwen2.5:7b",
                                 "base_url": base_url, "api_key": KEY}
    values.update(changes)
    return ProviderSettings(**values)  # type: ignore[arg-type]


async def collect(settings: ProviderSettings, notices: list[str] | None = None) -> str:
    model = build_chat_model(settings)
    if notices is not None:
        model.on_notice = notices.append
    return "".join([piece async for piece in model.stream_chat([Message("system", "be brief"),
                                                                 Message("user", "hello")])])


def fails(settings: ProviderSettings) -> UserFacingError:
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(collect(settings))
    assert KEY not in str(caught.value) and KEY not in caught.value.partial_output
    return caught.value


def test_streams_and_sends_what_the_settings_say(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["Hel", "lo ", "tides"])]
    settings = settings_for(fake_openai.base_url, temperature=0.7, max_output_tokens=1234)
    assert asyncio.run(collect(settings)) == "Hello tides"
    request = fake_openai.requests[0]
    assert request.path == CHAT_PATH
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert request.body["model"] == "qwen2.5:7b"
    assert request.body["stream"] is True
    assert request.body["max_tokens"] == 1234 and request.body["temperature"] == 0.7
    assert request.body["stream_options"] == {"include_usage": True}
    assert [m["role"] for m in request.body["messages"]] == ["system", "user"]


def test_usage_from_the_last_chunk_is_reported(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["a ", "b"], usage=(321, 45))]
    model = build_chat_model(settings_for(fake_openai.base_url))

    async def run() -> str:
        return "".join([p async for p in model.stream_chat([Message("user", "hi")])])

    assert asyncio.run(run()) == "a b"
    assert (model.last_usage.input_tokens, model.last_usage.output_tokens) == (321, 45)


def test_no_key_sends_a_placeholder_and_a_401_says_a_key_is_needed(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["local ", "reply"])]
    assert asyncio.run(collect(settings_for(fake_openai.base_url, api_key=""))) == "local reply"
    assert fake_openai.requests[0].headers["Authorization"] == "Bearer not-needed"

    fake_openai.replies = [Error(401, "You didn't provide an API key.", code="missing_api_key")]
    error = fails(settings_for(fake_openai.base_url, api_key=""))
    assert error.kind is ErrorKind.AUTH
    assert "needs an API key" in error.message and "Settings" in error.hint


@pytest.mark.parametrize(("reply", "kind", "words"), [
    (Error(401, f"Incorrect API key provided: {KEY}.", code="invalid_api_key"), ErrorKind.AUTH,
     "refused the API key"),
    (Error(403, "Your key may not use this model.", type="permission_error"), ErrorKind.AUTH,
     "refused the API key"),
    (Error(404, "The model `qwen2.5:7b` does not exist or you do not have access to it.",
           code="model_not_found"), ErrorKind.MODEL_NOT_FOUND, "no model named 'qwen2.5:7b'"),
    # Ollama's wording, with a 404
    (Error(404, 'model "qwen2.5:7b" not found, try pulling it first', type="api_error"),
     ErrorKind.MODEL_NOT_FOUND, "no model named 'qwen2.5:7b'"),
    (Error(429, "Rate limit reached for requests", type="requests", code="rate_limit_exceeded"),
     ErrorKind.RATE_LIMIT, "rate-limiting"),
    (Error(500, "The server had an error while processing your request.", type="server_error"),
     ErrorKind.SERVER, "server error (HTTP 500)"),
    (Error(503, "Service Unavailable", type="server_error"), ErrorKind.SERVER, "HTTP 503"),
    (Error(400, "max_tokens is too large: 999999.", type="invalid_request_error"),
     ErrorKind.CONFIG, "rejected the request (HTTP 400)"),
])
def test_error_statuses_become_clear_messages(fake_openai: FakeOpenAI, reply: Error, kind: ErrorKind,
                                              words: str) -> None:
    fake_openai.replies = [reply]
    error = fails(settings_for(fake_openai.base_url))
    assert error.kind is kind
    assert words in error.message
    assert error.hint  # always says what to do
    assert len(fake_openai.requests) == 1  # no hidden retries inside the client


@pytest.mark.parametrize(("key", "hint"), [
    ("", "This server may need an API key: enter one in Settings."),
    (KEY, "Check the API key, the model and the settings"),
])
def test_an_unexplained_400_points_at_the_key_too(fake_openai: FakeOpenAI, key: str, hint: str) -> None:
    # LiteLLM's proxy answers a request without a key like this, not with a 401.
    fake_openai.replies = [Error(400, "No connected db.", type="no_db_connection")]
    error = fails(settings_for(fake_openai.base_url, api_key=key))
    assert error.kind is ErrorKind.CONFIG
    assert "rejected the request (HTTP 400)" in error.message and "No connected db." in error.message
    assert error.hint.startswith(hint) and "temperature, max output tokens" in error.hint


def test_a_wrong_base_url_is_not_blamed_on_the_model(fake_openai: FakeOpenAI) -> None:
    error = fails(settings_for(fake_openai.base_url.removesuffix("/v1")))
    assert error.kind is ErrorKind.CONFIG
    assert "no chat API" in error.message and "/v1" in error.hint


def test_a_cut_stream_keeps_the_partial_text(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["one ", "two ", "three"], cut_after=2)]
    error = fails(settings_for(fake_openai.base_url))
    assert error.kind is ErrorKind.STREAM_CUT
    assert error.partial_output == "one two "
    assert "broke off" in error.message and "Retry" in error.hint  # no promise to keep research text


def test_a_silent_server_times_out_with_the_configured_limit(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["late"], delay_s=5)]
    error = fails(settings_for(fake_openai.base_url, request_timeout_s=0.5))
    assert error.kind is ErrorKind.TIMEOUT
    assert "0.5 seconds" in error.message and "timeout in Settings" in error.hint


def test_connection_refused_names_the_host() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    error = fails(settings_for(f"http://127.0.0.1:{port}/v1"))
    assert error.kind is ErrorKind.NETWORK
    assert f"Cannot reach the model server at 127.0.0.1:{port}" in error.message
    assert "Connection refused" in error.message


def test_an_unknown_host_names_the_host() -> None:
    # .invalid is reserved (RFC 2606): resolution fails locally, without touching the internet.
    error = fails(settings_for("http://no-such-host.invalid/v1"))
    assert error.kind is ErrorKind.NETWORK
    assert "no-such-host.invalid" in error.message


def test_tls_failure_says_the_secure_connection_failed(fake_openai: FakeOpenAI) -> None:
    # https to a plain-http server: the TLS handshake fails, as with a bad certificate.
    error = fails(settings_for(fake_openai.base_url.replace("http://", "https://")))
    assert error.kind is ErrorKind.NETWORK
    assert "secure connection failed" in error.message


@pytest.mark.parametrize(("base_url", "words"), [
    ("", "No server address"),
    ("localhost:11434/v1", "not a web address"),
])
def test_missing_or_malformed_base_url_is_a_config_error(base_url: str, words: str) -> None:
    with pytest.raises(UserFacingError) as caught:
        build_chat_model(settings_for(base_url))
    assert caught.value.kind is ErrorKind.CONFIG and words in caught.value.message


def test_a_stream_without_a_finish_reason_is_flagged(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["half a ", "sente"], finish_reason="")]
    notices: list[str] = []
    assert asyncio.run(collect(settings_for(fake_openai.base_url), notices)) == "half a sente"
    assert any("ended without the server saying it was complete" in n for n in notices)


def test_finish_reason_length_is_announced(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["cut ", "short"], finish_reason="length")]
    notices: list[str] = []
    assert asyncio.run(collect(settings_for(fake_openai.base_url, max_output_tokens=64), notices)) == "cut short"
    assert any("max output tokens limit (64)" in n for n in notices)


def test_check_connection_makes_one_tiny_call(fake_openai: FakeOpenAI) -> None:
    fake_openai.replies = [Stream(["OK"])]
    text = asyncio.run(check_connection(settings_for(fake_openai.base_url)))
    assert text.startswith("Connected: qwen2.5:7b answered in")
    assert fake_openai.requests[0].body["max_tokens"] == 32

    fake_openai.replies = [Error(401, "bad key", code="invalid_api_key")]
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(check_connection(settings_for(fake_openai.base_url)))
    assert caught.value.kind is ErrorKind.AUTH


def test_a_key_echoed_by_the_model_is_redacted_even_when_split_across_chunks(fake_openai: FakeOpenAI) -> None:
    from hitl_desktop.core.redaction import register_secret

    register_secret(KEY)
    half = len(KEY) // 2
    fake_openai.replies = [Stream(["Your key is ", KEY[:half], KEY[half:], " and an unknown ",
                                   "sk-unregistered", "KeyShape12345 too."])]
    text = asyncio.run(collect(settings_for(fake_openai.base_url)))
    assert text == "Your key is [redacted] and an unknown [redacted] too."

    fake_openai.replies = [Stream(["partial ", KEY[:half], KEY[half:], " rest"], cut_after=3)]
    error = fails(settings_for(fake_openai.base_url))
    assert error.partial_output == "partial [redacted]"

    # Chinese text streams without waiting for spaces, yet a key inside it is still caught whole.
    fake_openai.replies = [Stream(["密钥是", KEY[:half], KEY[half:], "，请保密。"])]
    assert asyncio.run(collect(settings_for(fake_openai.base_url))) == "密钥是[redacted]，请保密。"
