"""Two processes saving the settings at once (two windows, a script beside the app).

Each save reads the file, merges its provider's profile in and writes it back; two at once lost
one update (never corrupted anything: writes are atomic). Saves now read, merge and write under
a lock on a file beside the settings. Tested with two real processes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SETTINGS_SAVER = """
import sys
from pathlib import Path
from hitl_desktop.core.settings import ProviderSettings, save_settings

path, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
for i in range(count):
    save_settings(ProviderSettings(provider=f"{name}{i}", model=f"model-{name}-{i}"), path)
"""


def test_two_processes_saving_settings_at_once_lose_no_update(tmp_path: Path) -> None:
    """Each process saves 150 profiles of its own; every one of the 300 must be in the file."""
    path = tmp_path / "settings.json"
    count = 150
    savers = [subprocess.Popen([sys.executable, "-c", _SETTINGS_SAVER, str(path), name, str(count)])
              for name in ("a", "b")]
    for saver in savers:
        assert saver.wait(timeout=120) == 0
    profiles = json.loads(path.read_text(encoding="utf-8"))["profiles"]
    missing = [f"{name}{i}" for name in ("a", "b") for i in range(count) if f"{name}{i}" not in profiles]
    assert missing == [], f"{len(missing)} of {2 * count} updates lost"
    assert profiles["a7"] == {"model": "model-a-7", "base_url": ""}


def test_a_lock_held_for_ever_delays_a_save_but_never_freezes_it(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import os
    import time

    import pytest

    from hitl_desktop.core import settings as settings_module

    if os.name != "posix":
        pytest.skip("holds the lock with flock")
    import fcntl

    monkeypatch.setattr(settings_module, "LOCK_PATIENCE_S", 0.3)
    path = tmp_path / "settings.json"
    with open(tmp_path / "settings.json.lock", "a+b") as hung_process:
        fcntl.flock(hung_process.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        settings_module.save_settings(settings_module.ProviderSettings(model="still-saved"), path)
        assert time.monotonic() - started < 3
    assert json.loads(path.read_text(encoding="utf-8"))["model"] == "still-saved"
