"""The document-sources library: readers, passages, search relevance, the cache, bad input."""

from __future__ import annotations

import json
import logging
import os
import re
import textwrap
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from pdf_samples import make_pdf

from hitl_desktop.core.resources import sample_corpus_dir
from hitl_desktop.core.sources import (
    Cancelled,
    IndexSummary,
    SourceLibrary,
    no_documents_message,
    passage_id,
)
from hitl_desktop.core.sources import library as library_module
from hitl_desktop.core.sources import docx_reader, text_reader
from hitl_desktop.core.sources.passages import MAX_WORDS, TAIL_WORDS, split_passages
from hitl_desktop.core.sources.parsed import Block

TIDAL = """\
# Tidal Power in Europe

Tidal power turns the rise and fall of the sea into electricity. Europe has strong tides along
the Atlantic coasts of France and Britain, where tidal range schemes and tidal stream turbines
have been built or proposed for decades.

## Costs

### Capital costs

A tidal barrage is paid for almost entirely before it produces any electricity. The walls,
sluices and turbine halls of a barrage across an estuary cost billions, which is why capital
costs dominate the economics of tidal range power and why few barrages have been built.

### Operating costs

Once built, a tidal barrage runs for many decades with modest operating costs, and its tidal
turbines need less maintenance than turbines standing in open tidal streams.

## Sites

The Rance estuary in Brittany and the Severn estuary between Wales and England have some of the
largest tidal ranges in Europe, and both have been studied for tidal power since the last
century.
"""

BAKERY = """\
The bakeries of old Europe were powered by muscle, water and later steam power. A village bakery
baked bread for the whole parish in a wood-fired oven, and the baker rose at night to knead the
dough, shape the loaves and bake them before dawn.

Flour came from the mill by the river, where water power turned the stones. Bakers in every
European town were watched by officials who weighed their loaves and fined short weight.
"""

CORAL_HTML = """\
<!DOCTYPE html>
<html><head><title>Reef notes</title>
<style>.zzstyleword { color: red }</style>
<script>var zzscriptword = "never indexed";</script></head>
<body>
<nav>Home | About</nav>
<h1>Coral Reefs</h1>
<p>Coral reefs are built by colonies of tiny polyps that lay down skeletons of calcium
carbonate in warm, clear, shallow tropical seas.</p>
<h2>Bleaching</h2>
<h3>Causes</h3>
<p>Coral bleaching happens when unusually warm water makes corals expel the algae living in their
tissues, leaving the white skeleton showing through.</p>
<noscript>zzhiddenword</noscript>
</body></html>
"""


def make_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Bees in the City", 0)
    document.add_paragraph("Honey bees are kept on roofs and in gardens in many cities, where "
                           "parks and street trees give them a long season of flowers.")
    document.add_heading("Forage", 1)
    document.add_heading("Lime trees", 2)
    document.add_paragraph("In July the lime trees flower and city colonies gather pale honey "
                           "from them; beekeepers call it the main summer flow.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Month"
    table.cell(0, 1).text = "Forage"
    table.cell(1, 0).text = "July"
    table.cell(1, 1).text = "Lime"
    document.save(path)
    return path


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "documents"
    (folder / "sub folder").mkdir(parents=True)
    (folder / "Tidal power in Europe.md").write_text(TIDAL, encoding="utf-8")
    (folder / "bakery history.txt").write_text(BAKERY, encoding="utf-8")
    (folder / "sub folder" / "coral reefs.html").write_text(CORAL_HTML, encoding="utf-8")
    make_docx(folder / "Über Bienen – urban bees.docx")
    make_pdf(folder / "aviation.pdf", [
        "Early aviation began with balloons in France in 1783.",
        "Louis Blériot flew across the English Channel on 25 July 1909 in a monoplane, landing "
        "near Dover after about 37 minutes in the air."])
    return folder


def open_library(root: Path, tmp_path: Path) -> SourceLibrary:
    return SourceLibrary([root], tmp_path / "cache")


def sources_of(results) -> set[str]:  # type: ignore[no-untyped-def]
    return {Path(r.passage.source).name for r in results}


# --- Reading and finding -----------------------------------------------------------------------

def test_every_format_is_read_into_located_passages(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    summary = library.refresh()
    assert summary.documents == 5 and summary.skipped == [] and summary.reread == 5
    assert summary.passages == sum(d.passages for d in library.documents())

    best = library.search("capital costs of a tidal barrage")[0].passage
    assert best.title == "Tidal Power in Europe"
    assert best.location == "Costs › Capital costs"
    assert best.source == str(corpus / "Tidal power in Europe.md")
    assert best.text.startswith("A tidal barrage is paid for almost entirely")
    assert "\n" not in best.text and "  " not in best.text  # whitespace normalised, else verbatim

    html = library.search("why corals bleach in warm water")[0].passage
    assert (html.title, html.location) == ("Coral Reefs", "Bleaching › Causes")
    assert "Home | About" not in html.text

    word = library.search("lime trees honey in July")[0].passage
    assert word.title == "Bees in the City"
    assert word.location == "Forage › Lime trees"
    assert Path(word.source).name == "Über Bienen – urban bees.docx"
    assert any("July | Lime" in p.text for p in library.passages_of(word.source))

    pdf = library.search("Blériot English Channel")[0].passage
    assert pdf.location == "page 2" and pdf.title == "aviation.pdf"

    text = library.search("village bakery oven")[0].passage
    assert text.title == "bakery history.txt" and text.location == "paragraph 1"


def test_hidden_html_text_is_not_indexed(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    library.refresh()
    for word in ("zzscriptword", "zzstyleword", "zzhiddenword"):
        assert library.search(word) == []


def test_an_unrelated_document_is_never_returned(corpus: Path, tmp_path: Path) -> None:
    """The bakery text shares "power" and "Europe" with tidal queries; it must never come back."""
    library = open_library(corpus, tmp_path)
    library.refresh()
    for query in ("tidal power", "the economics of tidal power in Europe",
                  "tidal power in Europe: costs and sites", "power stations on European estuaries",
                  "capital costs"):
        results = library.search(query)
        assert results, query
        assert "bakery history.txt" not in sources_of(results), query
    assert library.search("quantum computing") == []
    assert library.search("the of and in") == []  # stopwords only


SUBJECT_QUERIES = {
    "tidal and wave energy": (
        ["tidal", "wave", "emec", "severn"],
        ["the economics of tidal power in Europe", "tidal power", "wave energy in Portugal",
         "capital costs of tidal barrages", "environmental effects of barrages on estuaries",
         "tidal stream turbines maintenance", "marine energy testing in Orkney",
         "history of tidal power in France"]),
    "beekeeping": (
        ["urban-beekeeping", "rooftop", "what-city-bees", "varroa", "swarming", "honey-bees"],
        ["urban beekeeping", "honey bees in Paris", "varroa mite treatment",
         "what flowers do bees need in cities", "do honey bees compete with wild bees",
         "history of beekeeping in Paris"]),
    "bread": (
        ["bread", "roman-bakeries", "medieval-bakers", "sourdough"],
        ["history of bread and bakeries", "bread in Europe", "Roman bakeries in Pompeii",
         "medieval bread prices and the law", "the oldest bread", "baguette heritage"]),
    "coral reefs": (
        ["reef", "coral", "great-barrier"],
        ["coral reefs", "coral bleaching and ocean warming", "Great Barrier Reef threats",
         "how atolls form", "ocean acidification effects", "history of coral reef science"]),
    "aviation": (
        ["balloon", "gliders", "wright", "santos", "bleriot", "aviators"],
        ["early aviation", "history of early aviation in Europe",
         "the Wright brothers first flight", "first flight across the English Channel",
         "women pilots licence", "aviation prizes and records in France"]),
}


def test_sample_corpus_queries_stay_on_their_subject(tmp_path: Path) -> None:
    """Every query finds passages, and only passages on its own subject (no passage that shares a
    common word such as "Europe", "history" or "Paris" with the query)."""
    library = SourceLibrary([sample_corpus_dir()], tmp_path / "cache")
    library.refresh()
    for subject, (prefixes, queries) in SUBJECT_QUERIES.items():
        for query in queries:
            results = library.search(query, k=20)
            assert results, query
            off_subject = {name for name in sources_of(results)
                           if not any(prefix in name for prefix in prefixes)}
            assert not off_subject, f"{subject}: {query!r} returned {off_subject}"


def test_scores_are_normalised_and_ordered(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    library.refresh()
    results = library.search("tidal barrage costs", k=3)
    scores = [r.score for r in results]
    assert 0 < scores[-1] <= scores[0] <= 1 and scores == sorted(scores, reverse=True)
    assert len(results) <= 3
    assert library.search("tidal barrage costs", k=0) == []
    # min_score can only narrow: above the best score nothing is left.
    assert library.search("tidal barrage costs", min_score=scores[0] + 0.01) == []


def test_exclusions_and_lookup_by_id(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    library.refresh()
    first = library.search("tidal power")
    best = first[0].passage
    assert library.passage(best.id) == best
    assert library.passage("no-such-passage") is None
    assert best.id == passage_id(best.source, best.position)

    without_best = library.search("tidal power", exclude_passages=[best.id])
    assert best.id not in {r.passage.id for r in without_best}
    tidal = str(corpus / "Tidal power in Europe.md")
    assert library.search("tidal power", exclude_sources=[tidal]) == []


def test_passage_ids_are_stable_across_runs(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    library.refresh()
    ids = [r.passage.id for r in library.search("tidal")]
    assert ids
    elsewhere = SourceLibrary([corpus], tmp_path / "another cache")
    elsewhere.refresh()
    assert [r.passage.id for r in elsewhere.search("tidal")] == ids


# --- Passages ----------------------------------------------------------------------------------

def test_passages_are_sized_and_keep_sections_apart() -> None:
    sentence = "The tide comes in over the sands and goes out again twice a day. "
    long_paragraph = sentence * 60  # 780 words, one paragraph
    blocks = [Block("Intro", "A short opening paragraph."), Block("Long", long_paragraph),
              *[Block("Many", f"Paragraph {n}. " + sentence * 3) for n in range(12)]]
    pieces = split_passages(blocks)
    assert pieces[0].location == "Intro"  # a section is never merged into another
    for piece in pieces[1:]:
        words = len(piece.text.split())
        assert 60 <= words <= MAX_WORDS + TAIL_WORDS, (piece.location, words)
    assert {p.location for p in pieces} == {"Intro", "Long", "Many"}
    # Verbatim: every word of the input is in exactly one passage, in order.
    joined = " ".join(p.text for p in pieces)
    assert joined.split() == " ".join(b.text for b in blocks).split()


def test_plain_text_passages_name_their_first_paragraph() -> None:
    blocks = [Block("", f"Paragraph {n} " + "word " * 40) for n in range(1, 6)]
    pieces = split_passages(blocks)
    assert [p.location for p in pieces] == ["paragraph 1", "paragraph 3", "paragraph 5"]
    assert pieces[1].text.startswith("Paragraph 3 ")


def test_markdown_details() -> None:
    document = text_reader.read_markdown(textwrap.dedent("""\
        ---
        title: front matter is not text
        ---
        Guide
        =====

        Intro text.

        ```
        # not a heading
        ```

        Setext section
        --------------

        Body **bold** text.
        ## Closed heading ##
        Last.
        """))
    assert document.title == "Guide"
    assert [(b.location, b.text) for b in document.blocks] == [
        ("Guide", "Intro text."),
        ("Guide", "``` # not a heading ```"),
        ("Setext section", "Body **bold** text."),
        ("Closed heading", "Last."),
    ]


# --- The cache ---------------------------------------------------------------------------------

def test_refresh_rereads_only_what_changed(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    assert library.refresh().reread == 5
    assert library.refresh().reread == 0

    tidal = corpus / "Tidal power in Europe.md"
    later = time.time() + 10
    os.utime(tidal, (later, later))  # touched, content unchanged
    summary = library.refresh()
    assert summary.reread == 1 and summary.documents == 5
    assert library.refresh().reread == 0  # the new time was remembered

    tidal.write_text(TIDAL.replace("Capital costs", "Building costs"), encoding="utf-8")
    os.utime(tidal, (later + 10, later + 10))
    assert library.refresh().reread == 1
    assert library.search("capital costs")[0].passage.location == "Costs › Building costs"

    (corpus / "bakery history.txt").unlink()
    summary = library.refresh()
    assert summary.documents == 4 and summary.reread == 0
    assert library.search("village bakery oven") == []

    (corpus / "new notes.md").write_text("# Notes\n\nSourdough starters need feeding.\n",
                                         encoding="utf-8")
    assert library.refresh().reread == 1
    assert library.search("sourdough starter")[0].passage.title == "Notes"


def test_a_reopened_library_reads_no_file(corpus: Path, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    first = open_library(corpus, tmp_path)
    first.refresh()
    expected = [r.passage for r in first.search("tidal power")]

    def no_reading(*args: object) -> None:
        raise AssertionError("a file was parsed again")

    monkeypatch.setattr(library_module, "read_document", no_reading)
    reopened = open_library(corpus, tmp_path)
    # Before any refresh, search uses the saved index.
    assert [r.passage for r in reopened.search("tidal power")] == expected
    summary = reopened.refresh()
    assert (summary.reread, summary.documents) == (0, 5)
    assert [d.path for d in reopened.documents()] == [d.path for d in first.documents()]


def test_a_damaged_cache_is_discarded_and_rebuilt(corpus: Path, tmp_path: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    open_library(corpus, tmp_path).refresh()
    cache_file = tmp_path / "cache" / "files.jsonl"
    whole = cache_file.read_bytes()
    header, first_file, rest = whole.split(b"\n", 2)
    for damage in (b"{not json", b'{"format": 1, "generation": "x", "files": {"a": {}}}',
                   b"\x00\xff" * 100, b"[]", b"\n".join((header, first_file)) + b"\n",  # cut short
                   b"\n".join((header, b'["a.md", {"root": "x"}]', rest))):
        cache_file.write_bytes(damage)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            library = open_library(corpus, tmp_path)
            summary = library.refresh()
        assert (summary.documents, summary.reread) == (5, 5)
        assert "damaged" in caplog.text
        assert library.search("tidal power")
    assert cache_file.read_bytes().count(b"\n") == whole.count(b"\n")  # rewritten whole
    assert [json.loads(line) for line in cache_file.read_bytes().splitlines()]


def test_the_cache_has_a_line_for_each_file_and_replaces_the_one_before_json_lines(
        corpus: Path, tmp_path: Path) -> None:
    # One JSON document for the whole cache was one long C call holding the GIL on the
    # refreshing thread (the window froze 140 ms for 10 MB of documents); a line is one file.
    (tmp_path / "cache").mkdir()
    old_cache = tmp_path / "cache" / "sources.json"
    old_cache.write_text('{"format": 1, "generation": "x", "files": {}}', encoding="utf-8")
    library = open_library(corpus, tmp_path)
    assert library.refresh().reread == 5  # the old cache is not read
    assert not old_cache.exists()
    header, *files = (tmp_path / "cache" / "files.jsonl").read_bytes().splitlines()
    assert json.loads(header)["files"] == len(files) == 5
    assert sorted(Path(json.loads(line)[0]).name for line in files) == sorted(
        Path(d.path).name for d in library.documents())
    reopened = open_library(corpus, tmp_path)
    assert reopened.refresh().reread == 0
    assert [r.passage for r in reopened.search("tidal power")] == [r.passage for r in library.search("tidal power")]


def test_a_damaged_index_is_rebuilt_from_cached_tokens(corpus: Path, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    open_library(corpus, tmp_path).refresh()
    (index_folder,) = (tmp_path / "cache").glob("index-*")
    for file in index_folder.iterdir():
        file.write_bytes(b"garbage")
    with caplog.at_level(logging.WARNING):
        library = open_library(corpus, tmp_path)
        assert library.search("tidal power")  # works before refresh, from the cached tokens
    assert "rebuilding" in caplog.text
    assert library.refresh().reread == 0
    assert open_library(corpus, tmp_path).search("tidal power")  # and was saved again


def test_a_cancelled_refresh_leaves_the_previous_index(corpus: Path, tmp_path: Path) -> None:
    library = open_library(corpus, tmp_path)
    library.refresh()
    (corpus / "new notes.md").write_text("# Notes\n\nSourdough starters need feeding.\n",
                                         encoding="utf-8")
    seen: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        library.refresh(progress=lambda done, total: seen.append((done, total)),
                        cancelled=lambda: len(seen) >= 3)
    assert seen[0] == (0, 6)
    assert library.search("sourdough") == []  # still the previous index
    assert library.search("tidal power")
    assert open_library(corpus, tmp_path).refresh().reread == 1  # the cache was not written


def test_progress_counts_every_file(corpus: Path, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    open_library(corpus, tmp_path).refresh(progress=lambda done, total: seen.append((done, total)))
    assert seen == [(n, 5) for n in range(6)]


# --- Bad input ---------------------------------------------------------------------------------

def make_zip_bomb(path: Path, megabytes: int) -> Path:
    """A .docx-named zip whose document.xml expands from ~100 KB to `megabytes` MB of zeros."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * 2**20
            for _ in range(megabytes):
                member.write(chunk)
    return path


def test_bad_files_are_skipped_with_reasons(corpus: Path, tmp_path: Path) -> None:
    bad = corpus / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (bad / "latin.txt").write_bytes("Café crème, déjà vu: old bakeries in Lyon.".encode("cp1252"))
    (bad / "empty.md").write_bytes(b"")
    (bad / "only headings.md").write_text("# Title\n\n## Section\n", encoding="utf-8")
    (bad / "broken.pdf").write_bytes(b"%PDF-1.7\n" + os.urandom(2000))
    make_pdf(bad / "locked.pdf", ["Secret tidal figures."], password="secret")
    make_pdf(bad / "blank.pdf", [""])
    (bad / "fake.docx").write_text("this is not a zip archive", encoding="utf-8")
    with zipfile.ZipFile(bad / "wrong zip.docx", "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a Word document")
    make_zip_bomb(bad / "bomb.docx", 150)
    with open(bad / "huge.md", "wb") as huge:  # sparse: takes no disk space
        huge.truncate(21 * 2**20)
    (bad / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    tracemalloc.start()
    started = time.perf_counter()
    summary = open_library(corpus, tmp_path).refresh()
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons == {
        "binary.txt": "not text (binary)",
        "empty.md": "empty",
        "only headings.md": "empty",
        "broken.pdf": "damaged PDF",
        "locked.pdf": "encrypted PDF (it needs a password)",
        "blank.pdf": "no text in it (a scanned PDF needs text recognition first)",
        "fake.docx": "damaged Word file (not a valid .docx archive)",
        "wrong zip.docx": "could not be read (damaged or not what its name says)",
        "bomb.docx": "Word file expands suspiciously (a compressed-file bomb?)",
        "huge.md": "larger than the 20 MB limit",
    }
    assert summary.documents == 6  # the five good ones and latin.txt
    assert summary.unsupported == 1  # the picture: not listed, counted
    assert peak < 40 * 2**20, f"{peak / 2**20:.0f} MB"  # the bomb was never expanded
    assert elapsed < 10


def test_declared_unpacked_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docx_reader, "MAX_DOCX_UNPACKED_BYTES", 10_000)
    folder = tmp_path / "docs"
    folder.mkdir()
    make_docx(folder / "bees.docx")
    summary = open_library(folder, tmp_path).refresh()
    assert [s.reason for s in summary.skipped] == ["Word file unpacks to more than 0 MB"]


def test_unreadable_files_and_folders_are_listed(corpus: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """(Tests run as root, where permissions do not stop reading: the refusals are simulated.)"""
    locked_file = str(corpus / "Tidal power in Europe.md")
    locked_folder = str(corpus / "sub folder")
    real_open, real_scandir = open, os.scandir

    def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == locked_file:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    def refusing_scandir(path):  # type: ignore[no-untyped-def]
        if str(path) == locked_folder:
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr("builtins.open", refusing_open)
    monkeypatch.setattr(os, "scandir", refusing_scandir)
    summary = open_library(corpus, tmp_path).refresh()
    assert {(Path(s.path).name, s.reason) for s in summary.skipped} == {
        ("Tidal power in Europe.md", "cannot be read (permission denied)"),
        ("sub folder", "folder cannot be opened (permission denied)"),
    }
    assert summary.documents == 3


def test_links_are_followed_once_and_loops_end(corpus: Path, tmp_path: Path) -> None:
    (corpus / "sub folder" / "back to the top").symlink_to(corpus, target_is_directory=True)
    (corpus / "loop").symlink_to(corpus / "loop")  # a link to itself
    (corpus / "same tidal.md").symlink_to(corpus / "Tidal power in Europe.md")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "linked.md").write_text("# Linked\n\nA linked folder about lagoons.\n",
                                       encoding="utf-8")
    (corpus / "linked folder").symlink_to(outside, target_is_directory=True)
    summary = SourceLibrary([corpus, corpus / "sub folder"], tmp_path / "cache").refresh()
    assert summary.documents == 6  # the five, the linked one; no duplicates
    assert summary.skipped == []


def test_roots_that_are_files_missing_or_unsupported(corpus: Path, tmp_path: Path) -> None:
    picture = tmp_path / "photo.jpg"
    picture.write_bytes(b"\xff\xd8\xff")
    roots = [corpus / "aviation.pdf", tmp_path / "nowhere", picture]
    summary = SourceLibrary(roots, tmp_path / "cache").refresh()
    assert summary.documents == 1
    reasons = {Path(s.path).name: s.reason for s in summary.skipped}
    assert reasons["nowhere"] == "not found"
    assert reasons["photo.jpg"].startswith("not a supported type (.jpg;")


def test_no_usable_documents_gets_a_plain_message(tmp_path: Path) -> None:
    folder = tmp_path / "nothing here"
    folder.mkdir()
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "binary.txt").write_bytes(b"\0\0\0")
    (folder / "sheet.xlsx").write_bytes(b"PK")
    summary = open_library(folder, tmp_path).refresh()
    assert summary.documents == 0
    assert no_documents_message(summary, [folder]) == (
        "The added files and folders hold no usable documents: 2 files were skipped (not text "
        "(binary); empty), and 1 file is of a type that cannot be read. Add Markdown, plain "
        "text, HTML, PDF or Word (.docx) files.")
    assert no_documents_message(IndexSummary(0, 0, 0, []), []).startswith(
        "No documents have been added.")
    assert no_documents_message(IndexSummary(1, 3, 0, []), [folder]) is None
    assert SourceLibrary([], tmp_path / "cache2").refresh().documents == 0


def test_an_unwritable_cache_still_indexes(corpus: Path, tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be", encoding="utf-8")
    library = SourceLibrary([corpus], blocker / "sources")
    with caplog.at_level(logging.WARNING):
        assert library.refresh().documents == 5
    assert "could not be saved" in caplog.text
    assert library.search("tidal power")


# --- The sample corpus -------------------------------------------------------------------------

def test_the_sample_corpus_is_complete_and_licensed(tmp_path: Path) -> None:
    folder = sample_corpus_dir()
    articles = sorted(folder.glob("*.md"))
    assert len(articles) == 30
    for article in articles:
        text = article.read_text(encoding="utf-8")
        assert 150 <= len(text.split()) <= 400, article.name
        assert text.startswith("# "), article.name
        assert len(re.findall(r"^## ", text, flags=re.MULTILINE)) >= 2, article.name
    assert "CC0-1.0" in (folder / "LICENSE").read_text(encoding="utf-8")
    summary = SourceLibrary([folder], tmp_path / "cache").refresh()
    assert (summary.documents, summary.skipped) == (30, [])


def test_text_without_spaces_is_cut_by_length() -> None:
    blob = "QUJD" * 5000  # 20,000 characters, one "word"
    pieces = split_passages([Block("Data", "Encoded: " + blob)])
    assert len(pieces) == 7 and max(len(p.text) for p in pieces) <= 3000
    assert "".join(p.text for p in pieces).replace(" ", "") == ("Encoded: " + blob).replace(" ", "")


def test_a_refused_file_is_tried_again(corpus: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    locked = str(corpus / "bakery history.txt")
    real_open = open

    def refusing_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file) == locked:
            raise PermissionError(13, "Permission denied", file)
        return real_open(file, *args, **kwargs)

    library = open_library(corpus, tmp_path)
    monkeypatch.setattr("builtins.open", refusing_open)
    assert library.refresh().documents == 4
    assert library.refresh().reread == 1  # still refused, so tried again; nothing else read
    monkeypatch.setattr("builtins.open", real_open)  # permission granted, time unchanged
    summary = library.refresh()
    assert (summary.documents, summary.reread, summary.skipped) == (5, 1, [])
