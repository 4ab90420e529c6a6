"""DashScope's web search: the request parameters that turn it on, and the pages a reply lists.

Qwen on DashScope searches the web itself when a request has `enable_search`; `search_options`
asks for the pages it found (`enable_source`) and for markers citing them in the text
(`enable_citation`, in our `citation_format`). The pages arrive in
`output.search_info.search_results` (index, title, url, site_name, icon): in the first chunk of a
stream, or again in later ones, so the caller collects them all and keeps each page once.
"""

from __future__ import annotations

import copy
from typing import Any

from hitl_desktop.core.text_safety import clean_text
from hitl_desktop.core.web_citations import WEB_MARKER_FORMAT, WebSource

_SEARCH_PARAMETERS: dict[str, Any] = {
    "enable_search": True,
    "search_options": {
        "enable_source": True,
        "enable_citation": True,
        "citation_format": WEB_MARKER_FORMAT,
        # The person turned web search on for research: search every round, rather than let the
        # model answer from memory and cite nothing.
        "forced_search": True,
    },
}


def search_parameters() -> dict[str, Any]:
    """The request parameters that have the model search the web and cite what it found."""
    return copy.deepcopy(_SEARCH_PARAMETERS)


def pages_in(response: Any) -> list[WebSource]:
    """The web pages one streamed response lists, in its order ([] when it lists none)."""
    output = getattr(response, "output", None)
    info = output.get("search_info") if isinstance(output, dict) else None
    results = info.get("search_results") if isinstance(info, dict) else None
    pages: list[WebSource] = []
    for result in results if isinstance(results, list) else ():
        if not isinstance(result, dict):
            continue
        url = clean_text(str(result.get("url") or "")).strip()
        # Only web addresses: a report links each one, and nothing else belongs in a link.
        if not url.startswith(("http://", "https://")):
            continue
        index = result.get("index")
        pages.append(WebSource(url=url, title=_one_line(result.get("title")),
                               site=_one_line(result.get("site_name")),
                               indexes=(index,) if isinstance(index, int) and not isinstance(index, bool)
                               else ()))
    return pages


def _one_line(value: object) -> str:
    return " ".join(clean_text(str(value or "")).split())
