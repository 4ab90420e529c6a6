"""Bundle size: where the megabytes go, against a bare PySide6 window bundled the same way.

    python benchmarks/bench_bundle_size.py [--bundle "dist/HITL Desktop"]

Builds (unless given) the app's bundle and, as the baseline, a one-folder PyInstaller bundle of
a bare QtWidgets window, then prints both sizes on disk and as .tar.gz, the app's size by part,
and its floor: what full offline runs (to Markdown, Word and PDF, against the fake DashScope
server) actually load from the bundle: every file they open (strace) plus the share of the
Python code archive their imports take (`python -X importtime` of the same runs from source).
No trimming of unused files can go below that floor.

Linux only (strace, the ELF bundle layout).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tests"))

from app_process import isolated_env
from bench_startup import archive_size
from fake_dashscope import FakeDashScopeServer, Stream

from bundle.build import build_bundle, executable_in, folder_size

BARE_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv)
window = QMainWindow()
window.show()
sys.exit(app.exec())
"""
SUFFIXES = (".md", ".docx", ".pdf")
_OPENED = re.compile(r'openat\(AT_FDCWD, "([^"]+)".*= \d+$')
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)$")


def build_bare_window(scratch: Path) -> Path:
    script = scratch / "bare_window.py"
    script.write_text(BARE_WINDOW, encoding="utf-8")
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--windowed", "--onedir", "--name", "bare-window",
                    "--distpath", str(scratch / "bare-dist"), "--workpath", str(scratch / "bare-work"),
                    "--specpath", str(scratch), str(script)], check=True)
    return scratch / "bare-dist" / "bare-window"


def full_runs(command_for: Callable[[str], list[str]], home: Path) -> list[str]:
    """Run the app (`command_for(suffix)`) to a saved report in each format; return the stderrs."""
    outputs = []
    for suffix in SUFFIXES:
        command = command_for(suffix)
        with FakeDashScopeServer() as server:
            server.fake.replies = [Stream(["## Key findings\n\n", "1. Lagoons.\n"]),
                                   Stream(["# Tidal lagoons\n\n", "They store the tide.\n"])]
            env = isolated_env(home / suffix.strip("."), DASHSCOPE_HTTP_BASE_URL=server.base_url,
                               DASHSCOPE_API_KEY="sk-benchmark-0123456789")
            result = subprocess.run([*command, "--topic", "tidal lagoons", "--auto-approve",
                                     "--save-report", str(home / f"report{suffix}"), "--quit-when-done"],
                                    env=env, cwd=env["HOME"], capture_output=True, text=True,
                                    timeout=300, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"run to {suffix} failed:\n{result.stderr[-2000:]}")
        outputs.append(result.stderr)
    return outputs


def opened_files(bundle: Path, scratch: Path) -> set[Path]:
    root = bundle.resolve()
    opened = set()
    def traced(suffix: str) -> list[str]:
        return ["strace", "-f", "-qq", "-e", "trace=openat", "-o", str(scratch / f"trace{suffix}"),
                str(executable_in(bundle))]

    full_runs(traced, scratch / "frozen")
    for suffix in SUFFIXES:
        for line in (scratch / f"trace{suffix}").read_text(errors="replace").splitlines():
            match = _OPENED.search(line)
            if match:
                path = Path(os.path.realpath(match.group(1)))
                if path.is_relative_to(root) and path.is_file():
                    opened.add(path)
    return opened


def imported_modules(scratch: Path) -> set[str]:
    modules = set()
    source = [sys.executable, "-X", "importtime", "-m", "hitl_desktop"]
    for stderr in full_runs(lambda _suffix: source, scratch / "source"):
        modules.update(match.group(1) for match in map(_IMPORTED.match, stderr.splitlines()) if match)
    return modules


def code_archive_share(work: Path, modules: set[str]) -> tuple[int, int]:
    """Compressed bytes of the whole code archive (PYZ) and of the modules in `modules`."""
    from PyInstaller.archive.readers import ZlibArchiveReader

    archive = ZlibArchiveReader(str(next(work.rglob("PYZ-*.pyz"))))
    sizes = {name: length for name, (_kind, _offset, length) in archive.toc.items()}
    return sum(sizes.values()), sum(length for name, length in sizes.items() if name in modules)


def part_of(relative: Path) -> str:
    text = relative.as_posix()
    for prefix, part in (("PySide6/Qt/lib/libicu", "ICU (Qt's Unicode data)"), ("PySide6", "Qt + PySide6"),
                         ("shiboken6", "Qt + PySide6"), ("numpy", "numpy + OpenBLAS"),
                         ("python3", "Python"), ("libpython", "Python"), ("base_library", "Python"),
                         ("cryptography", "cryptography (keychain)"), ("lxml", "lxml (Word export)"),
                         ("pil", "Pillow"), ("PIL", "Pillow"), ("llama_index", "LlamaIndex data"),
                         ("hitl-desktop", "code archive + launcher")):
        if text.startswith(prefix) or text.startswith("_internal/" + prefix):
            return part
    return "other libraries and data" if "/" in text.removeprefix("_internal/") else "system libraries"


def by_part(bundle: Path, files: Iterable[Path]) -> Counter[str]:
    parts: Counter[str] = Counter()
    for path in files:
        parts[part_of(path.relative_to(bundle.resolve()))] += path.stat().st_size
    return parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="an already built bundle folder (needs --work)")
    parser.add_argument("--work", type=Path, help="PyInstaller's work folder of that bundle")
    args = parser.parse_args()
    if not shutil.which("strace"):
        parser.error("needs strace (Debian: apt-get install strace)")
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        bundle, work = args.bundle, args.work
        if bundle is None or work is None:
            print("Building the bundle…", flush=True)
            work = scratch / "work"
            bundle = build_bundle(scratch / "dist", work)
        print("Building the bare-window bundle (baseline)…", flush=True)
        bare = build_bare_window(scratch)
        size, bare_size = folder_size(bundle), folder_size(bare)
        print(f"\n{'':34s} {'on disk':>9s} {'.tar.gz':>9s}")
        print(f"{'bare PySide6 window (baseline)':34s} {bare_size / 1e6:7.0f} MB {archive_size(bare) / 1e6:6.0f} MB")
        print(f"{'HITL Desktop':34s} {size / 1e6:7.0f} MB {archive_size(bundle) / 1e6:6.0f} MB"
              f"   {size / bare_size:.2f}× baseline (target < 150 MB)")

        every_file = [path for path in bundle.resolve().rglob("*") if path.is_file() and not path.is_symlink()]
        print("\nBy part, MB (all files | opened by full runs):")
        opened = opened_files(bundle, scratch)
        all_parts, used_parts = by_part(bundle, every_file), by_part(bundle, opened)
        for part, total in all_parts.most_common():
            print(f"  {part:32s} {total / 1e6:6.1f} | {used_parts[part] / 1e6:6.1f}")
        launcher = executable_in(bundle).resolve()
        archive, imported = code_archive_share(work, imported_modules(scratch))
        floor = sum(path.stat().st_size for path in opened if path != launcher)
        floor += launcher.stat().st_size - archive + imported
        print(f"\nCode archive: {archive / 1e6:.1f} MB, of which the runs import {imported / 1e6:.1f} MB.")
        print(f"Floor (what full runs load): {floor / 1e6:.0f} MB, {floor / bare_size:.2f}× baseline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
