"""`hitl-desktop --print-locale-report`: what Qt's ICU-backed text services answer, as JSON.

Qt reads Unicode's ICU data for collation (QCollator: the file dialog's sort order among other
places), legacy text encodings (QStringDecoder, e.g. for HTML pasted from other apps), locale-aware case mapping and time-zone names.
The Linux bundle ships a trimmed ICU data library (bundle.icu); the packaging tests
compare this report from the frozen app with the one from a full PySide6 install, so a trim
that drops data Qt reads shows up as a difference, in the language it affects.

Needs QtCore only: no display, no QApplication.
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Words whose order differs between languages: Swedish sorts å ä ö after z, German folds them
# into a o; Spanish ñ follows n; Chinese sorts by pinyin, Japanese by kana; Turkish dotless ı.
COLLATION_WORDS = ("zebra", "Äpfel", "apple", "ångström", "öl", "ob", "ñandú", "nube", "chico",
                   "cosa", "ılık", "ikinci", "Ilık", "İkinci", "中国", "北京", "阿姨", "日本",
                   "さくら", "カメラ", "あお", "서울", "가방", "Москва", "арбуз", "ελιά", "άλφα",
                   "مرحبا", "ابجد", "file10", "file2", "File1")
COLLATION_LOCALES = ("en_US", "de_DE", "sv_SE", "es_ES", "tr_TR", "zh_CN", "zh_TW", "ja_JP",
                     "ko_KR", "ru_RU", "el_GR", "ar_EG", "fi_FI", "da_DK", "cs_CZ", "pl_PL")
CASE_SAMPLES = (("tr_TR", "istanbul ılık"), ("az_AZ", "iyi"), ("lt_LT", "i̇̀"), ("el_GR", "ΟΔΟΣ άλφα"),
                ("de_DE", "straße"), ("nl_NL", "ijsland"), ("en_US", "ǆemal ﬁne"))
TIME_ZONES = ("Europe/Berlin", "Asia/Tokyo", "America/Sao_Paulo", "Asia/Kolkata", "Australia/Sydney")
ZONE_NAME_LOCALES = ("en_US", "de_DE", "ja_JP", "zh_CN", "ru_RU", "fr_FR", "es_ES", "ar_EG", "fa_IR",
                     "bn_BD", "hi_IN")


def collation() -> dict[str, list[str]]:
    from PySide6.QtCore import QCollator, QLocale

    orders = {}
    for name in COLLATION_LOCALES:
        collator = QCollator(QLocale(name))
        orders[name] = sorted(COLLATION_WORDS, key=collator.sortKey)
        collator.setNumericMode(True)
        collator.setCaseSensitivity(collator.caseSensitivity().CaseInsensitive)
        orders[f"{name} numeric, any case"] = sorted(COLLATION_WORDS, key=collator.sortKey)
    return orders


def case_mapping() -> dict[str, list[str]]:
    from PySide6.QtCore import QLocale

    return {name: [QLocale(name).toUpper(text), QLocale(name).toLower(text.upper())]
            for name, text in CASE_SAMPLES}


def encodings() -> dict[str, list[str]]:
    # Opening a converter loads its mapping table; PySide6 offers no call that converts bytes.
    from PySide6.QtCore import QStringConverter, QStringDecoder, QStringEncoder

    available = sorted(QStringConverter.availableCodecs())
    opening = [name for name in available
               if QStringDecoder(name).isValid() and QStringEncoder(name).isValid()]
    return {"available": available, "open": opening}


def zone_names() -> dict[str, list[str]]:
    from PySide6.QtCore import QLocale, QTimeZone

    names = {}
    for zone_id in TIME_ZONES:
        zone = QTimeZone(zone_id.encode())
        names[zone_id] = [zone.displayName(kind, style, QLocale(locale))
                          for locale in ZONE_NAME_LOCALES
                          for kind in (QTimeZone.TimeType.StandardTime, QTimeZone.TimeType.DaylightTime,
                                       QTimeZone.TimeType.GenericTime)
                          for style in (QTimeZone.NameType.LongName, QTimeZone.NameType.ShortName,
                                        QTimeZone.NameType.OffsetName)]
    return names


def report() -> dict[str, Any]:
    return {"collation": collation(), "case mapping": case_mapping(), "encodings": encodings(),
            "time-zone names": zone_names()}


def main() -> int:
    if hasattr(sys.stdout, "reconfigure"):  # the names are in many scripts; a console may not be UTF-8
        sys.stdout.reconfigure(encoding="utf-8")
    print(json.dumps(report(), ensure_ascii=False, indent=1, sort_keys=True))
    return 0
