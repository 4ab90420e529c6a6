"""Rendering a long report's formats in second processes, so the app's own process stays free.

Python runs one thread at a time, and Qt keeps that lock while it reads the PDF's HTML, lays it
out and pages it (0.2 and 0.4 s at a time for a 300-page report): the window, whose event
handlers are Python, froze for that long, and a thread rendering the other formats beside the
PDF mostly waited (the Word export took 1.8 s on a helper thread, 0.25 s alone). A second process
has a lock of its own, so the PDF renders in one, the other formats in another, on other cores,
while the app only writes the files.

The second process is the app itself run with `--render-formats` (`python -m hitl_desktop
--render-formats`, or the frozen executable: it has no interpreter to run `-m` with). It reads
one request from stdin (the report, the suffixes, the provenance switch) and answers on stdout
with one record per format, in the order asked: the file's bytes, or the UserFacingError that
rendering it raised. Not multiprocessing: its "spawn" start runs the parent's main script again
in the child, which for a script without a `__main__` guard means running the script twice.

A format may also be given its input ready-made (`ExportFormat.prepare`): the PDF's HTML, which
takes a 300-page report 0.4 s of plain Python to make, is made elsewhere, part by part, while
the PDF's child starts Qt and lays out the parts already made. In Export All the other child
makes it first, from the parse its own formats then use (records keyed `PIECE`), and the parent
passes each part on; saving the PDF alone, or if that child cannot start, the parent makes it on
a thread. The PDF child's request names the format, and after it come the pieces, then None (or
False if making them failed: it then renders from the report).

The parent reads the answers on a thread of its own, so a child never waits on a full pipe while
the parent is busy. Whatever goes wrong with a child (it cannot start, it dies, it answers
garbage) costs only speed: `RenderProcess.result` then returns None and the caller renders that
format itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import Report

log = logging.getLogger(__name__)

RENDER_FLAG = "--render-formats"

# Below this many characters (about 70 pages) every format renders here within a few hundred
# milliseconds, about what a second process takes to start; a 300-page report is 840,000.
SECOND_PROCESS_FROM_CHARS = 200_000


def is_long(report: Report) -> bool:
    return len(report.markdown) >= SECOND_PROCESS_FROM_CHARS


def child_command(*, qt: bool) -> list[str]:
    """The program that renders: the app (ui/app.py hands `--render-formats` to `main` below,
    after registering the PDF) for formats Qt renders, or for the others this module alone,
    which starts without Qt (PySide6 takes 0.1 s to import). A frozen app has no interpreter to
    run a module with, so it is the app for both."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RENDER_FLAG]
    if qt:
        return [sys.executable, "-m", "hitl_desktop", RENDER_FLAG]
    return [sys.executable, "-m", __name__]


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    if not getattr(sys, "frozen", False):  # a frozen app finds its modules in its bundle
        # The child finds the same modules the parent does (a source checkout run by path, a
        # test run, an editable install).
        env["PYTHONPATH"] = os.pathsep.join(path for path in sys.path if path)
    return env


# The key of the records a child sends with the pieces it makes for another (no suffix).
PIECE = "piece"

Piece = str | None | bool  # a piece; None: no more; False: the rest could not be made


class RenderProcess:
    """A child rendering `suffixes` of one report; `result(suffix)` waits for one of them."""

    def __init__(self, process: subprocess.Popen[bytes], request: bytes, *, takes_pieces: bool,
                 relay_to: RenderProcess | None) -> None:
        self._process = process
        self._results: dict[str, bytes | UserFacingError] = {}
        self._done = False
        self._arrived = threading.Condition()
        # What is sent after the request: pieces made here (`make_here`) or by another child.
        self._pieces: queue.SimpleQueue[Piece] = queue.SimpleQueue()
        self._unwanted = threading.Event()  # the child is gone: make no more pieces
        self._relay_to = relay_to  # the child the pieces this one makes are for
        self._relay_ended = relay_to is None
        threading.Thread(target=self._feed, args=(request, takes_pieces),
                         name="render-process-feed", daemon=True).start()
        threading.Thread(target=self._read, name="render-process-read", daemon=True).start()

    @classmethod
    def start(cls, report: Report, suffixes: list[str], *, provenance: bool, qt: bool,
              prepared_suffix: str | None = None,
              make_pieces: Callable[[Report, bool], Iterable[str]] | None = None,
              relay_to: RenderProcess | None = None) -> RenderProcess | None:
        """A child started on `suffixes` (`qt`: formats rendered through Qt among them), or None
        if it cannot be (the caller renders them). `prepared_suffix`: one of them the child
        renders from pieces sent after the request (`make_here`, or another child's). The child
        runs `make_pieces` (a module's function: it is sent by name) first, and its pieces go on
        to `relay_to`."""
        try:
            request = pickle.dumps((report, suffixes, provenance, prepared_suffix, make_pieces),
                                   protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # noqa: BLE001 - pickle raises several kinds
            log.warning("Rendering in a second process is off: %s", exc)
            return None
        try:
            process = subprocess.Popen(child_command(qt=qt), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, env=_child_environment())
        except (OSError, ValueError) as exc:
            log.warning("Rendering in a second process is off: %s", exc)
            return None
        return cls(process, request, takes_pieces=prepared_suffix is not None,
                   relay_to=relay_to if make_pieces is not None else None)

    def make_here(self, pieces: Iterable[str]) -> None:
        """Make the pieces the child awaits here, on a thread of their own (the child reads
        nothing until it has started Qt, and making them must not wait for that)."""
        threading.Thread(target=self._make, args=(pieces,), name="render-process-prepare",
                         daemon=True).start()

    def add_piece(self, piece: Piece) -> None:
        self._pieces.put(piece)

    def _make(self, pieces: Iterable[str]) -> None:
        for piece in _ended(pieces):
            if self._unwanted.is_set():
                return
            self._pieces.put(piece)

    def _feed(self, request: bytes, takes_pieces: bool) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        try:
            with stdin:
                stdin.write(request)
                stdin.flush()
                while takes_pieces:
                    piece = self._pieces.get()
                    pickle.dump(piece, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                    stdin.flush()
                    takes_pieces = isinstance(piece, str)
        except OSError:
            pass  # the child is gone: _read sees its output end
        finally:
            self._unwanted.set()

    def _read(self) -> None:
        stdout = self._process.stdout
        assert stdout is not None
        try:
            with stdout:
                while True:
                    suffix, outcome = pickle.load(stdout)
                    if suffix == PIECE:
                        self._relay(outcome)
                        continue
                    with self._arrived:
                        self._results[suffix] = outcome
                        self._arrived.notify_all()
        except Exception as exc:  # noqa: BLE001 - EOF when done; anything else: render here
            if not isinstance(exc, EOFError):
                log.warning("The second rendering process answered badly: %s", type(exc).__name__)
        finally:
            if not self._relay_ended:  # this child ended before the pieces did
                self._relay(False)
            with self._arrived:
                self._done = True
                self._arrived.notify_all()

    def _relay(self, piece: Piece) -> None:
        if self._relay_to is not None and not self._relay_ended:
            self._relay_to.add_piece(piece if isinstance(piece, str) or piece is None else False)
            self._relay_ended = not isinstance(piece, str)

    def result(self, suffix: str) -> bytes | None:
        """`suffix`'s bytes once the child has them; None if it ended without them (render it
        here). Raises the UserFacingError rendering it raised."""
        with self._arrived:
            self._arrived.wait_for(lambda: suffix in self._results or self._done)
            outcome = self._results.pop(suffix, None)
        if outcome is None:
            log.warning("The second rendering process ended without %s (exit code %s); rendering "
                        "it here", suffix, self._process.poll())
        if isinstance(outcome, UserFacingError):
            raise outcome
        return outcome

    def close(self) -> None:
        """Stop the child if it is still rendering (after a failure nothing more is wanted)."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The child's side: one request in, one record out per format, each as soon as it is done
    (and first, if asked, the pieces another child renders from)."""
    from hitl_desktop.core import export

    report, suffixes, provenance, *rest = pickle.load(stdin)
    prepared_suffix, make_pieces = (*rest, None, None)[:2]
    from_report = any(suffix != prepared_suffix for suffix in suffixes)
    with _shared_parses() if make_pieces is not None or from_report else contextlib.nullcontext():
        if make_pieces is not None:  # parses the report in parts, tokens kept for the rest
            for piece in _ended(make_pieces(export.clean_report(report), provenance)):
                pickle.dump((PIECE, piece), stdout, protocol=pickle.HIGHEST_PROTOCOL)
                stdout.flush()  # the other child lays each out as it comes
        if from_report:
            from hitl_desktop.core.export.parsing import parse

            parse(export.clean_report(report).markdown)  # once for every format
        for suffix in suffixes:
            prepared = _received_pieces(stdin) if suffix == prepared_suffix else None
            try:
                outcome: bytes | UserFacingError = export.render(
                    report, export.FORMATS[suffix], provenance=provenance, prepared=prepared)
            except UserFacingError as exc:
                outcome = exc
            pickle.dump((suffix, outcome), stdout, protocol=pickle.HIGHEST_PROTOCOL)
            stdout.flush()


def _shared_parses() -> contextlib.AbstractContextManager[None]:
    # Imported only by a child that parses: the PDF's, given its HTML, needs no parser (28 ms).
    from hitl_desktop.core.export.parsing import shared_parses

    return shared_parses()


def _ended(pieces: Iterable[str]) -> Iterator[Piece]:
    """`pieces` as they are made, then None; or False where making them failed (the child
    awaiting them then renders from the report)."""
    try:
        yield from pieces
    except Exception:  # noqa: BLE001 - a bug in making them costs only speed
        log.exception("Preparing a format's input failed")
        yield False
    else:
        yield None


def _received_pieces(stdin: BinaryIO) -> Iterator[str]:
    """The pieces after the request, until None; anything else ends them short."""
    from hitl_desktop.core.export import PreparedInputLost

    while True:
        try:
            piece = pickle.load(stdin)
        except Exception as exc:  # noqa: BLE001 - EOF, garbage: the parent's side is gone
            raise PreparedInputLost from exc
        if piece is None:
            return
        if not isinstance(piece, str):
            raise PreparedInputLost
        yield piece


def main() -> int:
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # a stray print must not corrupt the records
    with protocol_out:
        serve(sys.stdin.buffer, protocol_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
