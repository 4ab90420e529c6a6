"""The frozen bundle, built from build.spec and exercised as a user would run it.

Builds once per test session into the session's temporary folder (about a minute on 2 cores; a
private work folder, so concurrent test runs cannot collide), then runs the frozen executable
offscreen with an isolated home against the fake DashScope server. Also runnable on its own:

    python tests/bundle/test_packaging.py
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import PySide6
import pytest
from app_process import isolated_env, log_text, run_app
from fake_dashscope import FakeDashScopeServer, Stream
from pdf_samples import encrypted_pdf

from hitl_desktop import APP_ID, __version__
from hitl_desktop.cli import locale_report
from bundle.build import build_bundle, executable_in, folder_size

pytestmark = pytest.mark.packaging

RESEARCH = ["## Key findings\n\n", "1. Swansea Bay lagoon: 320 MW proposed.\n"]
REPORT = ["# Tidal Lagoons\n\n", "## Summary\n\n", "Lagoons store the tide.\n"]
FAKE_KEY = "sk-fake-frozen-0123456789"
AES_TEXT = ("Tidal lagoons hold the incoming tide behind a sea wall and release it through turbines "
            "at low water, so a lagoon generates power on both the flood and the ebb tide.")


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The checkout's spec: CI tests a plain `pip install .`, whose package has no build.spec beside it.
    return build_bundle(tmp_path_factory.mktemp("dist"), tmp_path_factory.mktemp("pyinstaller-work"),
                        spec=Path(__file__).resolve().parents[2] / "build.spec")


@pytest.fixture(scope="session")
def exe(bundle: Path) -> list[str]:
    return [str(executable_in(bundle))]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and modification time."""
    result = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root, name)
            info = path.lstat()
            result[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return result


def test_bundle_has_its_data_files_and_not_what_it_excludes(bundle: Path) -> None:
    internal = bundle / "_internal"
    static = internal / "llama_index" / "core" / "_static"
    assert any((static / "tiktoken_cache").iterdir())
    assert (static / "nltk_cache" / "corpora" / "stopwords" / "english").is_file()
    assert (static / "nltk_cache" / "tokenizers" / "punkt_tab" / "english" / "sent_starters.txt").is_file()
    assert (internal / "hitl_desktop" / "_resources" / "icons" / "png" / f"{APP_ID}-256.png").is_file()
    assert list(internal.glob("tiktoken_ext*")) or (internal / "base_library.zip").is_file()
    qt = internal / "PySide6" / "Qt"
    assert not (qt / "translations").exists()
    assert not list(qt.glob("lib/libQt6Qml*")) and not list(qt.glob("lib/libQt6Quick*"))
    assert not list(internal.glob("tkinter*")) and not (internal / "_pytest").exists()
    # Trimmed for size (build.spec, issue 5); the full runs below prove nothing needed them.
    assert not list(internal.glob("lxml/objectify*")) and not (internal / "lxml" / "html").exists()
    assert not (internal / "numpy" / "random").exists() and not (internal / "numpy" / "fft").exists()
    assert not list(internal.glob("PIL/_imagingft*")) and not list(internal.glob("pillow.libs/libfreetype*"))
    assert not (qt / "plugins" / "tls").exists() and not list(internal.glob("*.dist-info/sboms"))
    assert not list(qt.glob("lib/libQt6EglFS*")) and not list(internal.rglob("libQt6EglFS*"))
    assert not (internal / "nltk" / "test").exists() and not (internal / "cryptography").exists()
    assert not (internal / "docx" / "templates" / "default-docx-template").exists()
    assert (internal / "docx" / "templates" / "default.docx").is_file()
    if sys.platform.startswith("linux"):  # Pillow's _imaging names the host's libxcb (pillow_xcb.py)
        assert not list(internal.glob("pillow.libs/libxcb-*")) and not list(internal.glob("pillow.libs/libXau-*"))
    if sys.platform.startswith("linux"):  # the GTK theme's and CUPS's stacks are the host's
        for stack_library in ("libcups.so*", "libgnutls.so*", "libcairo.so*"):
            assert not list(internal.glob(stack_library)), stack_library
    size_mb = folder_size(bundle) / 1e6
    print(f"\nbundle size: {size_mb:.0f} MB")
    # A budget, not the goal: issue 5's 150 MB is out of reach with the product's dependencies
    # (README "Bundle size": what every run loads is more than that). Issue 13's ≤ 200 MB (197
    # when set); a collected Qt module or package that should not be there (QML alone is 40 MB)
    # fails this. Without binutils' strip the build works but keeps symbols (252 MB when set).
    budget = 200 if not sys.platform.startswith("linux") or shutil.which("strip") else 260
    assert size_mb <= budget, f"bundle grew to {size_mb:.1f} MB: look for newly collected packages"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF libraries: Linux bundles only")
def test_only_the_gtk_and_cups_plugins_rely_on_host_libraries_the_build_machine_had(bundle: Path) -> None:
    # Every library a bundled binary needs is in the bundle, or one PyInstaller always leaves to
    # the system (libc, libGL…), or one the build machine did not have either (xcb extras Qt
    # documents as requirements). Only the two plugins with host stacks may need more.
    from elftools.common.exceptions import ELFError
    from PyInstaller.depend.dylib import include_library

    from bundle.host_libraries import PLUGINS_WITH_HOST_STACKS, needed_libraries

    on_build_machine = set(re.findall(r"^\s+(\S+) \(", subprocess.run(
        ["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout, re.MULTILINE))
    files = [path for path in (bundle / "_internal").rglob("*.so*") if path.is_file() and not path.is_symlink()]
    bundled = {path.name for path in (bundle / "_internal").rglob("*.so*")}
    checked, unmet = 0, []
    for path in files:
        if path.as_posix().endswith(PLUGINS_WITH_HOST_STACKS):
            continue
        try:
            needed = needed_libraries(path)
        except ELFError:
            continue
        checked += 1
        unmet += [f"{path.name} needs {name}" for name in needed
                  if name not in bundled and include_library(name) and name in on_build_machine
                  and not name.startswith("ld-linux")]  # the dynamic loader itself
    assert checked > 100 and not unmet, unmet
    assert {"libglib-2.0.so.0", "libgio-2.0.so.0", "libdbus-1.so.3"} <= bundled  # one GLib, kept whole


def test_frozen_version(exe: list[str], tmp_path: Path) -> None:
    result = run_app(exe, ["--version"], isolated_env(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == f"HITL Desktop {__version__}"


def test_frozen_install_check_finds_data_offline_and_a_keychain_backend(exe: list[str],
                                                                        tmp_path: Path) -> None:
    result = run_app(exe, ["--check-install"], isolated_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "frozen bundle" in result.stdout
    for check in ("resources", "tokenizer data", "nltk data", "package metadata", "keychain"):
        assert f"ok   {check}:" in result.stdout
    # keyring found a backend: a real keychain, or its fail backend and the app's fallback.
    assert "keyring backend:" in result.stdout or "fallback in use" in result.stdout
    print("\n" + result.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux") or not shutil.which("dbus-daemon"),
                    reason="the Secret Service is Linux's keychain; the fake one needs dbus-daemon")
def test_frozen_keychain_is_the_secret_service_without_cryptography(bundle: Path, exe: list[str],
                                                                     tmp_path: Path) -> None:
    # The bundle has no cryptography (so no keyring SecretService backend through secretstorage);
    # keyring picks the app's own plain-session backend when a Secret Service runs.
    from fake_secret_service import SecretServiceBus

    internal = bundle / "_internal"
    assert not (internal / "cryptography").exists() and not list(internal.glob("_cffi_backend*"))
    with SecretServiceBus() as bus:
        result = run_app(exe, ["--check-install"],
                         isolated_env(tmp_path, DBUS_SESSION_BUS_ADDRESS=bus.address))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   keychain: keyring backend: Secret Service (plain session)" in result.stdout
    without = run_app(exe, ["--check-install"], isolated_env(
        tmp_path / "nobus", DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent/bus"))
    assert "fallback in use" in without.stdout


def test_frozen_app_reads_aes_encrypted_pdfs_as_sources(bundle: Path, exe: list[str],
                                                        tmp_path: Path) -> None:
    # Many PDFs are AES-encrypted only to restrict printing or copying, and open with an empty
    # password. The bundle has no cryptography, so pypdf decrypts them with pycryptodome, of
    # which build.spec keeps only what pypdf loads. With no key the offline engine runs, and its
    # report quotes and cites each document the search found: both PDFs were read as sources.
    crypto = bundle / "_internal" / "Crypto"
    libraries = {path.name.split(".", 1)[0] for path in crypto.rglob("_*") if path.is_file()}
    assert libraries == {"_raw_aes", "_raw_aesni", "_raw_cbc", "_raw_ecb", "_ARC4", "_cpuid_c"}
    assert not (bundle / "_internal" / "cryptography").exists()
    documents = tmp_path / "documents"
    documents.mkdir()
    for algorithm in ("AES-128", "AES-256"):
        encrypted_pdf(documents / f"lagoons-{algorithm}.pdf", AES_TEXT, algorithm)
    report = tmp_path / "report.md"
    home = tmp_path / "home"
    result = run_app(exe, ["--topic", "tidal lagoons", "--auto-approve", "--save-report", str(report),
                           "--quit-when-done"],
                     isolated_env(home, HITL_DESKTOP_DOCUMENTS=str(documents)), timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr + log_text(home)
    text = report.read_text(encoding="utf-8")
    assert "Offline, extractive report" in text and AES_TEXT in text
    for algorithm in ("AES-128", "AES-256"):
        assert f"lagoons-{algorithm}.pdf, page 1. `{documents / f'lagoons-{algorithm}.pdf'}`" in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ICU ships in PySide6 on Linux only")
def test_frozen_qt_reads_trimmed_icu_data_like_a_full_install(bundle: Path, exe: list[str],
                                                              tmp_path: Path) -> None:
    # The bundle's ICU data library is trimmed (tools/bundle/icu.py); Qt must not notice.
    icu_data = next((bundle / "_internal" / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
    installed = next((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    assert icu_data.stat().st_size < installed.stat().st_size * 0.6
    result = run_app(exe, ["--print-locale-report"], isolated_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(json.dumps(locale_report.report()))


@pytest.mark.parametrize("suffix", [".md", ".docx", ".pdf"])  # Word needs lxml, PDF Qt's printing
def test_frozen_full_run_saves_a_report_and_writes_nothing_into_the_bundle(
        bundle: Path, exe: list[str], tmp_path: Path, suffix: str) -> None:
    before = snapshot(bundle)
    report = tmp_path / "reports" / f"lagoons{suffix}"
    report.parent.mkdir()
    home = tmp_path / "home"
    with FakeDashScopeServer() as server:
        server.fake.replies = [Stream(RESEARCH), Stream(REPORT)]
        env = isolated_env(home, DASHSCOPE_HTTP_BASE_URL=server.base_url, DASHSCOPE_API_KEY=FAKE_KEY)
        result = run_app(exe, ["--topic", "tidal lagoons", "--auto-approve",
                               "--save-report", str(report), "--quit-when-done"], env, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    data = report.read_bytes()
    if suffix == ".md":
        text = data.decode("utf-8")
        assert 'topic: "tidal lagoons"' in text and "Lagoons store the tide." in text
    elif suffix == ".docx":
        import zipfile

        with zipfile.ZipFile(report) as docx:
            assert "Lagoons store the tide." in docx.read("word/document.xml").decode("utf-8")
    else:
        assert data.startswith(b"%PDF-") and len(data) > 1000
    assert len(server.fake.requests) == 2
    assert FAKE_KEY not in result.stdout + result.stderr + log_text(home)
    assert snapshot(bundle) == before, "the frozen app wrote into its own folder"


def test_frozen_desktop_entry_points_at_the_bundle(exe: list[str], tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    entry = Path(env["XDG_DATA_HOME"]) / "applications" / f"{APP_ID}.desktop"
    installed = run_app(exe, ["--install-desktop-entry"], env)
    assert installed.returncode == 0, installed.stderr
    fields = dict(line.split("=", 1) for line in entry.read_text(encoding="utf-8").splitlines()
                  if "=" in line)
    # The bundle folder has a space in its name, so Exec= quotes the path.
    assert fields["Exec"] == f'"{exe[0]}"' and fields["TryExec"] == exe[0]
    assert (Path(env["XDG_DATA_HOME"]) / "icons/hicolor/256x256/apps" / f"{APP_ID}.png").is_file()
    removed = run_app(exe, ["--uninstall-desktop-entry"], env)
    assert removed.returncode == 0 and not entry.exists()


def test_damaged_bundle_says_reinstall_but_still_starts(bundle: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(bundle, damaged, symlinks=True, copy_function=os.link)  # hard links: fast
    shutil.rmtree(damaged / "_internal" / "hitl_desktop" / "_resources")
    exe = [str(executable_in(damaged))]

    check = run_app(exe, ["--check-install"], isolated_env(tmp_path / "h1"))
    assert check.returncode == 1
    assert "FAIL resources" in check.stdout and "reinstall" in check.stdout.lower()

    entry = run_app(exe, ["--install-desktop-entry"], isolated_env(tmp_path / "h2"))
    assert entry.returncode == 1 and "reinstall HITL Desktop" in entry.stderr

    started = run_app(exe, ["--print-startup-time"], isolated_env(tmp_path / "h3"))
    assert started.returncode == 0 and "startup-time-ms" in started.stdout
    assert "No window icon" in log_text(tmp_path / "h3")


def test_read_only_install_folder_runs_fully(bundle: Path, tmp_path: Path) -> None:
    """Installed system-wide, the bundle is read-only to its user; nothing may need to write there."""
    nobody = 65534
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    setpriv = shutil.which("setpriv")
    if as_root and setpriv is None:
        pytest.skip("running as root without setpriv: cannot run the app as an ordinary user")
    # Outside pytest's private (0700) temp folder, so an ordinary user can reach it.
    root = Path(tempfile.mkdtemp(prefix="hitl-readonly-"))
    try:
        install, home = root / "install", root / "home"
        shutil.copytree(bundle, install, symlinks=True)
        home.mkdir()
        for folder, dirs, files in os.walk(install):
            for name in files + dirs:
                path = Path(folder, name)
                if not path.is_symlink():
                    path.chmod(path.stat().st_mode & ~0o222)
        install.chmod(0o555)
        root.chmod(0o755)
        command = [str(executable_in(install))]
        if as_root:
            os.chown(home, nobody, nobody)
            command = [setpriv, f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups", *command]
        with FakeDashScopeServer() as server:
            server.fake.replies = [Stream(RESEARCH), Stream(REPORT)]
            env = isolated_env(home, DASHSCOPE_HTTP_BASE_URL=server.base_url,
                               DASHSCOPE_API_KEY=FAKE_KEY)
            if as_root:
                for folder, _dirs, _files in os.walk(home):
                    os.chown(folder, nobody, nobody)
            result = run_app(command, ["--topic", "tidal lagoons", "--auto-approve", "--save-report",
                                       str(home / "report.md"), "--quit-when-done"], env, timeout=180)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "Lagoons store the tide." in (home / "report.md").read_text(encoding="utf-8")
    finally:
        for folder, dirs, _files in os.walk(root):
            Path(folder).chmod(0o755)
            for name in dirs:
                Path(folder, name).chmod(0o755)
        shutil.rmtree(root)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v", "-s", "-p", "no:cacheprovider"]))


def test_frozen_app_serves_as_export_alls_second_process(exe: list[str], tmp_path: Path) -> None:
    """A long report's second processes are the frozen app itself (`--render-formats`): it must
    render every format from what the bundle holds (python-docx's templates, lxml, Qt's PDF)."""
    import io
    import pickle

    from hitl_desktop.core import export
    from hitl_desktop.core.models import Report

    report = Report(topic="Tidal lagoons", markdown="".join(REPORT), rounds=1, model="qwen-plus")
    suffixes = [".md", ".html", ".pdf", ".docx", ".txt"]
    result = subprocess.run([*exe, "--render-formats"], input=pickle.dumps((report, suffixes, True)),
                            capture_output=True, timeout=120, env=isolated_env(tmp_path), check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    stream, got = io.BytesIO(result.stdout), {}
    while stream.tell() < len(result.stdout):
        suffix, outcome = pickle.load(stream)
        got[suffix] = outcome
    assert list(got) == suffixes
    assert got[".md"] == export.render(report, export.FORMATS[".md"])
    assert got[".docx"][:2] == b"PK" and b"Lagoons store the tide." in got[".html"]
    assert got[".pdf"][:5] == b"%PDF-"


def test_frozen_app_makes_the_pdfs_html_in_parts_and_renders_the_pdf_from_them(
        exe: list[str], tmp_path: Path) -> None:
    """In Export All the Qt-free formats' process makes the PDF's HTML part by part and the PDF's
    process renders from those parts: both are the frozen app, so the bundle must hold the
    modules that make and read them."""
    import io
    import pickle

    from hitl_desktop.core.export.pdf_html import document_pieces
    from hitl_desktop.core.export.render_process import PIECE
    from hitl_desktop.core.models import Report

    report = Report(topic="Tidal lagoons", markdown="".join(REPORT) * 3, rounds=1, model="qwen-plus")

    def run(request: bytes) -> list[tuple[str, object]]:
        result = subprocess.run([*exe, "--render-formats"], input=request, capture_output=True,
                                timeout=120, env=isolated_env(tmp_path), check=False)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        stream, records = io.BytesIO(result.stdout), []
        while stream.tell() < len(result.stdout):
            records.append(pickle.load(stream))
        return records

    made = run(pickle.dumps((report, [".txt"], True, None, document_pieces)))
    pieces = [outcome for key, outcome in made if key == PIECE]
    assert pieces[-1] is None and len(pieces) > 1 and all(isinstance(p, str) for p in pieces[:-1])
    assert [key for key, _outcome in made][-1] == ".txt"
    rendered = run(pickle.dumps((report, [".pdf"], True, ".pdf", None))
                   + b"".join(pickle.dumps(piece) for piece in pieces))
    assert [key for key, _outcome in rendered] == [".pdf"]
    assert rendered[0][1][:5] == b"%PDF-"  # type: ignore[index]
