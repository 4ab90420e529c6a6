"""The saved list of document roots, and the HITL_DESKTOP_DOCUMENTS override."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from hitl_desktop.core import paths
from hitl_desktop.core.sources import roots


@pytest.fixture(autouse=True)
def no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(roots.ENVIRONMENT_VARIABLE, raising=False)


def test_roots_are_saved_and_loaded(tmp_path: Path) -> None:
    assert roots.load_roots() == []
    folder, file = tmp_path / "notes", tmp_path / "report – été.pdf"
    roots.save_roots([folder, file, folder])
    assert roots.roots_file() == paths.config_dir() / "sources.json"
    assert roots.load_roots() == [folder, file]
    saved = json.loads(roots.roots_file().read_text(encoding="utf-8"))
    assert saved == {"roots": [str(folder), str(file)]}


def test_relative_and_home_paths_are_made_absolute(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    roots.save_roots([Path("docs"), Path("~/papers")])
    assert roots.load_roots() == [tmp_path / "docs", Path.home() / "papers"]


def test_the_environment_adds_roots_for_one_launch(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    saved, extra, both = tmp_path / "saved", tmp_path / "extra", tmp_path / "both"
    roots.save_roots([saved, both])
    monkeypatch.setenv(roots.ENVIRONMENT_VARIABLE,
                       os.pathsep.join([str(extra), "", str(both), " "]))
    assert roots.environment_roots() == [extra, both]
    assert roots.load_roots() == [saved, both, extra]

    added = tmp_path / "added in the window"
    roots.save_roots([*roots.load_roots(), added])
    stored = json.loads(roots.roots_file().read_text(encoding="utf-8"))["roots"]
    assert stored == [str(saved), str(both), str(added)]  # `extra` is never written back


def test_a_damaged_list_counts_as_none(caplog: pytest.LogCaptureFixture) -> None:
    target = paths.ensure_dir(paths.config_dir()) / "sources.json"
    for damage in ("{broken", '{"roots": "not a list"}', '{"roots": [1, 2]}', "[]"):
        target.write_text(damage, encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            assert roots.load_roots() == []
        assert "cannot be used" in caplog.text
        caplog.clear()
    roots.save_roots([Path("/data/docs")])  # and saving replaces it
    assert roots.load_roots() == [Path("/data/docs")]


def test_the_cache_lives_in_the_platform_cache_folder(isolated_home: Path) -> None:
    assert roots.cache_dir() == isolated_home / ".cache" / "hitl-desktop" / "sources"
