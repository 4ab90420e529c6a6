"""What the qasync loop needs beyond qasync itself."""

from __future__ import annotations

import asyncio
import sys


def install_asyncgen_hooks(loop: asyncio.AbstractEventLoop) -> None:
    """Let the loop finalise abandoned async generators (the SDKs' streams) as asyncio.run would.

    qasync's run_forever never installs these hooks, so an async generator dropped mid-stream
    would be finalised synchronously, outside the loop, and its cleanup would fail.
    """
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
                           finalizer=loop._asyncgen_finalizer_hook)  # type: ignore[attr-defined]
