"""Turns what a provider's server said (status, code, message) into a sentence saying what to fix.

Both providers map their failures through here, so DashScope and an OpenAI-compatible server
word the same problem the same way. Every detail quoted from a server is redacted first.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import redact

# Kinds an automatic retry may cure: the other side is busy or briefly away.
_TRANSIENT_KINDS = frozenset({ErrorKind.RATE_LIMIT, ErrorKind.SERVER, ErrorKind.NETWORK})

# How servers say "unknown model": OpenAI `model_not_found`, DashScope "Model not exist.",
# Ollama 'model "x" not found, try pulling it first', vLLM "The model `x` does not exist."
_ABOUT_MODEL = re.compile(
    r"model[_ ]?not[_ ]?(found|exist)|model\b.{0,120}?\b(not found|does not exist|not exist|doesn't exist"
    r"|is not available|unknown)|(unknown|no such|invalid) model", re.IGNORECASE | re.DOTALL)


class ProviderError(UserFacingError):
    """A provider failure, with what an automatic retry needs to know."""

    def __init__(self, message: str, hint: str = "", kind: ErrorKind = ErrorKind.INTERNAL, *,
                 partial_output: str = "", retry_after_s: float | None = None,
                 transient: bool | None = None) -> None:
        super().__init__(message, hint, kind, partial_output=partial_output)
        # The server's own Retry-After, when it sent one.
        self.retry_after_s = retry_after_s
        self.transient = kind in _TRANSIENT_KINDS if transient is None else transient


def is_transient(error: UserFacingError) -> bool:
    """Whether trying the same request again, unchanged, may succeed."""
    if isinstance(error, ProviderError):
        return error.transient
    return error.kind in _TRANSIENT_KINDS


def _cap(label: str) -> str:
    return label[:1].upper() + label[1:]


def host_of(url: str) -> str:
    """host[:port] only: a URL's user:password@ part or ?key=… query must never be shown."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a malformed port is still no reason to show the rest
        port = ""
    return f"{parts.hostname}{port}" if parts.hostname else "the configured address"


def shown_url(url: str) -> str:
    """The URL as it may appear in a message: scheme, host, port and path; no credentials or query."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{host_of(url)}{parts.path}" if parts.scheme else host_of(url)


def mentions_missing_model(detail: str) -> bool:
    return bool(_ABOUT_MODEL.search(detail))


def error_for_status(provider: str, status: int, detail: str = "", *, model: str = "",
                     endpoint: str = "", has_key: bool = True, key_env: str = "",
                     retry_after_s: float | None = None) -> ProviderError:
    detail = redact(detail.strip())
    said = f" The server said: {detail}" if detail else ""
    where = f" at {host_of(endpoint)}" if endpoint else ""
    if status in (401, 403):
        if not has_key:
            return ProviderError(f"{_cap(provider)}{where} needs an API key (HTTP {status}).{said}",
                                 "Enter the key in Settings.", ErrorKind.AUTH)
        from_env = f", or the {key_env} environment variable" if key_env else ""
        return ProviderError(f"{_cap(provider)} refused the API key (HTTP {status}).{said}",
                             f"Check the API key in Settings{from_env}.", ErrorKind.AUTH)
    if (status in (400, 404, 422) and mentions_missing_model(detail)) or (status == 404 and not endpoint):
        return ProviderError(f"{_cap(provider)} has no model named '{model}' at this endpoint.{said}",
                             "Pick another model in Settings, or check its exact name.",
                             ErrorKind.MODEL_NOT_FOUND)
    if status == 404:
        return ProviderError(
            f"There is no chat API at {shown_url(endpoint)} (HTTP 404).{said}",
            "Check the base URL in Settings: OpenAI-compatible servers usually end in /v1, "
            "e.g. http://localhost:11434/v1 for Ollama.", ErrorKind.CONFIG)
    if status == 429:
        return ProviderError(f"{_cap(provider)} is rate-limiting requests (HTTP 429).{said}",
                             "Wait a minute and retry, or check your plan's quota.",
                             ErrorKind.RATE_LIMIT, retry_after_s=retry_after_s)
    if status >= 500:
        return ProviderError(f"{_cap(provider)} had a server error (HTTP {status}).{said}",
                             "This is usually temporary: retry in a moment.", ErrorKind.SERVER,
                             retry_after_s=retry_after_s)
    if status == 400:
        # A bare 400 says little: gateways answer a missing or wrong key with one too (LiteLLM
        # says "No connected db"), so the key is as likely a cause as the model's settings.
        hint = ("This server may need an API key: enter one in Settings. Otherwise check the model "
                "and the settings (temperature, max output tokens)." if not has_key else
                "Check the API key, the model and the settings (temperature, max output tokens) "
                "in Settings.")
        return ProviderError(f"{_cap(provider)} rejected the request (HTTP 400).{said}", hint,
                             ErrorKind.CONFIG)
    return ProviderError(f"{_cap(provider)} rejected the request (HTTP {status}).{said}",
                         "Check the model and the settings (temperature, max output tokens) in Settings.",
                         ErrorKind.CONFIG)


def unreachable(provider: str, url: str, reason: str = "") -> ProviderError:
    because = f" ({redact(reason)})" if reason else ""
    return ProviderError(f"Cannot reach {provider} at {host_of(url)}{because}.",
                         "Check your network connection, that the server is running, and the "
                         "address in Settings.", ErrorKind.NETWORK)


def tls_failed(provider: str, url: str, reason: str = "") -> ProviderError:
    because = f" ({redact(reason)})" if reason else ""
    # Not transient: a certificate does not fix itself between two attempts.
    return ProviderError(f"Cannot reach {provider} at {host_of(url)}: the secure connection "
                         f"failed{because}.",
                         "Check the address in Settings (http:// or https://) and your computer's "
                         "clock; a company proxy may also be intercepting the connection.",
                         ErrorKind.NETWORK, transient=False)


def timed_out(provider: str, seconds: float, partial: str = "") -> ProviderError:
    """No answer (or, with `partial`, no more of it) within the timeout."""
    if partial:
        return ProviderError(f"{_cap(provider)} stopped sending after {len(partial):,} characters and "
                             f"sent nothing more for {seconds:g} seconds.",
                             "Retry, or raise the timeout in Settings.", ErrorKind.TIMEOUT,
                             partial_output=partial, transient=False)
    return ProviderError(f"{_cap(provider)} did not answer within {seconds:g} seconds.",
                         "Retry, or raise the timeout in Settings.", ErrorKind.TIMEOUT)


def empty_reply(provider: str) -> ProviderError:
    return ProviderError(f"{_cap(provider)} returned an empty reply.",
                         "Retry; if it keeps happening, try another model.",
                         ErrorKind.EMPTY_RESPONSE)


def stream_cut(provider: str, partial: str, reason: str = "") -> ProviderError:
    because = f" ({redact(reason)})" if reason else ""
    return ProviderError(
        f"The connection to {provider} broke off mid-reply after {len(partial):,} characters{because}.",
        "Retry to get the full reply.",
        ErrorKind.STREAM_CUT, partial_output=partial, transient=False)


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAGS = re.compile(r"<[^>]*>")


def looks_like_html(body: str) -> bool:
    """Whether a reply is a web page (a proxy's or gateway's error page) rather than an API's."""
    start = body.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html", "<head", "<body")) or "<title" in start


def page_summary(body: str) -> str:
    """A web page said in a few words: its title, else the start of its text."""
    match = _TITLE.search(body)
    text = match.group(1) if match else _TAGS.sub(" ", body)
    return " ".join(text.split())[:120]


_NOT_A_REPLY_HINT = ("Something between you and the server (a proxy, a gateway, a firewall) may be "
                     "failing, or the address in Settings may not be the model server's. Retry in a "
                     "moment; if it keeps happening, check the address.")


def invalid_reply(provider: str, what: str = "", *, status: int | None = None,
                  partial: str = "") -> ProviderError:
    """The server answered, but not with anything a model server sends: a proxy's web page
    (`status` its HTTP status), malformed JSON, bytes that are not text. Retried like a server
    error while nothing has arrived; text that did arrive is kept."""
    said = f" ({redact(what)})" if what else ""
    transient = status is None or status >= 500 or status in (408, 429)
    error = ProviderError(f"{_cap(provider)} sent something that is not a valid reply{said}.",
                          _NOT_A_REPLY_HINT, ErrorKind.SERVER, transient=transient)
    return broke_off(error, partial) if partial else error


def broke_off(error: UserFacingError, partial: str) -> ProviderError:
    """`error` arriving after `partial` text: that text is kept, and the reply said to be cut."""
    return ProviderError(f"{error.message} The reply broke off after {len(partial):,} characters.",
                         "Retry to get the full reply.", ErrorKind.STREAM_CUT,
                         partial_output=partial, transient=False)


def web_page_reply(provider: str, status: int, body: str = "") -> ProviderError:
    """A web page where an API reply should be: what proxies and gateways send when they fail."""
    summary = page_summary(body) if body else ""
    titled = f': "{summary}"' if summary and summary != str(status) else ""
    return invalid_reply(provider, f"a web page{titled}, HTTP {status}", status=status)


def closed_without_reply(provider: str, url: str) -> ProviderError:
    """The connection closed before a byte of reply: a server restarting, a proxy timing out."""
    return ProviderError(f"{_cap(provider)} at {host_of(url)} closed the connection without replying.",
                         "This is usually temporary: retry in a moment. If it keeps happening, "
                         "check the address in Settings and any proxy in between.",
                         ErrorKind.NETWORK)


def gave_up(error: UserFacingError, attempts: int) -> UserFacingError:
    """The last error after automatic retries, saying they happened."""
    return ProviderError(f"{error.message} Tried {attempts} times.", error.hint, error.kind,
                         partial_output=error.partial_output, transient=False)
