"""Real PDFs made with pypdf's writer for the tests: plain text pages, and encrypted copies."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def make_pdf(path: Path, pages: list[str], *, password: str | None = None) -> Path:
    """A real PDF with one text line per ~80 characters, made with pypdf's writer."""
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for text in pages:
        page = writer.add_blank_page(612, 792)
        lines = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                 for line in textwrap.wrap(text, 80)]
        operators = ["BT", "/F1 11 Tf", "14 TL", "72 720 Td", *[f"({line}) Tj T*" for line in lines],
                     "ET"]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(operators).encode("latin-1"))
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        page.replace_contents(stream)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    writer.write(path)
    return path


def encrypted_pdf(path: Path, text: str, algorithm: str) -> Path:
    """A one-page PDF protected by an owner password only, so it opens with an empty one (as
    many PDFs that only restrict printing or copying do)."""
    plain = make_pdf(path.with_name(f"plain-{path.name}"), [text])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt("", owner_password="owner-secret", algorithm=algorithm)
    writer.write(path)
    plain.unlink()
    return path
