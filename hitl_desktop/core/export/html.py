"""HTML export: one self-contained file (CSS embedded, nothing fetched), readable and printable.

The body comes from the shared Markdown parser (raw HTML off, unsafe links never linked). Images
are not embedded: a remote image becomes a plain link, so opening the file loads nothing, and a
Content-Security-Policy forbids any fetch should something slip through.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from hitl_desktop.core.export.appendix import appendix_markdown
from hitl_desktop.core.export.parsing import is_rtl, parse, parser
from hitl_desktop.core.export.report_facts import provenance_items, report_title
from hitl_desktop.core.models import Report

_DIR_AUTO_BLOCKS = frozenset({"paragraph_open", "heading_open", "list_item_open", "blockquote_open",
                              "th_open", "td_open", "bullet_list_open", "ordered_list_open"})
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

_CSS = """
:root { color-scheme: light dark; --fg: #1d1f23; --muted: #5c6370; --rule: #d0d4da;
        --code-bg: #f3f4f6; --accent: #1f5fbf; --head-bg: #eef1f5; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e6ea; --muted: #a0a6b0; --rule: #3b4048; --code-bg: #262a30;
          --accent: #7fb0ff; --head-bg: #2b3038; }
  body { background: #181a1e; }
}
html { font-size: 17px; }
body { margin: 0 auto; max-width: 46rem; padding: 2.5rem 1.5rem 3rem; color: var(--fg);
       font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "Noto Sans Arabic", "Noto Sans Hebrew", "DejaVu Sans", sans-serif, "Noto Color Emoji";
       line-height: 1.6; overflow-wrap: break-word; }
header.provenance { border-bottom: 2px solid var(--rule); margin-bottom: 1.8rem; padding-bottom: .8rem;
                    color: var(--muted); font-size: .85rem; }
header.provenance dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
header.provenance dt { font-weight: 600; }
header.provenance dd { margin: 0; }
section.how-made { border-top: 2px solid var(--rule); margin-top: 3rem; padding-top: .4rem;
                   color: var(--muted); font-size: .9rem; }
section.how-made h2 { border-bottom: 0; font-size: 1.2rem; margin-top: 1rem; }
section.how-made h3 { font-size: 1rem; }
footer.provenance { border-top: 1px solid var(--rule); margin-top: 3rem; padding-top: .6rem;
                    color: var(--muted); font-size: .8rem; }
h1, h2, h3, h4, h5, h6 { line-height: 1.25; margin: 1.8em 0 .6em; }
h1 { font-size: 2rem; margin-top: 0; }
h2 { font-size: 1.45rem; border-bottom: 1px solid var(--rule); padding-bottom: .2em; }
h3 { font-size: 1.2rem; }
p, ul, ol, blockquote, pre, table { margin: 0 0 1em; }
ul, ol { padding-inline-start: 1.6em; }
li + li { margin-top: .25em; }
a { color: var(--accent); }
blockquote { margin-inline: 0; padding: .2em 1em; border-inline-start: 4px solid var(--rule);
             color: var(--muted); }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono",
            "Noto Sans Mono CJK SC", monospace; font-size: .88em; }
code { background: var(--code-bg); padding: .1em .3em; border-radius: 3px; }
pre { background: var(--code-bg); padding: .8em 1em; border-radius: 6px; overflow-x: auto;
      line-height: 1.45; white-space: pre-wrap; }
pre code { background: none; padding: 0; font-size: 1em; }
table { border-collapse: collapse; width: 100%; font-size: .92em; display: block; overflow-x: auto; }
th, td { border: 1px solid var(--rule); padding: .4em .7em; text-align: start; vertical-align: top; }
th { background: var(--head-bg); }
tbody tr:nth-child(even) td { background: color-mix(in srgb, var(--head-bg) 45%, transparent); }
hr { border: 0; border-top: 1px solid var(--rule); margin: 2em 0; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; color: #000; background: #fff; }
  a { color: #000; }
  a[href^="http"]::after { content: " (" attr(href) ")"; font-size: .8em; color: #444;
                           overflow-wrap: anywhere; }
  pre, blockquote, tr, img { break-inside: avoid; }
  h1, h2, h3, h4 { break-after: avoid; }
  table { display: table; }
  pre { white-space: pre-wrap; }
}
@page { margin: 2cm; }
"""


def render_html(report: Report, *, provenance: bool = True) -> str:
    """The complete standalone HTML document for `report`. With `provenance` off it says nothing
    of where the report came from: no header, footer, generator or appendix."""
    from hitl_desktop import __version__

    title = html.escape(report_title(report))
    body = body_html(report.markdown)
    header = footer = generator = appendix = ""
    if provenance:
        header = _provenance_header(report) + "\n"
        footer = (f'<footer class="provenance" dir="auto">Written by {html.escape(report.model or "a model")} '
                  f"with HITL Desktop {html.escape(__version__)} after {report.rounds} reviewed research "
                  f"round{'s' if report.rounds != 1 else ''}.</footer>\n")
        generator = f'<meta name="generator" content="HITL Desktop {html.escape(__version__)}">\n'
        if report.provenance is not None:
            appendix = (f'<section class="how-made" id="how-this-report-was-made">\n'
                        f"{body_html(appendix_markdown(report.provenance))}</section>\n")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{guess_language(report.markdown)}" dir="{_page_dir(report.markdown)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{generator}"
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"{header}<main>\n{body}</main>\n{appendix}{footer}</body>\n</html>\n"
    )


def body_html(markdown: str, *, for_qt: bool = False) -> str:
    """The report body as HTML. `for_qt` adds the table attributes Qt's HTML importer needs."""
    md = parser()
    return _ExportRenderer(for_qt=for_qt).render(parse(markdown), md.options, {})


def _provenance_header(report: Report) -> str:
    rows = "".join(f"<dt>{html.escape(label)}</dt><dd dir=\"auto\">{html.escape(value)}</dd>"
                   for label, value in provenance_items(report) if label != "Generator")
    return f'<header class="provenance"><dl>{rows}</dl></header>'


_LINK_REL = "noopener noreferrer nofollow"
# Qt draws the PDF's grid lines as the table's background showing through 1 px of cell spacing
# (the PDF's stylesheet colours it): its border-collapse mode looks the same but lays out and
# paints a 300-page report's tables about twice as slowly.
_QT_TABLE = {"border": "0", "cellspacing": "1", "cellpadding": "5", "width": "100%"}


class _ExportRenderer(RendererHTML):
    """markdown-it's HTML renderer plus what the exports add: `dir` on blocks, Qt's table
    attributes, `rel` on links, and images shown as links to them. Added as the HTML is written,
    never to the tokens: the other formats of the same save read the same tokens
    (`parsing.shared_parses`). One per rendering, since it holds the token being written."""

    def __init__(self, *, for_qt: bool) -> None:
        super().__init__()
        self._for_qt = for_qt
        self._token: Token | None = None
        self._added: dict[str, str] = {}

    def renderToken(self, tokens: Sequence[Token], idx: int, options: OptionsDict,  # noqa: N802
                    env: EnvType) -> str:
        self._token, self._added = tokens[idx], self._attributes_for(tokens, idx)
        try:
            return super().renderToken(tokens, idx, options, env)
        finally:
            self._token, self._added = None, {}

    def renderAttrs(self, token: Token) -> str:  # type: ignore[override]  # noqa: N802
        if token is not self._token or not self._added:
            return super().renderAttrs(token)
        # As Token.attrSet would: an attribute already there keeps its place, a new one goes last.
        return "".join(f' {escapeHtml(name)}="{escapeHtml(str(value))}"'
                       for name, value in {**token.attrs, **self._added}.items())

    def image(self, tokens: Sequence[Token], idx: int, _options: OptionsDict, _env: EnvType) -> str:
        """An image is shown as a link to it, never loaded: opening a report must fetch nothing."""
        image = tokens[idx]
        text = escapeHtml(f"[Image: {image.content or 'image'}]")
        src = str(image.attrGet("src") or "")
        if not src:
            return text
        return (f'<a href="{escapeHtml(src)}" class="image-link" rel="{_LINK_REL}">'
                f"{text}</a>")

    def _attributes_for(self, tokens: Sequence[Token], idx: int) -> dict[str, str]:
        token = tokens[idx]
        if token.type == "link_open":
            return {"rel": _LINK_REL}
        if token.type in _DIR_AUTO_BLOCKS:
            if not self._for_qt:
                return {"dir": "auto"}
            # Qt does not understand dir="auto" and lays every block out left-to-right.
            return {"dir": "rtl"} if _opens_rtl_text(tokens, idx) else {}
        if token.type == "table_open" and self._for_qt:
            return _QT_TABLE
        return {}


def _opens_rtl_text(tokens: Sequence[Token], index: int) -> bool:
    for token in tokens[index + 1:index + 4]:
        if token.type == "inline":
            return is_rtl(token.content)
    return False


def _page_dir(markdown: str) -> str:
    return "rtl" if is_rtl(markdown[:2000]) else "ltr"


_SCRIPT_LANGUAGES = (
    ("ar", ((0x0600, 0x06FF), (0x0750, 0x077F))),
    ("he", ((0x0590, 0x05FF),)),
    ("ja", ((0x3040, 0x30FF),)),
    ("ko", ((0xAC00, 0xD7AF),)),
    ("zh", ((0x4E00, 0x9FFF),)),
)


def guess_language(markdown: str) -> str:
    """A language tag from the dominant non-Latin script of the opening text, else 'en'.

    It only picks fonts and hyphenation in browsers; a wrong guess for a Latin-script language
    costs little, so anything not clearly CJK, Arabic or Hebrew is tagged English.
    """
    sample = markdown[:4000]
    letters = sum(ch.isalpha() for ch in sample) or 1
    counts = {lang: sum(any(lo <= ord(ch) <= hi for lo, hi in ranges) for ch in sample)
              for lang, ranges in _SCRIPT_LANGUAGES}
    if counts["ja"]:  # kana marks Japanese even when Han characters outnumber it
        counts["ja"] += counts.pop("zh")
    lang, count = max(counts.items(), key=lambda item: item[1])
    return lang if count * 3 >= letters else "en"
