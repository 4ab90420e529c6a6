"""Test connection: one tiny real call with the given settings, answered in one sentence."""

from __future__ import annotations

import time
from dataclasses import replace

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers.base import Message
from hitl_desktop.core.settings import ProviderSettings

# Small enough to cost nothing, large enough that a model which "thinks" first still says a word.
_TEST_MAX_TOKENS = 32
_TEST_MESSAGES = (Message("system", "Reply with the single word: OK"), Message("user", "ping"))


async def check_connection(settings: ProviderSettings) -> str:
    """A sentence saying the connection works; raises UserFacingError saying exactly why not.

    No automatic retries: the person pressing the button wants the first answer, not a wait.
    """
    from hitl_desktop.core.providers import build_chat_model

    model = build_chat_model(replace(settings, max_output_tokens=_TEST_MAX_TOKENS))
    started = time.monotonic()
    try:
        async for _piece in model.stream_chat(list(_TEST_MESSAGES)):
            pass
    except UserFacingError as error:
        # A reply with no text (a tiny limit spent on reasoning) still proves the connection.
        if error.kind is not ErrorKind.EMPTY_RESPONSE:
            raise
    elapsed = time.monotonic() - started
    return f"Connected: {settings.model} answered in {elapsed:.1f} s."
