"""Model providers behind one interface (`ChatModel`); `build_chat_model` picks one from settings."""

from __future__ import annotations

from hitl_desktop.errors import ErrorKind, UserFacingError
from hitl_desktop.providers.base import ChatModel, Message, Usage
from hitl_desktop.settings import DASHSCOPE, ProviderSettings

__all__ = ["ChatModel", "Message", "Usage", "build_chat_model"]


def build_chat_model(settings: ProviderSettings) -> ChatModel:
    """A ready model for these settings, or a UserFacingError saying what is missing."""
    if settings.provider == DASHSCOPE:
        from hitl_desktop.providers.dashscope_chat import DashScopeChatModel

        return DashScopeChatModel(settings)
    raise UserFacingError(f"The provider '{settings.provider}' is not available in this build.",
                          "Choose DashScope in Settings.", ErrorKind.CONFIG)
