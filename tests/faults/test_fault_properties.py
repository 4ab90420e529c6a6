"""Property-based hostile input: topics, feedback, model output and file names, generated.

Through the workflow (a scripted model behind the real provider boundary), the views and every
export format: nothing crashes, nothing hangs (each example has a deadline) and no text is lost.
Examples are derandomized (the same ones on every run, so CI is stable) and few enough to keep
the suite fast; HYPOTHESIS_PROFILE=faults-deep runs many more.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from export_text import missing_words, rendered_texts
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scripted_model import ScriptedChatModel, ScriptedReply

from hitl_desktop.core import export
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import Report, ReviewDecision, ReviewRequest
from hitl_desktop.core.providers.retry import NO_RETRIES, RetryingChatModel
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.text_safety import clean_text

_COMMON = {"derandomize": True, "database": None, "deadline": timedelta(seconds=15), "print_blob": True,
           "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.data_too_large]}
settings.register_profile("faults", max_examples=30, **_COMMON)
settings.register_profile("faults-deep", max_examples=400, **_COMMON)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "faults"))
# The exports render PDF too (slow): fewer examples there, unless asked for depth.
FEW = max(12, PROFILE.max_examples // 3)

WHEN = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)
# Always tried, whatever is generated: a lone surrogate, NUL and escapes, a bidi override,
# a name longer than any file system takes, nothing but invisible characters.
NASTY = ["tides \ud800 in \udfff Fundy", "nul\x00 and \x1b[31m escape\r\nlines",
         "report\u202efdp.exe", "潮汐" * 200 + "🌊" * 50, "\u200b\u200b \t"]

# ----- strategies ----------------------------------------------------------------------------

# Any code point at all: lone surrogates, NUL and controls, right-to-left, combining marks, emoji.
# (Hypothesis leaves surrogates out unless told: exclude_categories=() lets them in.)
anything = st.text(st.characters(codec=None, exclude_categories=()), max_size=300)
# Text beside the words, hostile but unable to hide a word: no link, autolink, table cell or
# code-fence syntax (which would legitimately turn a word into an address, drop a surplus cell
# or make it a fence's info string).
noise = st.text(st.characters(codec=None, exclude_categories=(), exclude_characters="[]()<>|`~\\&!"),
               max_size=12)
word = st.from_regex(r"[a-z]{2,5}[0-9]{2,3}", fullmatch=True)  # "ab12": stands out in any text


@st.composite
def sentence(draw) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    words = draw(st.lists(word, min_size=1, max_size=6))
    parts = []
    for w in words:
        parts += [draw(noise).replace("\n", " "), w]
    return " ".join(parts), words


@st.composite
def block(draw, depth_limit: int = 14) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    kind = draw(st.sampled_from(["paragraph", "heading", "bullets", "numbered", "quote", "table", "code"]))
    text, words = draw(sentence())
    if kind == "heading":
        return "#" * draw(st.integers(1, 6)) + " " + text, words
    if kind in ("bullets", "numbered"):
        depth = draw(st.integers(1, depth_limit))
        lines, indent = [], 0
        found: list[str] = []
        for _level in range(depth):
            item, item_words = draw(sentence())
            marker = "- " if kind == "bullets" else "1. "
            lines.append(" " * indent + marker + item)
            indent += len(marker)
            found += item_words
        return "\n".join(lines), found
    if kind == "quote":
        return ">" * draw(st.integers(1, 30)) + " " + text, words
    if kind == "table":
        columns = draw(st.integers(1, 4))
        cells = draw(st.lists(word, min_size=columns * 2, max_size=columns * 2))
        rows = [cells[:columns], cells[columns:]]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * columns, "| " + " | ".join(rows[1]) + " |"]
        return "\n".join(lines), cells
    if kind == "code":
        return "```\n" + text + "\n```", words
    return text, words


@st.composite
def document(draw) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    blocks = draw(st.lists(block(), min_size=1, max_size=5))
    return "\n\n".join(b for b, _ in blocks) + "\n", [w for _, ws in blocks for w in ws]


# ----- exports ---------------------------------------------------------------------------------


@settings(PROFILE, max_examples=FEW)
@given(doc=document(), topic=anything)
def test_every_word_of_hostile_markdown_reaches_every_format(app, doc, topic: str) -> None:  # type: ignore[no-untyped-def]
    import hitl_desktop.ui.pdf_export  # noqa: F401 - registers .pdf

    markdown, words = doc
    texts = rendered_texts(Report(topic=topic, markdown=markdown, rounds=1, model="m", created_at=WHEN))
    assert missing_words(words, texts) == {}


@settings(PROFILE)
@given(markdown=anything, topic=anything, model=anything)
@example(markdown=NASTY[0] + "\n\n- " + NASTY[1], topic=NASTY[2], model=NASTY[0])
def test_any_text_at_all_saves_in_every_core_format(markdown: str, topic: str, model: str) -> None:
    report = Report(topic=topic, markdown=markdown, rounds=1, model=model, created_at=WHEN)
    for suffix in (".md", ".html", ".docx", ".txt"):
        data = export.render(report, export.FORMATS[suffix])
        assert data
    saved = export.render(report, export.FORMATS[".md"]).decode("utf-8")
    assert clean_text(markdown).rstrip() in saved  # the Markdown file keeps it all, cleaned


@settings(PROFILE)
@given(topic=anything)
@example(topic=NASTY[0])
@example(topic=NASTY[1])
@example(topic=NASTY[2])
@example(topic=NASTY[3])
@example(topic=NASTY[4])
def test_any_topic_gives_a_file_name_that_saves(tmp_path_factory, topic: str) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("names")
    for suffix in (".md", ".txt"):
        name = export.suggested_filename(topic, WHEN, suffix)
        assert "/" not in name and "\\" not in name and not re.search(r"[\x00-\x1f]", name)
        assert len(name.encode("utf-8")) <= 255 and name.endswith(suffix)
        path = export.save_report(folder / name, Report(topic=topic, markdown="# R\n", rounds=1,
                                                        created_at=WHEN))
        assert path.is_file() and path.parent == folder
    front = (folder / export.suggested_filename(topic, WHEN, ".md")).read_text(encoding="utf-8")
    assert f"topic: {json.dumps(clean_text(topic), ensure_ascii=False)}" in front


# ----- the workflow -----------------------------------------------------------------------------


@settings(PROFILE)
@given(topic=anything, feedback=anything, notes=anything, output=anything,
       chunking=st.integers(1, 7))
@example(topic=NASTY[0], feedback=NASTY[1], notes=NASTY[3], output="wave \ud83c\udf0a " + NASTY[1], chunking=1)
@example(topic=NASTY[4], feedback="", notes="", output="", chunking=1)
def test_any_topic_feedback_and_model_output_run_to_a_report(topic: str, feedback: str, notes: str,  # type: ignore[no-untyped-def]
                                                             output: str, chunking: int) -> None:
    """Round 1 is sent back with `feedback`, round 2 approved; the model writes `notes` and
    `output` in pieces of `chunking` characters, through the provider boundary the app uses."""
    def pieces(text: str) -> list[str]:
        return [text[i:i + chunking] for i in range(0, len(text), chunking)] or [""]

    scripted = ScriptedChatModel(ScriptedReply(pieces(notes) + ["."]), ScriptedReply(pieces(notes) + ["!"]),
                                 ScriptedReply(pieces(output) + ["end"]))
    model = RetryingChatModel(scripted, NO_RETRIES)
    session = ResearchSession(lambda: model)

    def answer(update) -> None:  # type: ignore[no-untyped-def]
        if isinstance(update, ReviewRequest):
            approve = update.round >= 2
            session.submit_decision(ReviewDecision(round=update.round, approved=approve,
                                                   feedback="" if approve else feedback))

    async def run() -> Report:
        return await asyncio.wait_for(session.run(topic, answer), timeout=10)

    try:
        report = asyncio.run(run())
    except UserFacingError as error:
        # Only a topic with nothing to research may be refused; feedback and output never are.
        assert error.kind is ErrorKind.BAD_INPUT and "Type a topic" in error.message
        assert all(unicodedata.category(ch)[0] in "CZ" for ch in topic)
        return
    assert report.markdown == redact(clean_text(output) + "end").strip()
    assert report.markdown.encode("utf-8")
    sent = "\n".join(m.content for call in scripted.calls for m in call)
    assert clean_text(sent) == sent  # every prompt went out as valid text
    if clean_text(feedback).strip() and feedback.strip():
        assert clean_text(feedback).strip()[:40] in scripted.prompt(1)


# ----- the views ----------------------------------------------------------------------------------


@settings(PROFILE, max_examples=FEW)
@given(doc=document(), cuts=st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_views_show_every_word_however_the_text_streams_in(qtbot, doc, cuts: list[int]) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.ui.widgets.report_view import ReportView
    from hitl_desktop.ui.widgets.safe_markdown import SafeTextBrowser

    markdown, words = doc
    whole = SafeTextBrowser()
    whole.set_safe_markdown(markdown)
    streamed = ReportView()
    position = 0
    for cut in cuts * 50:
        if position >= len(markdown):
            break
        streamed.append_delta(markdown[position:position + cut])
        position += cut
    streamed.append_delta(markdown[position:])
    streamed.flush_now()
    for view in (whole, streamed):
        shown = set(re.findall(r"\w+", view.toPlainText()))
        assert [w for w in words if w not in shown] == []
        view.deleteLater()


def test_the_profiles_keep_the_suite_fast() -> None:
    assert PROFILE.derandomize and PROFILE.deadline is not None
    assert Path(__file__).name.startswith("test_fault_")
