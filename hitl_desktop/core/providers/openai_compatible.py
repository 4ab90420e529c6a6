"""Any OpenAI-compatible chat endpoint (Ollama, LM Studio, vLLM, llama.cpp, DashScope's
compatible mode…) through llama-index-llms-openai-like, streaming with `astream_chat`.

The OpenAI client's own retries are off (`max_retries=0`): RetryingChatModel does them, visibly.
The timeout is httpx's read timeout, so it bounds the silence before and between pieces of a
reply, not the length of a long report. A reply the client cannot read (a proxy's HTML page,
malformed JSON, bytes that are not UTF-8) is said as such, in the words the DashScope path uses.
"""

from __future__ import annotations

import json
import logging
import os
import ssl
from collections.abc import AsyncIterator, Sequence
from typing import Any

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers import http_errors
from hitl_desktop.core.providers.base import Message, NoticeCallback, Usage, ending_notice
from hitl_desktop.core.settings import API_KEY_ENV, OPENAI_COMPATIBLE, ProviderSettings
from hitl_desktop.core.web_citations import WebSource

log = logging.getLogger(__name__)

PROVIDER_LABEL = "the model server"
CONNECT_TIMEOUT_S = 20.0
# The OpenAI client insists on a key; local servers ignore whatever is sent.
_PLACEHOLDER_KEY = "not-needed"


class OpenAICompatibleChatModel:
    def __init__(self, settings: ProviderSettings) -> None:
        base_url = settings.base_url.strip().rstrip("/")
        if not base_url:
            raise UserFacingError(
                "No server address is set for the OpenAI-compatible provider.",
                "Enter the base URL in Settings, e.g. http://localhost:11434/v1 for Ollama.",
                ErrorKind.CONFIG)
        if not base_url.startswith(("http://", "https://")):
            raise UserFacingError(
                f"The server address '{base_url}' is not a web address.",
                "Enter it in Settings starting with http:// or https://.", ErrorKind.CONFIG)
        if not settings.model.strip():
            raise UserFacingError("No model is set.", "Enter the model's name in Settings.",
                                  ErrorKind.CONFIG)
        self._settings = settings
        self._base_url = base_url
        self.last_usage = Usage()
        self.on_notice: NoticeCallback | None = None
        # No web search: this server returns no sources to cite (see ChatModel).
        self.web_search_enabled = False
        self.use_web_search = False
        self.last_web_sources: tuple[WebSource, ...] = ()

    @property
    def description(self) -> str:
        return self._settings.description

    @property
    def base_url(self) -> str:
        return self._base_url

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        import httpx
        import openai
        from llama_index.core.llms import ChatMessage

        received: list[str] = []
        self.last_usage = Usage()
        finish_reason = ""
        timeout = self._settings.request_timeout_s
        http_client = httpx.AsyncClient(timeout=httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_S)))
        stream = None
        try:
            stream = await self._llm(http_client).astream_chat(
                [ChatMessage(role=m.role, content=m.content) for m in messages])
            async for chunk in stream:
                self._note_usage(chunk.raw)
                finish_reason = _finish_reason(chunk.raw) or finish_reason
                if chunk.delta:
                    received.append(chunk.delta)
                    yield chunk.delta
        except UserFacingError:
            raise
        except openai.APIStatusError as exc:
            raise self._status_error(exc) from exc
        except openai.APITimeoutError as exc:
            if isinstance(exc.__cause__, httpx.ConnectTimeout):
                raise http_errors.unreachable(PROVIDER_LABEL, self._base_url, "no answer to connect") from exc
            raise self._cut_or(received, http_errors.timed_out(PROVIDER_LABEL, timeout)) from exc
        except openai.APIConnectionError as exc:
            raise self._connection_error(exc.__cause__ or exc) from exc
        except httpx.TimeoutException as exc:  # while reading the stream: not wrapped by openai
            raise self._cut_or(received, http_errors.timed_out(PROVIDER_LABEL, timeout)) from exc
        except (httpx.TransportError, httpx.StreamError) as exc:
            if received:
                raise http_errors.stream_cut(PROVIDER_LABEL, "".join(received), _reason(exc)) from exc
            raise self._connection_error(exc) from exc
        except openai.APIError as exc:  # an error event inside a 200 stream
            error = http_errors.error_for_status(PROVIDER_LABEL, 500, _detail(exc.body, exc.message),
                                                 model=self._settings.model, endpoint=self._base_url)
            raise self._cut_or(received, error) from exc
        except (AttributeError, KeyError, IndexError, TypeError, ValueError) as exc:
            # The client (or the integration) choked on what the server sent in the stream.
            log.warning("The model server's reply could not be read", exc_info=True)
            raise http_errors.invalid_reply(PROVIDER_LABEL, _unreadable(exc),
                                            partial="".join(received)) from exc
        finally:
            # Close in this task, in order, so nothing is left for garbage collection to finish.
            if stream is not None:
                await stream.aclose()
            await http_client.aclose()
        if not received:
            raise http_errors.empty_reply(PROVIDER_LABEL)
        notice = ending_notice(finish_reason, self._settings.max_output_tokens)
        if notice is not None and self.on_notice is not None:
            self.on_notice(notice)

    def _llm(self, http_client: Any) -> Any:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=self._settings.model,
            api_base=self._base_url,
            api_key=self._settings.api_key or _PLACEHOLDER_KEY,
            is_chat_model=True,
            temperature=self._settings.temperature,
            max_tokens=self._settings.max_output_tokens,
            timeout=self._settings.request_timeout_s,
            max_retries=0,
            reuse_client=True,
            async_http_client=http_client,
            # Ask for token counts in the last chunk (OpenAI, vLLM, Ollama, LM Studio send them).
            additional_kwargs={"stream_options": {"include_usage": True}},
        )

    def _status_error(self, exc: Any) -> UserFacingError:
        page = getattr(exc.response, "text", "") or ""
        if http_errors.looks_like_html(page):  # a proxy's or gateway's error page
            return http_errors.web_page_reply(PROVIDER_LABEL, exc.status_code, page)
        return http_errors.error_for_status(
            PROVIDER_LABEL, exc.status_code, _detail(exc.body, exc.message),
            model=self._settings.model, endpoint=self._base_url,
            has_key=bool(self._settings.api_key), key_env=API_KEY_ENV[OPENAI_COMPATIBLE],
            retry_after_s=_retry_after(exc.response))

    def _connection_error(self, cause: BaseException) -> UserFacingError:
        import httpx

        if any(isinstance(e, httpx.RemoteProtocolError) and "without sending" in str(e)
               for e in _chain(cause)):
            return http_errors.closed_without_reply(PROVIDER_LABEL, self._base_url)
        tls = next((e for e in _chain(cause) if isinstance(e, ssl.SSLError)), None)
        if tls is not None:
            return http_errors.tls_failed(PROVIDER_LABEL, self._base_url,
                                          str(getattr(tls, "reason", "") or type(tls).__name__))
        return http_errors.unreachable(PROVIDER_LABEL, self._base_url, _reason(cause))

    @staticmethod
    def _cut_or(received: list[str], error: http_errors.ProviderError) -> UserFacingError:
        """A failure after text arrived carries that text, and says the reply broke off."""
        return http_errors.broke_off(error, "".join(received)) if received else error

    def _note_usage(self, raw: Any) -> None:
        usage = getattr(raw, "usage", None)
        if usage is None:
            return
        self.last_usage = Usage(int(getattr(usage, "prompt_tokens", 0) or 0),
                                int(getattr(usage, "completion_tokens", 0) or 0))


def _unreadable(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "bytes that are not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return "data that is not valid JSON"
    return f"a reply the OpenAI client could not read: {type(exc).__name__}"


def _finish_reason(raw: Any) -> str:
    choices = getattr(raw, "choices", None) or []
    return (getattr(choices[0], "finish_reason", "") or "") if choices else ""


def _detail(body: object, fallback: str) -> str:
    """The server's own error message (and code), from OpenAI's `{"error": {...}}` shape."""
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            code = str(error.get("code") or "")
            if message:
                return f"{code}: {message}" if code and code not in message else message
        elif isinstance(error, str):
            return error
    if isinstance(body, str) and body.strip():
        return body.strip()[:300]
    return fallback


def _retry_after(response: Any) -> float | None:
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value:
            try:
                return float(value) * scale
            except ValueError:
                continue  # an HTTP date: rare from model servers; the backoff still applies
    return None


def _reason(exc: BaseException) -> str:
    """The most specific words for a transport failure: the OS's own ("Connection refused",
    "Name or service not known") when httpx's wrapper says only "All connection attempts failed"."""
    for seen in _chain(exc):
        if isinstance(seen, OSError) and isinstance(seen.errno, int) and seen.errno > 0:
            return os.strerror(seen.errno)
        if isinstance(seen, OSError) and seen.strerror:  # DNS errors have negative numbers
            return seen.strerror
    text = str(exc).strip()
    return text[:200] if text else type(exc).__name__


def _chain(exc: BaseException, limit: int = 8) -> list[BaseException]:
    """The exception and the ones it was raised from (httpx wraps anyio wraps the OS error)."""
    found: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(found) < limit and seen not in found:
        found.append(seen)
        seen = seen.__cause__ or seen.__context__
    return found
