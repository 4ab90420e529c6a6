"""Qwen on DashScope through llama-index-llms-dashscope, streaming with `astream_chat`.

The integration reports API errors as *empty* chunks whose `raw.status_code` is not 200; this
adapter turns those, and transport failures, into `UserFacingError`s.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from http import HTTPStatus
from typing import Any

from hitl_desktop.errors import ErrorKind, UserFacingError
from hitl_desktop.providers import http_errors
from hitl_desktop.providers.base import Message, Usage
from hitl_desktop.settings import ProviderSettings

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
    def base_url(self) -> str:
        # The SDK reads DASHSCOPE_HTTP_BASE_URL once, at import; read it per call so it keeps working.
        return (os.environ.get("DASHSCOPE_HTTP_BASE_URL") or self._settings.base_url
                or DEFAULT_BASE_URL)

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        import aiohttp
        import dashscope
        from llama_index.core.llms import ChatMessage

        dashscope.base_http_api_url = self.base_url
        received: list[str] = []
        self.last_usage = Usage()
        try:
            stream = await self._llm.astream_chat(
                [ChatMessage(role=m.role, content=m.content) for m in messages],
                request_timeout=self._settings.request_timeout_s,
            )
            async for chunk in stream:
                self._raise_for_status(chunk.raw)
                self._note_usage(chunk.raw)
                if chunk.delta:
                    received.append(chunk.delta)
                    yield chunk.delta
        except UserFacingError:
            raise
        except asyncio.TimeoutError as exc:
            raise http_errors.timed_out(PROVIDER_LABEL, self._settings.request_timeout_s) from exc
        except aiohttp.ClientConnectorError as exc:
            raise http_errors.unreachable(PROVIDER_LABEL, self.base_url, exc.strerror or "") from exc
        except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
            raise http_errors.stream_cut(PROVIDER_LABEL, "".join(received), type(exc).__name__) from exc
        except aiohttp.ClientError as exc:
            if received:
                raise http_errors.stream_cut(PROVIDER_LABEL, "".join(received), str(exc)) from exc
            raise http_errors.unreachable(PROVIDER_LABEL, self.base_url, str(exc)) from exc
        if not received:
            raise http_errors.empty_reply(PROVIDER_LABEL)

    def _raise_for_status(self, raw: Any) -> None:
        status = getattr(raw, "status_code", HTTPStatus.OK)
        if status == HTTPStatus.OK:
            return
        code = getattr(raw, "code", "") or ""
        message = getattr(raw, "message", "") or ""
        detail = f"{code}: {message}" if code and message else (code or message)
        raise http_errors.error_for_status(PROVIDER_LABEL, int(status), detail,
                                           model=self._settings.model)

    def _note_usage(self, raw: Any) -> None:
        usage = getattr(raw, "usage", None)
        if not usage:
            return
        # DashScope reports running totals per chunk, so the last one wins.
        self.last_usage = Usage(int(usage.get("input_tokens", 0) or 0),
                                int(usage.get("output_tokens", 0) or 0))
