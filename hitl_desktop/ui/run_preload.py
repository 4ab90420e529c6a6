"""What a run imports, imported ahead of time: once the window is up, so the first Run does not
stall the UI. Only the chosen provider's modules (the OpenAI SDK alone is 0.3 s and 26 MB)."""

from __future__ import annotations

import gc
import importlib
import logging

from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE

log = logging.getLogger(__name__)

_RUN_MODULES = ("hitl_desktop.core.sources.library", "hitl_desktop.core.session", "hitl_desktop.core.workflow.research",
                "hitl_desktop.core.providers.retry", "llama_index.core.llms",
                # What the workflow package imports only once a workflow runs.
                "workflows.plugins.basic", "workflows.runtime.control_loop.runner",
                "workflows.representation.build")
_PROVIDER_MODULES = {
    DASHSCOPE: ("hitl_desktop.core.providers.dashscope_chat", "llama_index.llms.dashscope.base",
                "llama_index.llms.dashscope.utils", "dashscope.aigc.generation", "aiohttp"),
    OPENAI_COMPATIBLE: ("hitl_desktop.core.providers.openai_compatible", "llama_index.llms.openai_like",
                        "openai", "httpx"),
}


def preload_run_modules(also: tuple[str, ...] = ()) -> None:
    """Import what a run of the saved provider needs, and the modules named in `also` (what
    the window opens during a run), off the UI thread."""
    from hitl_desktop.core.settings import load_settings

    try:
        provider = load_settings(with_key=False).provider
    except Exception:  # a damaged settings file is reported when a run reads it
        provider = DASHSCOPE
    _import_all(_RUN_MODULES + _PROVIDER_MODULES.get(provider, ()) + also)


def _import_all(names: tuple[str, ...]) -> None:
    """Import `names`, without garbage collection meanwhile. A full collection walks every object
    the imports have made so far, holding the GIL throughout: 60-140 ms in which the UI thread
    cannot run (measured, three times in a preload). Afterwards the imported objects are frozen
    (they live as long as the process), so later full collections skip them too."""
    gc.disable()
    try:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # preloading is an optimisation; the real import will report problems
                log.debug("Preloading %s failed", name, exc_info=True)
    finally:
        gc.freeze()
        gc.enable()
