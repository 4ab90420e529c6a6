"""Qwen on DashScope through llama-index-llms-dashscope, streaming asynchronously.

The adapter uses the integration's own parameters, message conversion and async streaming call
(`astream_call_with_messages`, which `DashScope.astream_chat` wraps) but iterates that stream
itself, to the end: `astream_chat` stops right after an error response, leaving the SDK's
generators suspended with their HTTP session open until garbage collection (which qasync's loop
does not hook). The timeout bounds the silence before each piece (like httpx's read timeout on
the OpenAI-compatible side), not the length of a long reply. API errors arrive as responses
whose `status_code` is not 200; this adapter turns those, and transport failures, into
`UserFacingError`s. So too what the SDK cannot read: a proxy's HTML error page (on which the SDK
itself fails with an AttributeError), malformed JSON or bytes that are not UTF-8 in the stream.

With web search on in Settings, a call made with `use_web_search` has Qwen search the web too
(`dashscope_search`) and keeps the pages it found in `last_web_sources`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Sequence
from http import HTTPStatus
from typing import Any

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers import dashscope_search, http_errors
from hitl_desktop.core.providers.base import Message, NoticeCallback, Usage, ending_notice
from hitl_desktop.core.settings import API_KEY_ENV, DASHSCOPE, ProviderSettings
from hitl_desktop.core.web_citations import WebSource, unique_pages

log = logging.getLogger(__name__)

PROVIDER_LABEL = "DashScope"
DEFAULT_BASE_URL = "https://dashscope.aliyuncs.com/api/v1"


class DashScopeChatModel:
    def __init__(self, settings: ProviderSettings) -> None:
        if not settings.api_key:
            raise UserFacingError(
                "No DashScope API key is set.",
                "Set DASHSCOPE_API_KEY, or enter a key in Settings.", ErrorKind.CONFIG)
        self._settings = settings
        self.last_usage = Usage()
        self.on_notice: NoticeCallback | None = None
        self.use_web_search = False
        self.last_web_sources: tuple[WebSource, ...] = ()
        from llama_index.llms.dashscope import DashScope

        self._llm = DashScope(
            model_name=settings.model,
            api_key=settings.api_key,
            max_tokens=settings.max_output_tokens,
            temperature=settings.temperature,
        )

    @property
    def description(self) -> str:
        return self._settings.description

    @property
    def web_search_enabled(self) -> bool:
        return self._settings.web_search

    @property
    def base_url(self) -> str:
        # The SDK reads DASHSCOPE_HTTP_BASE_URL once, at import; read it per call so it keeps working.
        return (os.environ.get("DASHSCOPE_HTTP_BASE_URL") or self._settings.base_url
                or DEFAULT_BASE_URL)

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        import aiohttp
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.dashscope.base import astream_call_with_messages
        from llama_index.llms.dashscope.utils import chat_message_to_dashscope_messages

        # What DashScope.astream_chat sends, plus our timeout and, per request, the endpoint: the
        # SDK's global base URL would let a Test Connection redirect a running stream's requests.
        parameters = {**self._llm._get_default_parameters(), "incremental_output": True,
                      "result_format": "message", "stream": True,
                      "request_timeout": _backstop(self._settings.request_timeout_s),
                      "base_address": self.base_url}
        searching = self.use_web_search and self.web_search_enabled
        if searching:
            parameters.update(dashscope_search.search_parameters())
        received: list[str] = []
        pages: list[WebSource] = []
        self.last_usage = Usage()
        self.last_web_sources = ()
        finish_reason = ""
        failure: UserFacingError | None = None
        stream = None
        try:
            stream = astream_call_with_messages(
                model=self._settings.model, api_key=self._settings.api_key, parameters=parameters,
                messages=chat_message_to_dashscope_messages(
                    [ChatMessage(role=m.role, content=m.content) for m in messages]))
            async for response in _idle_limited(stream, self._settings.request_timeout_s):
                # Read on after an error response so the SDK's request finishes in this task.
                failure = failure or self._status_error(response)
                if failure is not None:
                    continue
                self._note_usage(response)
                if searching:
                    pages.extend(dashscope_search.pages_in(response))
                finish_reason = _finish_reason(response) or finish_reason
                delta = _delta(response)
                if delta:
                    received.append(delta)
                    yield delta
        except UserFacingError:
            raise
        except asyncio.TimeoutError as exc:  # ours (silence) or the SDK's backstop: text so far is kept
            raise http_errors.timed_out(PROVIDER_LABEL, self._settings.request_timeout_s,
                                        "".join(received)) from exc
        except (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError) as exc:
            raise http_errors.tls_failed(PROVIDER_LABEL, self.base_url, str(exc)) from exc
        except aiohttp.ClientConnectorError as exc:
            raise http_errors.unreachable(PROVIDER_LABEL, self.base_url, exc.strerror or "") from exc
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
            if not received:  # nothing lost: retried like the OpenAI-compatible path does
                raise http_errors.closed_without_reply(PROVIDER_LABEL, self.base_url) from exc
            raise http_errors.stream_cut(PROVIDER_LABEL, "".join(received), type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            if received:
                raise http_errors.stream_cut(PROVIDER_LABEL, "".join(received), str(exc)) from exc
            raise http_errors.unreachable(PROVIDER_LABEL, self.base_url, str(exc)) from exc
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
            # The SDK (or our reading of its responses) choked on what the server sent.
            log.warning("DashScope's reply could not be read", exc_info=True)
            raise _unreadable(exc, "".join(received)) from exc
        finally:
            if stream is not None:
                await stream.aclose()
        if failure is not None:
            raise http_errors.broke_off(failure, "".join(received)) if received else failure
        if not received:
            raise http_errors.empty_reply(PROVIDER_LABEL)
        self.last_web_sources = unique_pages(pages)
        notice = ending_notice(finish_reason, self._settings.max_output_tokens)
        if notice is not None and self.on_notice is not None:
            self.on_notice(notice)

    def _status_error(self, raw: Any) -> UserFacingError | None:
        status = getattr(raw, "status_code", HTTPStatus.OK)
        if status == HTTPStatus.OK:
            return None
        code = getattr(raw, "code", "") or ""
        message = getattr(raw, "message", "") or ""
        if not isinstance(message, str):
            message = bytes(message).decode("utf-8", "replace") if isinstance(message, bytes | bytearray) else ""
        if code == "Unknown":  # the SDK's word for a reply it could not read as DashScope's JSON
            if http_errors.looks_like_html(message):
                return http_errors.web_page_reply(PROVIDER_LABEL, int(status), message)
            if int(status) == HTTPStatus.INTERNAL_SERVER_ERROR:  # also a 200 stream with bad JSON
                return http_errors.invalid_reply(PROVIDER_LABEL, "data that is not valid JSON")
            return http_errors.invalid_reply(PROVIDER_LABEL, f"HTTP {int(status)}", status=int(status))
        detail = f"{code}: {message}" if code and message else (code or message)
        return http_errors.error_for_status(PROVIDER_LABEL, int(status), detail,
                                            model=self._settings.model, key_env=API_KEY_ENV[DASHSCOPE])

    def _note_usage(self, raw: Any) -> None:
        usage = getattr(raw, "usage", None)
        if not usage:
            return
        # DashScope reports running totals per chunk, so the last one wins.
        self.last_usage = Usage(int(usage.get("input_tokens", 0) or 0),
                                int(usage.get("output_tokens", 0) or 0))


def _unreadable(exc: BaseException, received: str) -> UserFacingError:
    """The error for a reply the SDK could not read, saying what was wrong with it."""
    failed = _failed_response(exc)
    if failed is not None and not received:
        status, content_type = failed
        if "html" in content_type:
            return http_errors.web_page_reply(PROVIDER_LABEL, status)
        return http_errors.invalid_reply(PROVIDER_LABEL, f"HTTP {status}, {content_type or 'no type'}",
                                         status=status)
    if isinstance(exc, UnicodeDecodeError):
        what = "bytes that are not UTF-8 text"
    elif isinstance(exc, json.JSONDecodeError):
        what = "data that is not valid JSON"
    else:
        what = f"a reply the DashScope library could not read: {type(exc).__name__}"
    return http_errors.invalid_reply(PROVIDER_LABEL, what, partial=received)


def _failed_response(exc: BaseException) -> tuple[int, str] | None:
    """The HTTP status and content type of the response the SDK was reading when it failed.

    The SDK reads an error reply that is not JSON (a proxy's "502 Bad Gateway" page) with a call
    that does not exist on aiohttp's responses, so the AttributeError is all it raises; the
    response is still in the failing frame.
    """
    tb = exc.__traceback__
    while tb is not None:
        response = tb.tb_frame.f_locals.get("response")
        status = getattr(response, "status", None)
        if isinstance(status, int) and status != HTTPStatus.OK:
            return status, str(getattr(response, "content_type", "") or "")
        tb = tb.tb_next
    return None


def _delta(response: Any) -> str:
    choices = getattr(getattr(response, "output", None), "choices", None) or []
    if not choices:
        return ""
    message = choices[0]["message"]
    return message.get("content", "") or ""


def _finish_reason(response: Any) -> str:
    # DashScope sends the string "null" on every chunk but the last.
    choices = getattr(getattr(response, "output", None), "choices", None) or []
    reason = (choices[0].get("finish_reason") or "") if choices else ""
    return "" if reason == "null" else reason


def _backstop(idle_timeout_s: float) -> float:
    # The SDK's timeout bounds the whole reply; ours bounds silence (see _idle_limited), so the
    # SDK's is only a backstop that a long report must never hit.
    return max(idle_timeout_s * 12, 3600.0)


async def _idle_limited(stream: Any, timeout_s: float) -> AsyncIterator[Any]:
    """`stream`'s items, failing with asyncio.TimeoutError after `timeout_s` without one.

    The timeout cancels the pending read, which unwinds the SDK's generators (and closes their
    HTTP session) inside this task. One watchdog timer serves the whole stream, re-armed about
    once per `timeout_s`: a timeout per item leaves a timer per item behind (qasync keeps a
    cancelled timer until it would have fired: 20,000 of them, 10 MB, for one long report).
    """
    loop = asyncio.get_running_loop()
    iterator = stream.__aiter__()
    reading: asyncio.Timeout | None = None  # the read in progress, if any
    read_started = loop.time()

    def watch() -> None:
        nonlocal watchdog
        now = loop.time()
        if reading is not None and now - read_started >= timeout_s:
            reading.reschedule(now)  # expires at once: the read is cancelled, in this task
            return
        left = timeout_s - (now - read_started) if reading is not None else timeout_s
        watchdog = loop.call_later(max(left, 0.0), watch)

    watchdog = loop.call_later(timeout_s, watch)
    try:
        while True:
            try:
                # In this task: the SDK's aiohttp timers and reads stay in the task that began them.
                async with asyncio.timeout(None) as reading:
                    read_started = loop.time()
                    item = await iterator.__anext__()
            except StopAsyncIteration:
                return
            finally:
                reading = None
            yield item
    finally:
        watchdog.cancel()
