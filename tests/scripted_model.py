"""A scripted in-process ChatModel: replies are queued by the test, every prompt is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.providers.base import Message, NoticeCallback, Usage
from hitl_desktop.core.web_citations import WebSource


@dataclass
class Gate:
    """Holds a reply mid-stream until the test opens it (to stop or close at a known point)."""

    after_chunks: int
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    reached: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class ScriptedReply:
    chunks: list[str]
    error: UserFacingError | None = None  # raised after the chunks
    gate: Gate | None = None
    usage: Usage = field(default_factory=Usage)  # becomes last_usage when the reply completes
    notice: str | None = None  # sent to on_notice when the reply completes
    web_sources: tuple[WebSource, ...] = ()  # what its web search returned, if it searched


class ScriptedChatModel:
    description = "Scripted · test-model"

    def __init__(self, *replies: ScriptedReply | str) -> None:
        self.replies = [r if isinstance(r, ScriptedReply) else ScriptedReply(_split(r)) for r in replies]
        self.calls: list[list[Message]] = []
        self.on_notice: NoticeCallback | None = None
        self.last_usage = Usage()
        self.web_search_enabled = False  # a test sets it to play Qwen on DashScope with web search on
        self.use_web_search = False
        self.last_web_sources: tuple[WebSource, ...] = ()
        self.searched: list[bool] = []  # use_web_search at each call

    def prompt(self, index: int) -> str:
        return "\n".join(m.content for m in self.calls[index])

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        self.calls.append(list(messages))
        self.searched.append(self.use_web_search)
        self.last_usage = Usage()
        self.last_web_sources = ()
        reply = self.replies.pop(0) if self.replies else ScriptedReply(["(no more scripted replies)"])
        for index, chunk in enumerate(reply.chunks):
            if reply.gate is not None and index == reply.gate.after_chunks:
                reply.gate.reached.set()
                await reply.gate.opened.wait()
            await asyncio.sleep(0)
            yield chunk
        if reply.error is not None:
            raise reply.error
        self.last_usage = reply.usage
        if self.web_search_enabled and self.use_web_search:
            self.last_web_sources = reply.web_sources
        if reply.notice is not None and self.on_notice is not None:
            self.on_notice(reply.notice)


def _split(text: str) -> list[str]:
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
