"""Export All renders a long report's Qt-free formats in a second process; whatever goes wrong
with that process, the files are the same and complete, rendered here instead."""

from __future__ import annotations

import io
import pickle
import subprocess
import sys
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from export_samples import ORDINARY_MARKDOWN, made_report, pdf_pieces_of_2000, report

from hitl_desktop.core import export
from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.export import render_process

QT_FREE = [".md", ".html", ".docx", ".txt"]


def contents(path: Path) -> object:
    if path.suffix == ".docx":  # a zip: its members' bytes (the archive stamps the time)
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    return path.read_bytes()


def expected(folder: Path, stem: str, the_report, *, provenance: bool = True) -> dict[str, object]:  # type: ignore[no-untyped-def]
    folder.mkdir()
    return {suffix: contents(export.save_report(folder / f"{stem}{suffix}", the_report,
                                                provenance=provenance)) for suffix in QT_FREE}


@pytest.fixture
def always_second_process(monkeypatch: pytest.MonkeyPatch) -> list[render_process.RenderProcess]:
    """Every Export All uses the second process; the list collects the ones started."""
    monkeypatch.setattr(render_process, "SECOND_PROCESS_FROM_CHARS", 0)
    started: list[render_process.RenderProcess] = []
    real_start = render_process.RenderProcess.start.__func__  # type: ignore[attr-defined]

    def start(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        child = real_start(cls, *args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(render_process.RenderProcess, "start", classmethod(start))
    return started


@pytest.mark.parametrize("provenance", [True, False])
def test_the_second_process_writes_what_rendering_here_writes(
        tmp_path: Path, always_second_process: list, provenance: bool) -> None:
    the_report = made_report()
    want = expected(tmp_path / "one-by-one", "r", the_report, provenance=provenance)
    folder = tmp_path / "all"
    folder.mkdir()
    saved = export.save_all(folder, "r", the_report, provenance=provenance)
    assert [path.suffix for path in saved] == list(export.FORMATS)
    assert always_second_process and None not in always_second_process
    assert {suffix: contents(folder / f"r{suffix}") for suffix in QT_FREE} == want


@pytest.mark.parametrize("child", [
    ["/nonexistent/python3"],                                        # cannot start
    [sys.executable, "-c", "import sys; sys.exit(3)"],               # dies at once
    [sys.executable, "-c", "import sys; sys.stdout.write('not a pickle' * 1000)"],  # garbage
])
def test_a_failing_second_process_costs_only_speed(
        tmp_path: Path, always_second_process: list, monkeypatch: pytest.MonkeyPatch,
        child: list[str]) -> None:
    monkeypatch.setattr(render_process, "child_command", lambda qt: child)
    the_report = report(ORDINARY_MARKDOWN * 3)
    want = expected(tmp_path / "one-by-one", "r", the_report)
    folder = tmp_path / "all"
    folder.mkdir()
    export.save_all(folder, "r", the_report)
    assert {suffix: contents(folder / f"r{suffix}") for suffix in QT_FREE} == want


def test_a_format_the_second_process_cannot_render_stops_export_all_with_its_message(
        tmp_path: Path, always_second_process: list, monkeypatch: pytest.MonkeyPatch) -> None:
    # A child that renders Markdown, then reports the HTML failing the way render() reports it.
    script = (
        "import pickle, sys\n"
        "from hitl_desktop.core.errors import ErrorKind, UserFacingError\n"
        "pickle.load(sys.stdin.buffer)\n"
        "out = sys.stdout.buffer\n"
        "pickle.dump(('.md', b'# from the child\\n'), out)\n"
        "pickle.dump(('.html', UserFacingError('Could not produce the Web page (HTML): Boom.',\n"
        "             'The report is still in the app; try another format.', ErrorKind.INTERNAL)), out)\n")
    monkeypatch.setattr(render_process, "child_command", lambda qt: [sys.executable, "-c", script])
    folder = tmp_path / "all"
    folder.mkdir()
    with pytest.raises(UserFacingError, match="Web page") as caught:
        export.save_all(folder, "r", report())
    assert "try another format" in caught.value.hint
    written = sorted(path.name for path in folder.iterdir())
    assert "r.md" in written and "r.html" not in written and "r.docx" not in written
    assert (folder / "r.md").read_bytes() == b"# from the child\n"
    assert all(child._process.returncode is not None  # closed, not left running
               for child in always_second_process)


def test_short_reports_render_in_this_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_process, "child_command", lambda qt: pytest.fail("started a child"))
    export.save_all(tmp_path, "r", report())
    assert (tmp_path / "r.docx").stat().st_size > 0


def request(the_report) -> bytes:  # type: ignore[no-untyped-def]
    return pickle.dumps((the_report, QT_FREE, True))


def records(stdout: bytes) -> dict[str, object]:
    stream, found = io.BytesIO(stdout), {}
    while stream.tell() < len(stdout):
        suffix, outcome = pickle.load(stream)
        found[suffix] = outcome
    return found


def test_the_app_runs_as_the_second_process(tmp_path: Path) -> None:
    """The second process is the app run with `--render-formats`; tests/bundle runs the frozen
    one, and tests/ui/test_pdf_export.py the PDF."""
    the_report = made_report()
    want = expected(tmp_path / "one-by-one", "r", the_report)
    result = subprocess.run([sys.executable, "-m", "hitl_desktop", render_process.RENDER_FLAG],
                            input=request(the_report), capture_output=True, timeout=120,
                            env=render_process._child_environment())
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    got = records(result.stdout)
    assert list(got) == QT_FREE
    assert got[".md"] == want[".md"] and got[".txt"] == want[".txt"]
    assert got[".html"] == want[".html"]
    with zipfile.ZipFile(io.BytesIO(got[".docx"])) as archive:  # type: ignore[arg-type]
        assert {name: archive.read(name) for name in archive.namelist()} == want[".docx"]


def sent(*items: object) -> io.BytesIO:
    stream = io.BytesIO()
    for item in items:
        pickle.dump(item, stream)
    stream.seek(0)
    return stream


def test_the_pieces_after_the_request_are_read_until_none() -> None:
    assert list(render_process._received_pieces(sent("<p>a</p>", "<p>b</p>", None, "next"))) == \
        ["<p>a</p>", "<p>b</p>"]


@pytest.mark.parametrize("end", [
    sent("<p>a</p>", False),                               # the parent could not make the rest
    sent("<p>a</p>", 42),                                  # not a piece
    io.BytesIO(pickle.dumps("<p>a</p>") + b"\x80\x05trun"),  # cut off mid-piece
    sent("<p>a</p>"),                                      # the parent is gone
])
def test_pieces_that_stop_short_say_so(end: io.BytesIO) -> None:
    received = render_process._received_pieces(end)
    assert next(received) == "<p>a</p>"
    with pytest.raises(export.PreparedInputLost):
        next(received)


def test_a_format_whose_prepared_input_stops_short_renders_from_the_report() -> None:
    def render_prepared(the_report, pieces, provenance):  # type: ignore[no-untyped-def]
        return "".join(pieces).encode()

    fmt = export.ExportFormat(".x", "X", lambda the_report, provenance=True: b"from the report",
                              render_prepared=render_prepared)
    assert export.render(report(), fmt, prepared=iter(["from ", "pieces"])) == b"from pieces"
    assert export.render(report(), fmt) == b"from the report"
    lost = render_process._received_pieces(sent("from ", False))
    assert export.render(report(), fmt, prepared=lost) == b"from the report"


def test_a_child_asked_for_another_formats_pieces_sends_them_first_then_renders_the_same(
        tmp_path: Path) -> None:
    """The Qt-free formats' process makes the PDF's HTML first, part by part, for the PDF's process;
    its own formats come from the same parse, joined from the parts', and are the same bytes."""
    the_report = replace(made_report(), markdown="\n".join(
        f"## Part {n}\n\n" + "Words [linked](https://example.org/) and *more*. " * 40 + "\n\n- a\n- b\n"
        for n in range(8)))
    want = expected(tmp_path / "one-by-one", "r", the_report)
    stdout = io.BytesIO()
    render_process.serve(io.BytesIO(pickle.dumps((the_report, QT_FREE, True, None, pdf_pieces_of_2000))),
                         stdout)
    stream, pieces, formats = io.BytesIO(stdout.getvalue()), [], {}
    while stream.tell() < len(stdout.getvalue()):
        key, outcome = pickle.load(stream)
        (pieces if key == render_process.PIECE else formats.setdefault(key, [])).append(outcome)
    assert pieces == [*pdf_pieces_of_2000(the_report, True), None]
    assert len(pieces) > 4 and list(formats) == QT_FREE
    got = {suffix: outcome for suffix, (outcome,) in formats.items()}
    assert got[".md"] == want[".md"] and got[".txt"] == want[".txt"] and got[".html"] == want[".html"]
    with zipfile.ZipFile(io.BytesIO(got[".docx"])) as archive:  # type: ignore[arg-type]
        assert {name: archive.read(name) for name in archive.namelist()} == want[".docx"]
