"""The one interface every model provider implements: stream a chat reply as text pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]

# Receives one-line, already-redacted notices meant for the progress list while a call runs:
# "rate-limited, retrying in 2 s (attempt 2 of 4)", "412 tokens in, 1,380 out".
NoticeCallback = Callable[[str], None]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str


@dataclass
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    def add(self, other: "Usage") -> None:
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens

    @property
    def reported(self) -> bool:
        return bool(self.input_tokens or self.output_tokens)

    def describe(self) -> str:
        return f"{self.input_tokens:,} tokens in, {self.output_tokens:,} out"


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that streams. Failures raise `UserFacingError`, never provider exceptions.

    Models from `build_chat_model` also have a settable `on_notice: NoticeCallback | None`
    (retries, token usage, a reply cut by the output limit) and `last_usage: Usage`.
    """

    @property
    def description(self) -> str:
        """Shown to the user and recorded in reports, e.g. 'DashScope · qwen-plus'."""
        ...

    def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives; raise UserFacingError on any failure."""
        ...
