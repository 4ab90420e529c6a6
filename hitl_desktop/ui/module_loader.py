"""Importing modules on a helper thread while Qt's event loop keeps the window responsive.

After the window's first frame the app still needs asyncio, qasync and the services behind the
window: 100-200 ms of imports, measured. On the GUI thread they would freeze the window just
shown for that long; on a helper thread the GUI thread goes on handling events (Python hands the
GIL over every 5 ms, and the GUI thread waits for events without holding it), and the modules
are in `sys.modules` when the GUI thread then imports them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Sequence

from PySide6.QtCore import QEventLoop, QObject, Signal

log = logging.getLogger(__name__)


class _Loaded(QObject):
    finished = Signal()  # emitted on the helper thread, delivered on the GUI thread (queued)


def import_while_responsive(names: Sequence[str]) -> None:
    """Import `names` on a helper thread and run Qt's events until it is done. A module that
    fails to import is left for the GUI thread's own import to raise, where it is handled."""
    loaded = _Loaded()
    waiting = QEventLoop()
    loaded.finished.connect(waiting.quit)

    def load() -> None:
        try:
            for name in names:
                importlib.import_module(name)
        except Exception:  # noqa: BLE001 (raised again, and handled, by the GUI thread's import)
            log.debug("Importing %s on a helper thread failed", names, exc_info=True)
        finally:
            loaded.finished.emit()

    helper = threading.Thread(target=load, name="import-services", daemon=True)
    helper.start()
    waiting.exec()
    helper.join()
