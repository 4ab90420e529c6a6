"""A long report's Markdown cut at top-level headings parses, part by part, into what the whole
parses into: the PDF's HTML is made one part at a time while Qt lays out the parts before."""

from __future__ import annotations

import pytest
from export_samples import MALICIOUS_MARKDOWN, ORDINARY_MARKDOWN, UNICODE_MARKDOWN
from hypothesis import given, settings
from hypothesis import strategies as st

from hitl_desktop.core.export.html import body_html
from hitl_desktop.core.export.parsing import parse, share_joined, shared_parses
from hitl_desktop.core.export.sections import split_at_headings


def assert_parts_render_as_the_whole(markdown: str, at_least: int = 0) -> list[str]:
    parts = split_at_headings(markdown, at_least=at_least)
    assert "".join(parts) == markdown
    assert "".join(body_html(part, for_qt=True) for part in parts) == body_html(markdown, for_qt=True)
    return parts


@pytest.mark.parametrize("markdown", [ORDINARY_MARKDOWN, UNICODE_MARKDOWN, MALICIOUS_MARKDOWN * 3])
def test_the_sample_reports_cut_at_every_heading_render_as_the_whole(markdown: str) -> None:
    parts = assert_parts_render_as_the_whole(markdown)
    assert len(parts) >= 3
    assert all(part.startswith("#") for part in parts[1:])


def test_parts_are_at_least_as_long_as_asked() -> None:
    markdown = "".join(f"## Part {n}\n\n{'Words here. ' * 20}\n\n" for n in range(30))
    parts = assert_parts_render_as_the_whole(markdown, at_least=1000)
    assert all(len(part) >= 1000 for part in parts[:-1])
    assert 3 < len(parts) < 30
    assert split_at_headings(markdown, at_least=len(markdown)) == [markdown]


@pytest.mark.parametrize("markdown", [
    "Intro\n```\n# code, not a heading\n```\n# Heading\ntext\n",
    "Intro\n~~~~\n# code\n~~~\n# still code\n~~~~\n# Heading\n",
    "Intro\n``` python\n# code\n  ```\n# Heading\n",
    "Intro\n```\n# code\n```not a closing fence\n# still code\n```\n# Heading\n",
    "Intro ``` inline ``` code\n# Heading\n",
    "- a list\n  ```\n# heading: ends the list and its fence\n",
    "> ```\n# heading: ends the quote and its fence\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n# Heading after a table\n",
    "    indented code\n# Heading\n",
    "#hashtag is text\n#\n# Heading\n\n######\n####### seven is text\n",
    "Setext\n===\n# Heading\nlazy\n# Another",
    "Text\u2028# not a line of its own\n# Heading\n",
    "```\n# an unclosed fence runs to the end\n# and this\n",
])
def test_code_fences_and_look_alikes_are_not_cut(markdown: str) -> None:
    assert_parts_render_as_the_whole(markdown)


def test_a_report_with_link_reference_definitions_is_not_cut() -> None:
    markdown = "# One\n\nSee [the source][1].\n\n# Two\n\n[1]: https://example.org/\n"
    assert split_at_headings(markdown, at_least=0) == [markdown]
    assert_parts_render_as_the_whole(markdown)


_LINES = st.sampled_from([
    "# Heading", "## Sub", "#tag", "text with *emphasis", "more** text", "", "```", "~~~", "````",
    "  ```", "    ```", "- item", "  - nested", "1. first", "> quote", ">", "| a | b |", "|---|---|",
    "| 1 | 2 |", "    code", "[label]: https://example.org/", "[label]", "***", "---", "Setext", "===",
    "<b>raw</b>", "\ttab",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=40))
def test_any_mix_of_blocks_cut_at_headings_renders_as_the_whole(lines: list[str]) -> None:
    assert_parts_render_as_the_whole("\n".join(lines))


def without_source_lines(tokens: list) -> list[dict]:  # type: ignore[type-arg]
    def plain(token) -> dict:  # type: ignore[no-untyped-def, type-arg]
        found = token.as_dict(children=True, as_upstream=False)
        found.pop("map", None)
        found["children"] = [plain(child) for child in token.children or []]
        return found

    return [plain(token) for token in tokens]


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=40))
def test_the_parts_tokens_joined_are_the_wholes(lines: list[str]) -> None:
    """Every format saved with a PDF reads the tokens its HTML's parts were made from, joined."""
    markdown = "\n".join(lines)
    parts = split_at_headings(markdown, at_least=0)
    with shared_parses():
        share_joined(markdown, parts)
        joined = parse(markdown)
    assert without_source_lines(joined) == without_source_lines(parse(markdown))
