"""Encrypted PDFs as document sources, with and without the `cryptography` package.

The desktop bundle leaves `cryptography` out (README, "Bundle size"), so pypdf falls back to its
own code there: RC4 it still decrypts; AES it cannot, and the source must say so plainly rather
than "damaged" or "needs a password"."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf import _encryption
from pypdf._crypt_providers import _fallback
from test_sources import make_pdf

from hitl_desktop.core.sources.parsed import Unusable
from hitl_desktop.core.sources.pdf_reader import AES_UNAVAILABLE, read_pdf

TEXT = "Tidal lagoons hold the incoming tide behind a wall and release it through turbines."


def encrypted(tmp_path: Path, algorithm: str) -> bytes:
    """A one-page PDF protected by an owner password only (it opens without one)."""
    plain = make_pdf(tmp_path / "plain.pdf", [TEXT])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt("", owner_password="owner-secret", algorithm=algorithm)
    path = tmp_path / f"{algorithm}.pdf"
    writer.write(path)
    return path.read_bytes()


def without_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypdf as in the bundle from here on: its fallback crypt provider, not cryptography's."""
    for name in ("CryptAES", "CryptRC4", "aes_cbc_decrypt", "aes_cbc_encrypt", "aes_ecb_decrypt",
                 "aes_ecb_encrypt", "rc4_decrypt", "rc4_encrypt"):
        monkeypatch.setattr(_encryption, name, getattr(_fallback, name))


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_permission_only_encryption_is_read_where_cryptography_is_installed(tmp_path: Path,
                                                                           algorithm: str) -> None:
    document = read_pdf(encrypted(tmp_path, algorithm))
    assert TEXT in " ".join(block.text for block in document.blocks)


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_without_cryptography_an_aes_pdf_says_why_it_cannot_be_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, algorithm: str) -> None:
    data = encrypted(tmp_path, algorithm)
    without_cryptography(monkeypatch)
    with pytest.raises(Unusable) as caught:
        read_pdf(data)
    assert str(caught.value) == AES_UNAVAILABLE
    assert "AES" in AES_UNAVAILABLE and "unprotected copy" in AES_UNAVAILABLE


def test_without_cryptography_rc4_is_still_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = encrypted(tmp_path, "RC4-128")
    without_cryptography(monkeypatch)
    document = read_pdf(data)
    assert TEXT in " ".join(block.text for block in document.blocks)
