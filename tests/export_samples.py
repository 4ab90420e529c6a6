"""Reports the export tests share: an ordinary one, a many-scripts one and a hostile one, and
the ordinary one carrying how it was made."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser

from hitl_desktop.core.models import Report
from hitl_desktop.core.provenance import CitedDocument, Provenance, RoundRecord

WHEN = datetime(2026, 11, 25, 14, 30, tzinfo=timezone.utc)

ORDINARY_MARKDOWN = """# Tidal Power in Europe

Tidal power is **costly** but *predictable*; see the [EMEC test centre](https://www.emec.org.uk/) for data.

## Key findings

- MeyGen in Scotland is the largest array in operation.
- La Rance has produced power since 1966.
  - Its barrage changed the estuary's silt.
- Costs are falling with array size.

## Costs by site

| Site | Capacity (MW) | Cost (EUR/MWh) |
|------|--------------:|---------------:|
| MeyGen | 6 | 180 |
| La Rance | 240 | 95 |
| Swansea Bay lagoon | 320 | 168 |

## Next steps

3. Fund a second MeyGen phase.
4. Survey the Alderney race.

> Predictability is tidal power's strongest argument.

```python
lcoe = capex * crf / annual_mwh + opex_per_mwh
```

---

### Sources

Data from the `EMEC` register and ~~older~~ recent reports.
"""

UNICODE_MARKDOWN = """# 潮汐能报告 🌊

## 摘要

欧洲的潮汐能成本正在下降。

## الملخص

طاقة المد والجزر مكلفة لكنها متوقعة.

## סיכום

אנרגיית גאות ושפל צפויה.

- 日本語のテキスト
- 한국어 텍스트
- Emoji: 🌊⚡️

| 地点 | مدينة |
|------|-------|
| 苏格兰 | أوروبا |
"""

MALICIOUS_MARKDOWN = """# Totally normal report

<script>alert('xss')</script>

Hello <img src="http://evil.example/pixel.png" onerror="alert(1)"> world.

<a href="javascript:alert(2)" onclick="steal()">click</a>

[innocent link](javascript:alert(3)) and [data link](data:text/html;base64,PHNjcmlwdD4=)
and [vb](vbscript:msgbox) and [tabbed](java\tscript:alert(4)).

![tracking pixel](http://evil.example/track.png)

<iframe src="http://evil.example/"></iframe><style>body{display:none}</style>

Text after the script must survive.
"""


def report(markdown: str = ORDINARY_MARKDOWN, topic: str = "Tidal power in Europe") -> Report:
    return Report(topic=topic, markdown=markdown, rounds=2, model="qwen-plus", created_at=WHEN)


# Feedback a reviewer typed, with characters that would be markup anywhere.
FEEDBACK = 'Cover costs per MWh: "Sihwa" & #2 <b>[more](javascript:x)</b>'

PROVENANCE = Provenance(
    rounds=(RoundRecord(1, approved=False, feedback=FEEDBACK, decided_at=WHEN),
            RoundRecord(2, approved=True, decided_at=WHEN + timedelta(minutes=9), edited=True,
                        lines_added=3, lines_removed=1, reviewer="Ada Lovelace")),
    model="DashScope · qwen-plus", temperature=0.3, max_tokens=4096,
    documents=(CitedDocument("Tidal Atlas 2025", "/docs/tidal-atlas.pdf"),
               CitedDocument("Ofgem tidal review", "https://www.ofgem.gov.uk/tidal")),
    app_version="0.1.0")

# What the appendix says, in every format that has one.
APPENDIX = ["How this report was made", "Round 1: sent back", "Cover costs per MWh", "Round 2: approved",
            "by Ada Lovelace", "3 lines added, 1 removed", "DashScope · qwen-plus", "temperature 0.3",
            "at most 4,096 tokens per reply", "Tidal Atlas 2025", "Ofgem tidal review", "HITL Desktop 0.1.0"]
# None of which may appear with provenance off, nor anything of where the report came from.
MADE = [*APPENDIX, "qwen-plus", "research round", "HITL Desktop", "Sihwa", "2026-11-25"]


def made_report() -> Report:
    return replace(report(), provenance=PROVENANCE)


class _Collect(HTMLParser):
    """Every start tag with its attributes, and the text inside each tag kind."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_in: dict[str, list[str]] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.tags.append((tag, dict(attrs)))
        self._open.append(tag)

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        for tag in set(self._open):
            self.text_in.setdefault(tag, []).append(data)

    def text(self, tag: str) -> str:
        return "".join(self.text_in.get(tag, []))


def parse_html(text: str) -> _Collect:
    collected = _Collect()
    collected.feed(text)
    collected.close()
    return collected


def pdf_pieces_of_2000(report: Report, provenance: bool):  # type: ignore[no-untyped-def]
    """The PDF's HTML in pieces of about 2,000 characters (a second process runs this by name)."""
    from hitl_desktop.core.export.pdf_html import document_pieces

    yield from document_pieces(report, provenance, piece_chars=2000)


def pdf_pieces_failing_after_two(report: Report, provenance: bool):  # type: ignore[no-untyped-def]
    """Two of those pieces, then an error."""
    for index, piece in enumerate(pdf_pieces_of_2000(report, provenance)):
        if index == 2:
            raise RuntimeError("boom")
        yield piece
