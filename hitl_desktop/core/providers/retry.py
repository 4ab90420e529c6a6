"""Automatic retries for transient provider failures, each one announced as a progress notice;
and the one place model output is cleaned (`hitl_desktop.core.text_safety`) and redacted before
anything else sees it. Every provider's output, and every error it raises, passes through here.

Only a call that has produced nothing yet is retried: once text has streamed out, a retry would
repeat it, so a later failure is reported with the partial text kept. Waits grow exponentially
with jitter (so many clients do not retry in lockstep) and honour the server's Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.providers import http_errors
from hitl_desktop.core.providers.base import ChatModel, Message, NoticeCallback, Usage
from hitl_desktop.core.providers.loop_share import LoopShare
from hitl_desktop.core.providers.redacting_stream import StreamRedactor
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.text_safety import StreamCleaner, clean_text
from hitl_desktop.core.web_citations import WebSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4            # the first try and three retries
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    # Injectable so tests go through real HTTP without really waiting.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)
    jitter: Callable[[], float] = field(default=random.random, compare=False)  # in [0, 1)

    def delay_before(self, retry_number: int, error: UserFacingError) -> float:
        """Seconds to wait before retry `retry_number` (1 for the first retry)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (retry_number - 1))
        # "Equal jitter": at least half the exponential step, so waits still grow.
        delay = ceiling / 2 + self.jitter() * ceiling / 2
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after:
            delay = max(delay, min(float(retry_after), self.max_delay_s))
        return delay


NO_RETRIES = RetryPolicy(attempts=1)


class RetryingChatModel:
    """Wraps a ChatModel: retries transient failures and reports retries and token usage.

    `on_notice` (settable, passed on to the wrapped model) receives each notice; `last_usage`
    holds the token counts of the last successful call, when the provider reported them. Web
    search is the wrapped model's (`use_web_search` is passed on, `last_web_sources` read back).
    """

    def __init__(self, inner: ChatModel, policy: RetryPolicy | None = None,
                 on_notice: NoticeCallback | None = None, *, secret: str = "") -> None:
        self.inner = inner
        self.policy = policy or RetryPolicy()
        # The configured key, taken out of output and messages whatever its shape or length
        # (the shared redactor skips very short "secrets", which would mangle ordinary words).
        self._secrets = (secret,) if secret else ()
        self.last_usage = Usage()
        self._on_notice: NoticeCallback | None = None
        self.on_notice = on_notice

    @property
    def description(self) -> str:
        return self.inner.description

    @property
    def on_notice(self) -> NoticeCallback | None:
        return self._on_notice

    @on_notice.setter
    def on_notice(self, callback: NoticeCallback | None) -> None:
        self._on_notice = callback
        self.inner.on_notice = callback

    @property
    def web_search_enabled(self) -> bool:
        return self.inner.web_search_enabled

    @property
    def use_web_search(self) -> bool:
        return self.inner.use_web_search

    @use_web_search.setter
    def use_web_search(self, search: bool) -> None:
        self.inner.use_web_search = search

    @property
    def last_web_sources(self) -> tuple[WebSource, ...]:
        # The inner model's: a retry starts its search afresh, so these are the last attempt's.
        return self.inner.last_web_sources

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        attempts = max(1, self.policy.attempts)
        self.last_usage = Usage()
        # What goes out is valid text too: a lone surrogate in a topic cannot even be encoded.
        messages = [Message(m.role, clean_text(m.content)) for m in messages]
        for attempt in range(1, attempts + 1):
            produced = False
            cleaner = StreamCleaner()
            redactor = StreamRedactor(self._secrets)
            share = LoopShare()
            try:
                async for piece in self.inner.stream_chat(messages):
                    produced = True
                    safe = redactor.feed(cleaner.feed(piece))
                    if safe:
                        yield safe
                    await share.turn()  # a fast server must not freeze the window
            except UserFacingError as error:
                self._scrub(error)
                if produced:
                    # The last word, held back until now: show it too.
                    tail = redactor.feed(cleaner.flush()) + redactor.flush()
                    if tail:
                        yield tail
                    raise
                if not http_errors.is_transient(error):
                    raise
                if attempt == attempts:
                    raise (http_errors.gave_up(error, attempts) if attempts > 1 else error) from error
                delay = self.policy.delay_before(attempt, error)
                self._notice(f"{_first_sentences(error.message)} Retrying in {delay:.1f} s "
                             f"(attempt {attempt + 1} of {attempts})…")
                await self.policy.sleep(delay)
                continue
            tail = redactor.feed(cleaner.flush()) + redactor.flush()
            if tail:
                yield tail
            self._report_usage()
            return

    def _scrub(self, error: UserFacingError) -> None:
        """The error's words and partial text, as valid text with every secret taken out."""
        def scrub(text: str) -> str:
            return redact(clean_text(text), also=self._secrets)

        error.partial_output = scrub(error.partial_output)
        error.message, error.hint = scrub(error.message), scrub(error.hint)
        error.args = (error.message, *error.args[1:])

    def _report_usage(self) -> None:
        usage = self.inner.last_usage
        if not usage.reported:
            return
        self.last_usage = usage
        self._notice(f"Model usage: {usage.describe()}")

    def _notice(self, text: str) -> None:
        log.info("%s", text)
        if self._on_notice is not None:
            self._on_notice(text)


def _first_sentences(message: str) -> str:
    # The server's own words stay in the final error; a progress line needs only our sentence.
    return message.split(" The server said:", 1)[0]
