"""The DashScope path end to end: the real SDK and integration against a local fake server."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from fake_dashscope import GENERATION_PATH, TEST_KEY, Error, FakeDashScope, Stream

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers import Message, build_chat_model
from hitl_desktop.core.settings import load_settings


async def collect(fake: FakeDashScope, notices: list[str] | None = None) -> str:
    model = build_chat_model(load_settings())
    if notices is not None:
        model.on_notice = notices.append
    return "".join([piece async for piece in model.stream_chat([Message("user", "hello")])])


def test_streams_through_the_real_sdk(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["Hel", "lo ", "tides"])]
    assert asyncio.run(collect(fake_dashscope)) == "Hello tides"
    request = fake_dashscope.requests[0]
    assert request.path == GENERATION_PATH
    assert request.headers["Authorization"] == f"Bearer {TEST_KEY}"
    assert request.headers["X-DashScope-SSE"] == "enable"
    assert request.body["model"] == "qwen-plus"
    # Real output limits, not the integration's default of 256 tokens.
    assert request.body["parameters"]["max_tokens"] == 4096
    assert request.body["parameters"]["incremental_output"] is True


@pytest.mark.parametrize(("status", "code", "kind", "words"), [
    (401, "InvalidApiKey", ErrorKind.AUTH, "refused the API key"),
    (429, "Throttling.RateQuota", ErrorKind.RATE_LIMIT, "rate-limiting"),
    (500, "InternalError", ErrorKind.SERVER, "server error"),
    (404, "ModelNotFound", ErrorKind.MODEL_NOT_FOUND, "no model named 'qwen-plus'"),
])
def test_error_statuses_become_clear_messages(fake_dashscope: FakeDashScope, status: int, code: str,
                                              kind: ErrorKind, words: str) -> None:
    fake_dashscope.replies = [Error(status, code, "details from the server")]
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(collect(fake_dashscope))
    assert caught.value.kind is kind
    assert words in caught.value.message
    assert code in caught.value.message  # the server's own code helps when asking for support
    assert TEST_KEY not in str(caught.value)


def test_a_cut_stream_keeps_the_partial_text(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["one ", "two ", "three"], cut_after=2)]
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(collect(fake_dashscope))
    assert caught.value.kind is ErrorKind.STREAM_CUT
    assert caught.value.partial_output == "one two "


@pytest.mark.parametrize(("finish_reason", "notice"), [
    ("length", "max output tokens limit (4,096)"),
    ("", "ended without the server saying it was complete"),
])
def test_a_reply_that_may_be_incomplete_is_flagged(fake_dashscope: FakeDashScope, finish_reason: str,
                                                   notice: str) -> None:
    fake_dashscope.replies = [Stream(["The report stops mid", "-sentence"], finish_reason=finish_reason)]
    notices: list[str] = []
    assert asyncio.run(collect(fake_dashscope, notices)) == "The report stops mid-sentence"
    assert any(notice in n for n in notices), notices


def test_a_complete_reply_raises_no_flag(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["All ", "done."])]
    notices: list[str] = []
    asyncio.run(collect(fake_dashscope, notices))
    assert not [n for n in notices if "cut short" in n]


def test_a_reply_that_stalls_keeps_its_text_and_says_so(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["The first ", "part", " never comes"], delay_s=2.0, stall_after=2)]
    settings = replace(load_settings(), request_timeout_s=0.5)  # below Settings' range: a fast test

    async def run() -> None:
        async for _piece in build_chat_model(settings).stream_chat([Message("user", "hi")]):
            pass

    with pytest.raises(UserFacingError) as caught:
        asyncio.run(run())
    fake_dashscope.release.set()
    assert caught.value.kind is ErrorKind.TIMEOUT
    assert "stopped sending after 14 characters" in caught.value.message
    assert caught.value.partial_output == "The first part"


def test_chinese_text_streams_as_it_arrives(fake_dashscope: FakeDashScope) -> None:
    # No spaces to wait for: each piece is shown when it arrives, not held back as one "word".
    pieces = ["潮汐能", "是一种", "可预测的", "可再生能源。"]
    fake_dashscope.replies = [Stream(pieces)]

    async def shown() -> list[str]:
        model = build_chat_model(load_settings())
        return [piece async for piece in model.stream_chat([Message("user", "潮汐能")])]

    assert asyncio.run(shown()) == pieces


def test_unreachable_server_names_the_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", TEST_KEY)
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", "http://127.0.0.1:9/api/v1")  # discard port: refused
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(collect(FakeDashScope()))
    assert caught.value.kind is ErrorKind.NETWORK
    assert "127.0.0.1:9" in caught.value.message


def test_missing_key_says_what_to_set() -> None:
    with pytest.raises(UserFacingError) as caught:
        build_chat_model(load_settings())
    assert caught.value.kind is ErrorKind.CONFIG
    assert "DASHSCOPE_API_KEY" in caught.value.hint


def test_each_model_talks_to_its_own_endpoint_even_concurrently(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's base URL is process-wide; a Test Connection must not redirect a running stream."""
    from dataclasses import replace

    from fake_dashscope import FakeDashScopeServer

    from hitl_desktop.core.settings import ProviderSettings

    monkeypatch.delenv("DASHSCOPE_HTTP_BASE_URL", raising=False)
    with FakeDashScopeServer() as first, FakeDashScopeServer() as second:
        first.fake.default = Stream(["one ", "two"], delay_s=0.05)
        second.fake.default = Stream(["three"])
        base = ProviderSettings(api_key=TEST_KEY)
        models = [build_chat_model(replace(base, base_url=server.base_url)) for server in (first, second)]

        async def both() -> list[str]:
            async def collect_from(model) -> str:  # type: ignore[no-untyped-def]
                return "".join([p async for p in model.stream_chat([Message("user", "hi")])])
            return list(await asyncio.gather(*(collect_from(m) for m in models)))

        assert asyncio.run(both()) == ["one two", "three"]
        assert len(first.fake.requests) == 1 and len(second.fake.requests) == 1


PAGES = [
    {"index": 1, "title": "Tidal power — Wikipedia", "url": "https://en.wikipedia.org/wiki/Tidal_power",
     "site_name": "Wikipedia", "icon": "https://en.wikipedia.org/favicon.ico"},
    {"index": 2, "title": "MeyGen", "url": "https://www.saltire.example/meygen", "site_name": "Saltire",
     "icon": ""},
    # The same page listed again under another number: one source, both numbers kept.
    {"index": 3, "title": "Tidal power — Wikipedia", "url": "https://en.wikipedia.org/wiki/Tidal_power",
     "site_name": "Wikipedia", "icon": ""},
    # Not a web address: nothing a report could link to, so it is no source.
    {"index": 4, "title": "Local", "url": "javascript:alert(1)", "site_name": "", "icon": ""},
]


def searching_model(web_search: bool, *, use: bool = True):  # type: ignore[no-untyped-def]
    model = build_chat_model(replace(load_settings(), web_search=web_search))
    model.use_web_search = use
    return model


async def reply_of(model) -> str:  # type: ignore[no-untyped-def]
    return "".join([piece async for piece in model.stream_chat([Message("user", "tidal power")])])


def test_web_search_is_asked_for_with_its_sources_and_our_citation_markers(
        fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["Tides [ref_1]."], search_results=PAGES)]
    model = searching_model(web_search=True)
    assert model.web_search_enabled
    asyncio.run(reply_of(model))
    parameters = fake_dashscope.requests[0].body["parameters"]
    assert parameters["enable_search"] is True
    assert parameters["search_options"] == {"enable_source": True, "enable_citation": True,
                                            "citation_format": "[ref_<number>]", "forced_search": True}


@pytest.mark.parametrize(("web_search", "use"), [(False, True), (True, False), (False, False)])
def test_no_search_is_asked_for_unless_the_setting_is_on_and_the_call_wants_one(
        fake_dashscope: FakeDashScope, web_search: bool, use: bool) -> None:
    fake_dashscope.replies = [Stream(["Tides."], search_results=PAGES)]
    model = searching_model(web_search, use=use)
    asyncio.run(reply_of(model))
    parameters = fake_dashscope.requests[0].body["parameters"]
    assert "enable_search" not in parameters and "search_options" not in parameters
    assert model.last_web_sources == ()


@pytest.mark.parametrize("chunks_with_pages", [(1,), (3,), (1, 2, 3)])
def test_the_pages_found_are_kept_once_each_wherever_in_the_stream_they_come(
        fake_dashscope: FakeDashScope, chunks_with_pages: tuple[int, ...]) -> None:
    fake_dashscope.replies = [Stream(["Tides ", "[ref_1] ", "[ref_2]."], search_results=PAGES,
                                     search_results_in=chunks_with_pages)]
    model = searching_model(web_search=True)
    assert asyncio.run(reply_of(model)) == "Tides [ref_1] [ref_2]."
    assert [(p.url, p.title, p.site, p.indexes) for p in model.last_web_sources] == [
        ("https://en.wikipedia.org/wiki/Tidal_power", "Tidal power — Wikipedia", "Wikipedia", (1, 3)),
        ("https://www.saltire.example/meygen", "MeyGen", "Saltire", (2,)),
    ]


def test_each_call_starts_with_no_pages(fake_dashscope: FakeDashScope) -> None:
    fake_dashscope.replies = [Stream(["Tides."], search_results=PAGES), Stream(["More."])]
    model = searching_model(web_search=True)
    asyncio.run(reply_of(model))
    assert model.last_web_sources
    asyncio.run(reply_of(model))
    assert model.last_web_sources == ()


def test_other_providers_never_search_the_web() -> None:
    from hitl_desktop.core.providers.offline import OfflineEngine
    from hitl_desktop.core.settings import OPENAI_COMPATIBLE, ProviderSettings

    compatible = build_chat_model(ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", web_search=True,
                                                   base_url="http://127.0.0.1:9/v1"))
    for model in (compatible, OfflineEngine()):
        assert not model.web_search_enabled and model.last_web_sources == ()
