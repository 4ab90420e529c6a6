"""The connection to a team server: llama-agents-client's WorkflowClient over one httpx client
that sends the token with every request, and the server's failures as UserFacingErrors.

No message, log line or exception raised from here carries the token: it is registered for
redaction, the address is shown without credentials, and httpx's own exceptions (which name the
request) are never chained onto ours.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import httpx
from llama_agents.client import WorkflowClient

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import redact, register_secret
from hitl_desktop.core.team.settings import TeamSettings

log = logging.getLogger(__name__)

WORKFLOW_NAME = "research"  # the name the team server serves ResearchWorkflow under
CONNECT_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 30.0       # plain requests; the event stream waits without a limit

TOKEN_REFUSED = "The team server refused the token — check Settings → Team server"


class TeamClient:
    """One team server, reached with `settings` (address and token). Close it with aclose()."""

    def __init__(self, settings: TeamSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        register_secret(settings.token)
        self.settings = settings
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        self._http = httpx.AsyncClient(
            base_url=settings.server_url.strip().rstrip("/"), headers=headers, transport=transport,
            timeout=httpx.Timeout(READ_TIMEOUT_S, connect=CONNECT_TIMEOUT_S))
        self.workflows = WorkflowClient(httpx_client=self._http)

    @property
    def where(self) -> str:
        return self.settings.display_url

    async def aclose(self) -> None:
        await self._http.aclose()

    @contextlib.asynccontextmanager
    async def speaking(self, doing: str) -> AsyncIterator[None]:
        """Turn what goes wrong while `doing` (e.g. "start the run") into a UserFacingError."""
        try:
            yield
        except UserFacingError:
            raise
        except BaseException as exc:
            error = self.explain(exc, doing)
            if error is None:
                raise
            raise error from None

    def explain(self, exc: BaseException, doing: str) -> UserFacingError | None:
        """The UserFacingError for a failure talking to the server; None for anything else
        (cancellation, a bug), which the caller re-raises."""
        if isinstance(exc, httpx.HTTPStatusError):
            status = exc.response.status_code
            if status in (401, 403):
                return UserFacingError(TOKEN_REFUSED + ".", "Paste the token the server was started with.",
                                       ErrorKind.AUTH)
            detail = _detail(exc.response)
            if status == 404:
                return UserFacingError(f"The team server at {self.where} does not know that run ({detail}).",
                                       "It may have been deleted; refresh the team queue.", ErrorKind.BAD_INPUT)
            if status == 409:
                return UserFacingError("That run has already finished on the team server.",
                                       "Refresh the team queue.", ErrorKind.BAD_INPUT)
            return UserFacingError(f"The team server could not {doing} (HTTP {status}: {detail}).",
                                   "Try again; if it keeps failing, see the server's log.", ErrorKind.SERVER)
        if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
            return UserFacingError(f"The team server at {self.where} did not answer in time.",
                                   "Check that it is running, then try again.", ErrorKind.TIMEOUT)
        if isinstance(exc, (httpx.TransportError, ConnectionError, OSError)):
            return UserFacingError(f"Could not reach the team server at {self.where}.",
                                   "Check that it is running and that the address in Settings → Team "
                                   "server is right.", ErrorKind.NETWORK)
        if isinstance(exc, ValueError) and "not found" in str(exc).lower():  # the client's 404 on a stream
            return UserFacingError(f"The team server at {self.where} does not know that run.",
                                   "It may have been deleted; refresh the team queue.", ErrorKind.BAD_INPUT)
        return None


def is_connection_lost(exc: BaseException) -> bool:
    """A failure that reconnecting may cure: the server went away or the network dropped."""
    return isinstance(exc, (httpx.TransportError, ConnectionError, TimeoutError, OSError)) and \
        not isinstance(exc, httpx.HTTPStatusError)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", "")
    except ValueError:
        detail = response.text
    return redact(str(detail))[:200] or response.reason_phrase
