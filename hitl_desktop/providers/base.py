"""The one interface every model provider implements: stream a chat reply as text pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

Role = Literal["system", "user", "assistant"]


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


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that streams. Failures raise `UserFacingError`, never provider exceptions."""

    @property
    def description(self) -> str:
        """Shown to the user and recorded in reports, e.g. 'DashScope · qwen-plus'."""
        ...

    def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives; raise UserFacingError on any failure."""
        ...
