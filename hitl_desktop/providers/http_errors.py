"""Turns what a provider's server said (status, code, message) into a sentence saying what to fix."""

from __future__ import annotations

from urllib.parse import urlsplit

from hitl_desktop.errors import ErrorKind, UserFacingError
from hitl_desktop.redaction import redact


def error_for_status(provider: str, status: int, detail: str = "", *, model: str = "",
                     settings_hint: str = "Open Settings to check the provider.") -> UserFacingError:
    detail = redact(detail.strip())
    said = f" The server said: {detail}" if detail else ""
    if status in (401, 403):
        return UserFacingError(f"{provider} refused the API key (HTTP {status}).{said}",
                               "Check the API key in Settings.", ErrorKind.AUTH)
    if status == 404:
        return UserFacingError(f"{provider} has no model named '{model}' at this endpoint.{said}",
                               "Pick another model in Settings.", ErrorKind.MODEL_NOT_FOUND)
    if status == 429:
        return UserFacingError(f"{provider} is rate-limiting requests (HTTP 429).{said}",
                               "Wait a minute and retry, or check your plan's quota.",
                               ErrorKind.RATE_LIMIT)
    if status >= 500:
        return UserFacingError(f"{provider} had a server error (HTTP {status}).{said}",
                               "This is usually temporary: retry in a moment.", ErrorKind.SERVER)
    return UserFacingError(f"{provider} rejected the request (HTTP {status}).{said}",
                           settings_hint, ErrorKind.CONFIG)


def unreachable(provider: str, url: str, reason: str = "") -> UserFacingError:
    host = urlsplit(url).netloc or url
    because = f" ({redact(reason)})" if reason else ""
    return UserFacingError(f"Cannot reach {provider} at {host}{because}.",
                           "Check your network connection and the endpoint address in Settings.",
                           ErrorKind.NETWORK)


def timed_out(provider: str, seconds: float) -> UserFacingError:
    return UserFacingError(f"{provider} did not answer within {seconds:g} seconds.",
                           "Retry, or raise the timeout in Settings.", ErrorKind.TIMEOUT)


def empty_reply(provider: str) -> UserFacingError:
    return UserFacingError(f"{provider} returned an empty reply.",
                           "Retry; if it keeps happening, try another model.",
                           ErrorKind.EMPTY_RESPONSE)


def stream_cut(provider: str, partial: str, reason: str = "") -> UserFacingError:
    because = f" ({redact(reason)})" if reason else ""
    return UserFacingError(
        f"The connection to {provider} broke off mid-reply after {len(partial):,} characters{because}.",
        "The text received so far is kept. Retry to get the full reply.",
        ErrorKind.STREAM_CUT, partial_output=partial)
