"""The one error type that crosses from the core to the UI: a sentence a person can act on."""

from __future__ import annotations

from enum import Enum


class ErrorKind(str, Enum):
    BAD_INPUT = "bad_input"
    CONFIG = "config"
    AUTH = "auth"
    MODEL_NOT_FOUND = "model_not_found"
    RATE_LIMIT = "rate_limit"
    SERVER = "server"
    NETWORK = "network"
    TIMEOUT = "timeout"
    EMPTY_RESPONSE = "empty_response"
    STREAM_CUT = "stream_cut"
    IO = "io"
    INTERNAL = "internal"


class UserFacingError(Exception):
    """What went wrong (`message`) and what to do about it (`hint`), already redacted."""

    def __init__(self, message: str, hint: str = "", kind: ErrorKind = ErrorKind.INTERNAL,
                 *, partial_output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.kind = kind
        # Text a stream had produced before it failed: kept so nothing the user saw is lost.
        self.partial_output = partial_output

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()

    def __reduce__(self):  # keep pickling/copying faithful to the keyword-only field
        return (_rebuild, (self.message, self.hint, self.kind, self.partial_output))


def _rebuild(message: str, hint: str, kind: ErrorKind, partial_output: str) -> UserFacingError:
    return UserFacingError(message, hint, kind, partial_output=partial_output)
