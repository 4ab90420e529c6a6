"""Build the desktop bundle: `python tools/bundle/build.py` (needs the `package` extra).

Runs PyInstaller on build.spec and prints where the bundle is and how big it is. Same spec on
Linux, Windows and macOS; `--console` makes the debug build whose executable keeps a terminal.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from hitl_desktop import APP_ID, APP_NAME

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC = REPO_ROOT / "build.spec"


class BuildError(Exception):
    """The build could not run or failed; the message says why."""


def executable_in(bundle: Path) -> Path:
    """The app's executable inside a one-folder bundle (or the .app on macOS)."""
    if sys.platform == "win32":
        return bundle / f"{APP_ID}.exe"
    return bundle / APP_ID


def find_spec() -> Path:
    """build.spec at the top of this checkout, else in the current folder."""
    return SPEC if SPEC.is_file() else Path.cwd() / "build.spec"


def build_bundle(dist_dir: Path, work_dir: Path, *, console: bool = False,
                 clean: bool = False, spec: Path | None = None) -> Path:
    """Run PyInstaller on build.spec; return the bundle folder (dist_dir / APP_NAME)."""
    spec = spec or find_spec()
    if not spec.is_file():
        raise BuildError(f"{spec} not found: build from a source checkout of {APP_NAME}.")
    try:
        import PyInstaller  # noqa: F401
    except ImportError as exc:
        raise BuildError("PyInstaller is not installed: pip install '.[package]'") from exc
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(dist_dir), "--workpath", str(work_dir), str(spec)]
    if clean:
        command.insert(3, "--clean")
    env = dict(os.environ, HITL_DESKTOP_CONSOLE="1" if console else "0")
    result = subprocess.run(command, cwd=spec.parent, env=env, check=False)
    bundle = dist_dir / APP_NAME
    if result.returncode != 0 or not executable_in(bundle).is_file():
        raise BuildError(f"PyInstaller failed (exit status {result.returncode}); see its output above.")
    return bundle


def folder_size(folder: Path) -> int:
    """Bytes on disk of every file under `folder` (symlinks not followed)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python tools/bundle/build.py",
                                     description=f"Build the {APP_NAME} desktop bundle with PyInstaller.")
    checkout = find_spec().parent
    parser.add_argument("--dist", type=Path, default=checkout / "dist", help="output folder (dist/)")
    parser.add_argument("--work", type=Path, default=checkout / "build", help="PyInstaller's work folder")
    parser.add_argument("--console", action="store_true", help="debug build with a console window")
    parser.add_argument("--clean", action="store_true", help="discard PyInstaller's caches first")
    args = parser.parse_args(argv)
    try:
        bundle = build_bundle(args.dist, args.work, console=args.console, clean=args.clean)
    except BuildError as error:
        print(error, file=sys.stderr)
        return 1
    size_mb = folder_size(bundle) / 1e6
    print(f"Built {bundle}\n  run: {executable_in(bundle)}\n  size: {size_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
