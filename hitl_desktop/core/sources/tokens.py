"""Words to index terms: lowercase, English stopwords dropped, Snowball-stemmed (PyStemmer)."""

from __future__ import annotations

import re
import threading

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

_WORD = re.compile(r"[^\W_]+")
_STOPWORDS = frozenset(STOPWORDS_EN)
_MAX_TOKEN_CHARS = 40  # longer "words" are hashes, encoded data or URLs run together
# A Stemmer object is not safe to share between threads (refresh runs on a worker thread while
# searches run on the UI thread): one per thread.
_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english", 50_000)
    return stemmer


def tokenize(text: str) -> list[str]:
    words = [word for word in _WORD.findall(text.lower())
             if len(word) > 1 and len(word) <= _MAX_TOKEN_CHARS and word not in _STOPWORDS]
    return _stemmer().stemWords(words)
