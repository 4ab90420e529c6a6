"""Model providers behind one interface (`ChatModel`); `build_chat_model` picks one from settings."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.providers.base import (
    ChatModel,
    ChatModelSource,
    Message,
    NoticeCallback,
    Usage,
)
from hitl_desktop.core.settings import DASHSCOPE, OFFLINE, OPENAI_COMPATIBLE, ProviderSettings, runs_offline

if TYPE_CHECKING:
    from hitl_desktop.core.providers.retry import RetryPolicy

__all__ = ["ChatModel", "ChatModelSource", "Message", "NoticeCallback", "Usage", "build_chat_model",
           "build_run_model", "model_source_for"]


def model_source_for(current: Callable[[], ProviderSettings]) -> ChatModelSource:
    """Each call's model, built from the settings (with the key) `current` gives at that moment,
    so a key set meanwhile counts. Transient failures (429, 5xx, network) are retried with
    backoff, announced through the model's on_notice."""

    def build() -> ChatModel:
        from hitl_desktop.core.providers.retry import RetryPolicy

        return build_run_model(current(), RetryPolicy())

    return build


def build_run_model(settings: ProviderSettings, retry: RetryPolicy | None = None) -> ChatModel:
    """The model a run uses: the chosen one, or the offline engine when it is chosen or no model
    is set up yet (the first run on a fresh machine works with no key and no network)."""
    if runs_offline(settings):
        from hitl_desktop.core.providers.offline import OfflineEngine

        return OfflineEngine()
    return build_chat_model(settings, retry)


def build_chat_model(settings: ProviderSettings, retry: RetryPolicy | None = None) -> ChatModel:
    """A ready model for these settings, or a UserFacingError saying what is missing.

    The model is a `RetryingChatModel`: its output is cleaned and redacted (the key in use
    included, whatever its shape) and its token usage is announced through `on_notice`. With `retry`, transient failures (429, 5xx, network) are retried under
    that policy and each retry is announced; without it, every call is tried once.
    """
    from hitl_desktop.core.providers.retry import NO_RETRIES, RetryingChatModel

    return RetryingChatModel(_provider_model(settings), retry or NO_RETRIES, secret=settings.api_key)


def _provider_model(settings: ProviderSettings) -> ChatModel:
    if settings.provider == OFFLINE:
        from hitl_desktop.core.providers.offline import OfflineEngine

        return OfflineEngine()
    if settings.provider == DASHSCOPE:
        from hitl_desktop.core.providers.dashscope_chat import DashScopeChatModel

        return DashScopeChatModel(settings)
    if settings.provider == OPENAI_COMPATIBLE:
        from hitl_desktop.core.providers.openai_compatible import OpenAICompatibleChatModel

        return OpenAICompatibleChatModel(settings)
    raise UserFacingError(f"The provider '{settings.provider}' is not available in this build.",
                          "Choose a provider in Settings.", ErrorKind.CONFIG)
