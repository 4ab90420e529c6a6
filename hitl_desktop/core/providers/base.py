"""The one interface every model provider implements: stream a chat reply as text pieces."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.web_citations import WebSource

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


def ending_notice(finish_reason: str, max_output_tokens: int) -> str | None:
    """What the progress list should say about how a reply that arrived ended, if anything:
    a reply cut by the output limit, or one the server never said was complete (a proxy that
    closed the stream early looks like a short, finished reply otherwise)."""
    if finish_reason == "length":
        return (f"The reply reached the max output tokens limit ({max_output_tokens:,}) and was "
                "cut short; raise it in Settings for longer replies.")
    if not finish_reason:
        return "The reply ended without the server saying it was complete; it may be cut short."
    return None


@runtime_checkable
class ChatModel(Protocol):
    """A chat model that streams. Failures raise `UserFacingError`, never provider exceptions."""

    # Set by the caller before a call: receives notices while the call runs (retries, token usage,
    # a reply cut by the output limit). None: nobody is told.
    on_notice: NoticeCallback | None
    # The token counts of the last call, once it has finished; all zero when the provider reported
    # none (or before the first call).
    last_usage: Usage
    # Whether the model can search the web while it answers (Qwen on DashScope, with web search
    # on in Settings); its replies then cite the pages as web_citations.WEB_MARKER_FORMAT says.
    # False for every other model: OpenAI-compatible servers return no sources.
    web_search_enabled: bool
    # Set by the caller before a call: search the web for it, if the model can. Research sets it;
    # the report leaves it off, so a report never cites a page the reviewer has not seen.
    use_web_search: bool
    # The pages the last call's search returned, once it has finished: empty when it did not search.
    last_web_sources: tuple[WebSource, ...]

    @property
    def description(self) -> str:
        """Shown to the user and recorded in reports, e.g. 'DashScope · qwen-plus'."""
        ...

    def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives; raise UserFacingError on any failure."""
        ...


# Where the workflow gets a model, asked afresh for each call: a retry after the user fixed their
# settings (a missing key, say) uses the new settings. It may block (reading the OS keychain).
ChatModelSource = Callable[[], ChatModel]


@runtime_checkable
class WritesFromSources(Protocol):
    """A model that writes grounded research and reports itself, from the numbered sources,
    instead of from prompts (the offline engine)."""

    def research_notes(self, topic: str, citations: Sequence[Citation], *, round_number: int = 1,
                       feedback: str = "") -> AsyncIterator[str]: ...

    def report(self, topic: str, notes: str, citations: Sequence[Citation], *,
               feedback: str = "") -> AsyncIterator[str]: ...
