"""Encrypted PDFs as document sources, with each of pypdf's crypt providers and with none.

pypdf decrypts AES with `cryptography` or, without it, `pycryptodome`; RC4 it decrypts with code
of its own. pycryptodome is a dependency and the desktop bundle keeps it (and leaves cryptography
out: README, "Bundle size"), so AES PDFs that open with an empty password are sources everywhere.
Only with neither provider must an AES PDF say so plainly rather than "damaged" or "needs a
password"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pypdf import _encryption
from pypdf._crypt_providers import _fallback
from pdf_samples import encrypted_pdf

from hitl_desktop.core.sources import SourceLibrary
from hitl_desktop.core.sources.parsed import Unusable
from hitl_desktop.core.sources.pdf_reader import AES_UNAVAILABLE, read_pdf

TEXT = "Tidal lagoons hold the incoming tide behind a wall and release it through turbines."
# What pypdf's _encryption takes from the provider it picked when it was imported.
PROVIDER_NAMES = ("CryptAES", "CryptRC4", "aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt",
                  "aes_ecb_encrypt", "rc4_decrypt", "rc4_encrypt")


def encrypted(folder: Path, algorithm: str) -> Path:
    return encrypted_pdf(folder / f"{algorithm}.pdf", TEXT, algorithm)


def use_provider(monkeypatch: pytest.MonkeyPatch, provider: ModuleType) -> None:
    """pypdf as if `provider` were the one it found on import (the bundle's is pycryptodome)."""
    for name in PROVIDER_NAMES:
        monkeypatch.setattr(_encryption, name, getattr(provider, name))


def provider_module(name: str) -> ModuleType:
    if name == "cryptography":  # a pip install has it only if something else pulls it in
        pytest.importorskip("cryptography")
        from pypdf._crypt_providers import _cryptography

        return _cryptography
    from pypdf._crypt_providers import _pycryptodome

    return _pycryptodome


@pytest.mark.parametrize("provider", ["pycryptodome", "cryptography"])
@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_permission_only_encryption_is_read_with_either_provider(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, provider: str, algorithm: str) -> None:
    data = encrypted(tmp_path, algorithm).read_bytes()
    use_provider(monkeypatch, provider_module(provider))
    document = read_pdf(data)
    assert TEXT in " ".join(block.text for block in document.blocks)


def test_aes_pdfs_are_sources_that_search_finds(tmp_path: Path) -> None:
    # As installed: whichever provider pypdf picked (pycryptodome at least is a dependency).
    folder = tmp_path / "documents"
    folder.mkdir()
    for algorithm in ("AES-128", "AES-256"):
        encrypted(folder, algorithm)
    library = SourceLibrary([folder], tmp_path / "cache")
    summary = library.refresh()
    assert summary.skipped == [] and summary.documents == 2
    assert sorted(Path(info.path).name for info in library.documents()) == ["AES-128.pdf", "AES-256.pdf"]
    hits = library.search("tidal lagoons turbines", k=8)
    assert {Path(hit.passage.source).name for hit in hits} == {"AES-128.pdf", "AES-256.pdf"}


def test_without_cryptography_pypdf_picks_pycryptodome_and_reads_aes(tmp_path: Path) -> None:
    # The bundle's situation, from the import on: a fresh interpreter in which cryptography cannot
    # be imported (as if not installed), so pypdf's provider choice runs as it does frozen.
    paths = [encrypted(tmp_path, algorithm) for algorithm in ("AES-128", "AES-256")]
    script = (
        "import sys\n"
        "sys.modules['cryptography'] = None\n"
        "from pypdf._crypt_providers import crypt_provider\n"
        "from hitl_desktop.core.sources.pdf_reader import read_pdf\n"
        "print(crypt_provider[0])\n"
        "for path in sys.argv[1:]:\n"
        "    print(' '.join(b.text for b in read_pdf(open(path, 'rb').read()).blocks))\n")
    result = subprocess.run([sys.executable, "-c", script, *map(str, paths)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    provider, *texts = result.stdout.splitlines()
    assert provider == "pycryptodome"
    assert len(texts) == 2 and all(TEXT in text for text in texts)


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_with_neither_provider_an_aes_pdf_says_why_it_cannot_be_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    data = encrypted(tmp_path, algorithm).read_bytes()
    use_provider(monkeypatch, _fallback)  # pypdf's own code: RC4 only
    with pytest.raises(Unusable) as caught:
        read_pdf(data)
    assert str(caught.value) == AES_UNAVAILABLE
    assert "AES" in AES_UNAVAILABLE and "unprotected copy" in AES_UNAVAILABLE


def test_with_neither_provider_rc4_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = encrypted(tmp_path, "RC4-128").read_bytes()
    use_provider(monkeypatch, _fallback)
    document = read_pdf(data)
    assert TEXT in " ".join(block.text for block in document.blocks)
