"""Automatic retries with backoff and jitter, over real HTTP against both fake servers.

The policy's sleep is injected (recorded, not slept), so the tests are fast but every attempt
is a real request the fake server answers.
"""

from __future__ import annotations

import asyncio
import socket
import time

import fake_dashscope as ds
import fake_openai as oa
import pytest

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers import Message, Usage, build_chat_model
from hitl_desktop.core.providers.retry import RetryPolicy
from hitl_desktop.core.settings import OPENAI_COMPATIBLE, ProviderSettings, load_settings


class Recorder:
    """A RetryPolicy whose waits are recorded instead of slept, with fixed 'random' jitter."""

    def __init__(self, jitter: float = 0.5, attempts: int = 4) -> None:
        self.slept: list[float] = []
        self.notices: list[str] = []
        self.policy = RetryPolicy(attempts=attempts, base_delay_s=1.0, max_delay_s=30.0,
                                  sleep=self._sleep, jitter=lambda: jitter)

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def run(self, settings: ProviderSettings) -> str:
        model = build_chat_model(settings, self.policy)
        model.on_notice = self.notices.append

        async def go() -> str:
            return "".join([p async for p in model.stream_chat([Message("user", "hi")])])

        return asyncio.run(go())


def openai_settings(base_url: str) -> ProviderSettings:
    return ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url=base_url)


def test_429_then_5xx_then_success_on_openai_compatible(fake_openai: oa.FakeOpenAI) -> None:
    fake_openai.replies = [oa.Error(429, "Rate limit reached", code="rate_limit_exceeded"),
                           oa.Error(503, "overloaded", type="server_error"),
                           oa.Stream(["fine ", "now"], usage=(10, 2))]
    recorder = Recorder(jitter=0.5)
    assert recorder.run(openai_settings(fake_openai.base_url)) == "fine now"
    assert len(fake_openai.requests) == 3
    # Exponential steps of 1 s and 2 s, each with equal jitter: half fixed plus jitter × half.
    assert recorder.slept == [0.75, 1.5]
    assert "rate-limiting" in recorder.notices[0] and "(attempt 2 of 4)" in recorder.notices[0]
    assert "HTTP 503" in recorder.notices[1] and "(attempt 3 of 4)" in recorder.notices[1]
    assert recorder.notices[-1] == "Model usage: 10 tokens in, 2 out"


def test_retry_after_from_the_server_is_honoured(fake_openai: oa.FakeOpenAI) -> None:
    fake_openai.replies = [oa.Error(429, "slow down", headers={"retry-after": "7"}), oa.Stream(["ok"])]
    recorder = Recorder(jitter=0.0)
    assert recorder.run(openai_settings(fake_openai.base_url)) == "ok"
    assert recorder.slept == [7.0]


def test_rate_limit_that_never_lifts_gives_a_clear_final_message(fake_openai: oa.FakeOpenAI) -> None:
    fake_openai.default = oa.Error(429, "Rate limit reached")
    recorder = Recorder(jitter=1.0)
    with pytest.raises(UserFacingError) as caught:
        recorder.run(openai_settings(fake_openai.base_url))
    assert caught.value.kind is ErrorKind.RATE_LIMIT
    assert "Tried 4 times" in caught.value.message and "quota" in caught.value.hint
    assert len(fake_openai.requests) == 4
    assert recorder.slept == [1.0, 2.0, 4.0]  # full jitter: the whole exponential step
    assert [n.split("(attempt ")[1] for n in recorder.notices] == ["2 of 4)…", "3 of 4)…", "4 of 4)…"]


def test_waits_are_capped() -> None:
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=5.0, jitter=lambda: 1.0)
    error = UserFacingError("x", kind=ErrorKind.SERVER)
    assert [policy.delay_before(n, error) for n in range(1, 7)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]


@pytest.mark.parametrize("reply", [oa.Error(401, "bad key", code="invalid_api_key"),
                                   oa.Error(404, "model `m` does not exist", code="model_not_found"),
                                   oa.Error(400, "bad request")])
def test_errors_a_retry_cannot_fix_are_not_retried(fake_openai: oa.FakeOpenAI, reply: oa.Error) -> None:
    fake_openai.default = reply
    recorder = Recorder()
    with pytest.raises(UserFacingError):
        recorder.run(openai_settings(fake_openai.base_url))
    assert len(fake_openai.requests) == 1 and recorder.slept == [] and recorder.notices == []


def test_a_stream_cut_after_text_is_not_retried(fake_openai: oa.FakeOpenAI) -> None:
    # Retrying would repeat text already shown; the partial text is kept instead.
    fake_openai.default = oa.Stream(["one ", "two ", "three"], cut_after=1)
    recorder = Recorder()
    with pytest.raises(UserFacingError) as caught:
        recorder.run(openai_settings(fake_openai.base_url))
    assert caught.value.kind is ErrorKind.STREAM_CUT and caught.value.partial_output == "one "
    assert len(fake_openai.requests) == 1


def test_the_last_word_before_a_cut_is_shown_not_swallowed(fake_openai: oa.FakeOpenAI) -> None:
    # The redactor holds the word being written until it ends; a cut must not drop it.
    fake_openai.default = oa.Stream(["Sources: ", "https://www.emec.org.uk/tidal-sites", " and more"],
                                    cut_after=2)
    model = build_chat_model(openai_settings(fake_openai.base_url), Recorder().policy)
    shown: list[str] = []

    async def go() -> None:
        async for piece in model.stream_chat([Message("user", "hi")]):
            shown.append(piece)

    with pytest.raises(UserFacingError) as caught:
        asyncio.run(go())
    assert "".join(shown) == "Sources: https://www.emec.org.uk/tidal-sites" == caught.value.partial_output


def test_an_unreachable_server_is_retried_then_named() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder(attempts=3)
    with pytest.raises(UserFacingError) as caught:
        recorder.run(openai_settings(f"http://127.0.0.1:{port}/v1"))
    assert caught.value.kind is ErrorKind.NETWORK
    assert f"127.0.0.1:{port}" in caught.value.message and "Tried 3 times" in caught.value.message
    assert len(recorder.slept) == 2


def test_dashscope_429_and_500_are_retried_then_succeed(fake_dashscope: ds.FakeDashScope) -> None:
    fake_dashscope.replies = [ds.Error(429, "Throttling.RateQuota", "Requests rate limit exceeded"),
                              ds.Error(500, "InternalError", "oops"),
                              ds.Stream(["Qwen ", "answers"])]
    recorder = Recorder(jitter=0.0)
    assert recorder.run(load_settings()) == "Qwen answers"
    assert len(fake_dashscope.requests) == 3
    assert recorder.slept == [0.5, 1.0]
    assert "DashScope is rate-limiting" in recorder.notices[0]
    assert "DashScope had a server error (HTTP 500)" in recorder.notices[1]
    assert recorder.notices[-1].startswith("Model usage:")


def test_dashscope_unknown_model_as_the_real_service_says_it(fake_dashscope: ds.FakeDashScope) -> None:
    # DashScope answers an unknown model with HTTP 400 InvalidParameter "Model not exist."
    fake_dashscope.default = ds.Error(400, "InvalidParameter", "Model not exist.")
    recorder = Recorder()
    with pytest.raises(UserFacingError) as caught:
        recorder.run(load_settings())
    assert caught.value.kind is ErrorKind.MODEL_NOT_FOUND
    assert "no model named 'qwen-plus'" in caught.value.message
    assert len(fake_dashscope.requests) == 1


def test_timeouts_bound_silence_not_the_length_of_a_reply(fake_dashscope: ds.FakeDashScope,
                                                          fake_openai: oa.FakeOpenAI) -> None:
    from dataclasses import replace

    # Five pieces 0.3 s apart: 1.5 s in all, never silent for 1 s. Both providers finish.
    fake_dashscope.replies = [ds.Stream(["a ", "b ", "c ", "d ", "e"], delay_s=0.3)]
    fake_openai.replies = [oa.Stream(["a ", "b ", "c ", "d ", "e"], delay_s=0.3)]
    assert Recorder().run(replace(load_settings(), request_timeout_s=1.0)) == "a b c d e"
    assert Recorder().run(replace(openai_settings(fake_openai.base_url), request_timeout_s=1.0)) == "a b c d e"

    # A server silent for longer than the timeout fails clearly, and a timeout is not retried.
    fake_dashscope.default = ds.Stream(["late"], delay_s=3)
    recorder = Recorder()
    with pytest.raises(UserFacingError) as caught:
        recorder.run(replace(load_settings(), request_timeout_s=0.5))
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "DashScope did not answer within 0.5 seconds" in caught.value.message
    assert recorder.slept == []


class _ReadyStream:
    """A model whose whole reply is already buffered: its stream never has to wait for data."""

    description = "ready"

    def __init__(self, pieces: int, busy_s: float) -> None:
        self.on_notice = None
        self.last_usage = Usage()
        self._pieces, self._busy_s = pieces, busy_s

    async def stream_chat(self, messages):  # type: ignore[no-untyped-def]
        for number in range(self._pieces):
            time.sleep(self._busy_s)  # the work of handling one piece, without ever awaiting
            yield f"w{number} "


def test_a_stream_that_never_waits_still_lets_the_loop_run_other_tasks() -> None:
    """A fast server fills the client's buffer, so reading it never suspends; the window shares
    the loop, so the stream must hand it over now and then (here: well before its end)."""
    from hitl_desktop.core.providers.retry import RetryingChatModel

    order: list[str] = []

    async def other_task() -> None:
        order.append("other")

    async def go() -> None:
        model = RetryingChatModel(_ReadyStream(pieces=40, busy_s=0.002))
        other = asyncio.get_running_loop().create_task(other_task())
        async for piece in model.stream_chat([Message("user", "hi")]):
            order.append(piece)
        await other

    asyncio.run(go())
    assert "other" in order[:-10], order  # it ran while the stream was still going
