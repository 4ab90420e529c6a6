"""Guards against Qt-binding regressions that would crash the app, not just fail a feature."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_bool_signals_do_not_corrupt_reference_counts() -> None:
    # PySide6 6.12.0 decremented True on every Signal(bool) emit to a Python slot: the app
    # aborted after ~1000 emits (every button click emits one). Run it in a child process,
    # since the failure mode is a hard abort.
    script = textwrap.dedent("""
        import sys
        from PySide6.QtCore import QCoreApplication, QObject, Signal
        app = QCoreApplication([])
        class Emitter(QObject):
            changed = Signal(bool)
        emitter = Emitter()
        seen = []
        emitter.changed.connect(seen.append)
        before = sys.getrefcount(True)
        for _ in range(5000):
            emitter.changed.emit(True)
        print(len(seen), sys.getrefcount(True) - before)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    emitted, refcount_drift = map(int, result.stdout.split())
    assert emitted == 5000
    assert refcount_drift >= 0
