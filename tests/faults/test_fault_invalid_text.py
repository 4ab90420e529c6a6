"""Code points that are not text: lone surrogates, NUL and other control characters.

They made .md/.html/.docx/.txt fail to encode (UnicodeEncodeError) and .docx refuse them
(ValueError). Text is now cleaned once where it enters the app (the provider boundary, the topic
box) and the exporters clean whatever reaches them from elsewhere; nothing may make a format
fail, and every word must reach every format.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from export_samples import report
from export_text import missing_words, rendered_texts, saved_texts
from fault_driver import GOOD_NOTES, Faulty
from scripted_model import ScriptedChatModel, ScriptedReply

from hitl_desktop.core.models import Report
from hitl_desktop.core.providers.base import Message
from hitl_desktop.core.providers.retry import NO_RETRIES, RetryingChatModel
from hitl_desktop.core.text_safety import StreamCleaner, clean_text

# ----- code points that are not text -----------------------------------------------------------

BAD = {"lone-high-surrogate": "\ud800", "lone-low-surrogate": "\udfff", "nul": "\x00",
       "vertical-tab": "\x0b", "escape-sequence": "\x1b[31m", "noncharacter": "\ufffe",
       "delete": "\x7f", "bell": "\x07"}


@pytest.mark.parametrize("name", list(BAD))
def test_invalid_text_saves_in_every_format_with_every_word(app, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    import hitl_desktop.ui.pdf_export  # noqa: F401

    bad = BAD[name]
    markdown = (f"# Heading {bad} titleword\n\nBefore{bad} afterword and {bad} alone.\n\n"
                f"| cellword {bad} | b |\n|---|---|\n| {bad} rowword | x |\n\n- item {bad} listword\n")
    hostile = Report(topic=f"topic {bad} word", markdown=markdown, rounds=1, model=f"model{bad}")
    texts = saved_texts(tmp_path, "bad", hostile)  # raised UnicodeEncodeError / ValueError before
    words = ["Heading", "titleword", "afterword", "alone", "cellword", "rowword", "item", "listword"]
    assert missing_words(words, texts) == {}
    for suffix, text in texts.items():
        assert not any(ch in text for ch in "\x00\x0b\x1b\x07\x7f\ud800\udfff\ufffe"), suffix
    if name.startswith("lone") or name == "noncharacter":
        assert "\ufffd" in texts[".md"]  # replaced, visibly: not silently dropped


def test_clean_text_keeps_text_and_joins_split_surrogate_pairs() -> None:
    assert clean_text("plain ✓ 潮汐 🌊\ttab\nline") == "plain ✓ 潮汐 🌊\ttab\nline"
    assert clean_text("a\r\nb\rc") == "a\nb\nc"
    assert clean_text("x\ud83c\udf0ay") == "x🌊y"  # a pair, as UTF-16 would hold it
    assert clean_text("\ud800\x00\udc00z") == "\ufffd\ufffdz"
    cleaner = StreamCleaner()
    pieces = ["wave \ud83c", "\udf0a and \r", "\nend \ud800"]
    assert "".join(cleaner.feed(p) for p in pieces) + cleaner.flush() == "wave 🌊 and \nend \ufffd"


def test_model_output_and_prompts_are_cleaned_at_the_provider_boundary() -> None:
    # A pair split across two pieces, a lone surrogate, NUL and an escape sequence.
    inner = ScriptedChatModel(ScriptedReply(["Wave \ud83c", "\udf0a, lone \udc00, nul\x00, ", "\x1b[1mbold"]))
    model = RetryingChatModel(inner, NO_RETRIES)

    async def collect() -> list[str]:
        return [p async for p in model.stream_chat([Message("user", "topic\x00 with \ud800 in it")])]

    pieces = asyncio.run(collect())
    assert "".join(pieces) == "Wave 🌊, lone \ufffd, nul, [1mbold"
    assert all(p.encode("utf-8") for p in pieces)
    assert inner.calls[0][0].content == "topic with \ufffd in it"


def test_invalid_text_from_the_server_and_a_nul_in_the_topic_never_reach_a_file(
        faulty: Faulty, tmp_path: Path) -> None:
    """Through the real window: the server streams text that is not valid, the person pastes a
    topic with a NUL in it; the run completes and the report saves in every format."""
    faulty.fake.replies = [faulty.stream(["## Notes\n\n", "Lone \ud800 surrogate, nul\x00 ", "and more."]),
                           faulty.stream(["# Report\n\n", "Bell\x07 and \udfff tail ", "finalword."])]
    faulty.app.run("tidal\x00 power")
    faulty.app.approve(1)
    assert "finalword." in faulty.app.report()
    assert "\x00" not in faulty.fake.requests[0].prompt_text
    report_now = faulty.app.window.report
    assert "\x00" not in report_now.topic and "\x07" not in report_now.markdown
    for suffix in (".md", ".html", ".pdf", ".docx", ".txt"):
        faulty.app.window.save_report(tmp_path / f"saved{suffix}")
        assert (tmp_path / f"saved{suffix}").stat().st_size > 0
    assert "\ufffd tail" in (tmp_path / "saved.md").read_text(encoding="utf-8")


def test_every_format_keeps_every_word_of_an_ordinary_report(app) -> None:  # type: ignore[no-untyped-def]
    import hitl_desktop.ui.pdf_export  # noqa: F401

    texts = rendered_texts(report("# Plain\n\n" + " ".join(GOOD_NOTES)))
    assert missing_words(["Findings", "Fundy", "highest", "Earth"], texts) == {}
