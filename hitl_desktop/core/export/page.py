"""Paper size for the Qt-free formats (Word). The PDF asks QLocale; this reads the same locale
variables Qt reads on Unix, so both agree: Letter in the US and its neighbours, A4 elsewhere."""

from __future__ import annotations

import locale
import os

# Territories where Letter is the everyday paper size.
_LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "VE", "PR", "GT", "CR",
                                 "PA", "SV", "NI", "DO", "BZ"})


def default_page_size() -> str:
    """'Letter' or 'A4' for the user's locale."""
    for name in ("LC_ALL", "LC_PAPER", "LC_MEASUREMENT", "LANG"):
        value = os.environ.get(name)
        if value:
            return _size_for(value)
    try:
        value = locale.getlocale()[0] or ""
    except ValueError:
        value = ""
    return _size_for(value)


def _size_for(locale_name: str) -> str:
    # "en_US.UTF-8", "fr-CA", "English_United States" (Windows) all name a territory.
    base = locale_name.split(".")[0].split("@")[0].replace("-", "_")
    territory = base.split("_")[-1].upper() if "_" in base else ""
    if territory in _LETTER_TERRITORIES or territory == "UNITED STATES":
        return "Letter"
    return "A4"
