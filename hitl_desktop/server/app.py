"""The WorkflowServer that serves ResearchWorkflow: its model, its documents, its middleware.

The model and its key come from the server's own settings and environment (the same machinery
as the desktop app: settings.json, HITL_DESKTOP_PROVIDER / HITL_DESKTOP_MODEL, the provider's
key variable or the keychain), and the offline engine when no model is set up. Keys stay here:
the workflow's events carry notes, progress and reports, never settings.
"""

from __future__ import annotations

import gc
import importlib
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

from llama_agents.server import AbstractWorkflowStore, WorkflowServer
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from hitl_desktop.core.citations import PassageSearch
from hitl_desktop.core.providers.base import ChatModelSource
from hitl_desktop.core.workflow.research import ResearchWorkflow
from hitl_desktop.server import WORKFLOW_NAME
from hitl_desktop.server.auth import BearerTokenAuth, SameOriginOnly

log = logging.getLogger(__name__)

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
# What the workflow imports only once a run starts.
_RUN_MODULES = ("workflows.plugins.basic", "workflows.runtime.control_loop.runner", "hitl_desktop.core.citations")


def document_search(roots: Sequence[Path], cache_dir: Path) -> PassageSearch:
    """The documents research searches, indexed on a background thread from now on: research
    that starts meanwhile waits for the index (CurrentSources), requests do not."""
    from hitl_desktop.core.sources.current import CurrentSources
    from hitl_desktop.core.sources.library import SourceLibrary

    library = SourceLibrary(list(roots), cache_dir)
    current = CurrentSources(lambda: library)

    def index() -> None:
        try:
            summary = library.refresh()
            log.info("Documents indexed: %s", summary)
        except Exception:
            log.exception("Indexing the documents failed; research goes on without them")
        finally:
            current.ready()

    threading.Thread(target=index, name="index-documents", daemon=True).start()
    return current


def settle_before_serving(model_source: ChatModelSource) -> None:
    """Import now what the first run would import on the event loop (the model's client library,
    the workflow's runner), then move every object that exists to the collector's permanent
    generation. A full collection otherwise walks the whole heap of LlamaIndex and the model
    client, 100-200 ms on this loop, stalling every stream and request; with `gc.freeze` it
    walks only what runs made since."""
    for name in _RUN_MODULES:
        importlib.import_module(name)
    try:
        model_source()  # the same call a run makes: the provider's library is imported by it
    except Exception:  # a missing key or setting: the run will say so, in its progress
        log.info("The model is not usable yet; the first run will say why", exc_info=True)
    gc.collect()
    gc.freeze()


def research_server(store: AbstractWorkflowStore, model_source: ChatModelSource,
                    sources: PassageSearch | None, *, token: str | None,
                    allowed_hosts: Sequence[str] = ("*",)) -> WorkflowServer:
    """ResearchWorkflow served as WORKFLOW_NAME. With `token`, every request must carry it;
    without, a request from a web page of another origin is refused (see auth).
    `allowed_hosts` are the Host headers answered: naming the loopback ones on a loopback
    server keeps web pages the reviewer visits from reaching it through DNS rebinding."""
    # Our middleware list replaces the server's default, which allows every origin with
    # credentials: a desktop client needs no CORS, and no web page should read the queue.
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
    # With a token a page cannot forge requests (a browser does not add the header by itself);
    # without one, only the origin tells a page's request from the app's.
    middleware.append(Middleware(BearerTokenAuth, token=token) if token else Middleware(SameOriginOnly))
    server = WorkflowServer(workflow_store=store, middleware=middleware)
    server.add_workflow(WORKFLOW_NAME, ResearchWorkflow(model_source, sources))
    return server
