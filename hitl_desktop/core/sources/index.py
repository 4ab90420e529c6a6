"""BM25 over passages, with scores normalised per query so that "no good match" can be told apart.

Why bm25s directly rather than llama-index-retrievers-bm25 (measured with the versions pinned in
pyproject.toml, on the 2-core reference machine): the LlamaIndex retriever is a thin wrapper
around bm25s and PyStemmer, but importing it loads llama_index.core's index, storage and
vector-store modules, 1,323 modules and 1.1–1.4 s, where bm25s and PyStemmer load 324 modules in
0.18 s. It also expects LlamaIndex nodes, re-tokenises the whole corpus whenever it is built, and
caps PyStemmer below 3. Here the core tokenises each file once, keeps the tokens in its own cache
and rebuilds the matrix from them; the workflow (which has LlamaIndex loaded anyway) gets plain
passages. bm25s needs only numpy: its scipy and numba back-ends are optional and not used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

# bm25s's defaults (Lucene's BM25). The most a term can add to a passage's score is its idf,
# approached as the term's count grows, which is what makes a per-query ceiling possible.
_K1 = 1.5
_B = 0.75
# A query term's weight is its idf times its burstiness, capped here (see `relevance`).
_MAX_BURSTINESS = 10.0


class PassageIndex:
    def __init__(self, model: bm25s.BM25 | None, doc_freq: np.ndarray, burstiness: np.ndarray,
                 count: int) -> None:
        self._model = model
        self._doc_freq = doc_freq  # passages holding each term
        self._burstiness = burstiness  # per term: occurrences per document that has it
        self.count = count

    @classmethod
    def empty(cls, count: int = 0) -> PassageIndex:
        return cls(None, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), count)

    @classmethod
    def build(cls, token_lists: Sequence[Sequence[str]], documents: Sequence[int]) -> PassageIndex:
        """Index passages; `documents[i]` numbers the document passage i belongs to."""
        # A passage at a time: dict.fromkeys over every token at once (two million for 10 MB of
        # documents) is one C call that holds the GIL for 160 ms, freezing the window.
        terms: dict[str, None] = {}
        for tokens in token_lists:
            terms.update(dict.fromkeys(tokens))
        vocab = {term: number for number, term in enumerate(terms)}
        lookup = vocab.__getitem__
        ids = [list(map(lookup, tokens)) for tokens in token_lists]
        if not vocab:  # no passages, or only stopwords everywhere: nothing can ever match
            return cls.empty(len(token_lists))
        model = bm25s.BM25(k1=_K1, b=_B, method="lucene", backend="numpy", csc_backend="numpy")
        model.index((ids, vocab), create_empty_token=False, show_progress=False)
        burstiness = _burstiness(ids, documents, len(vocab))
        return cls(model, _doc_freq(model, len(vocab)), burstiness, len(token_lists))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._model is not None:
            self._model.save(str(folder), show_progress=False)
            np.save(folder / "burstiness.npy", self._burstiness, allow_pickle=False)
        (folder / "count.txt").write_text(str(self.count), encoding="ascii")

    @classmethod
    def load(cls, folder: Path) -> PassageIndex:
        """The index saved in `folder`; raises (OSError, ValueError, …) when it is damaged."""
        count = int((folder / "count.txt").read_text(encoding="ascii"))
        if not (folder / "params.index.json").exists():
            return cls.empty(count)
        model = bm25s.BM25.load(str(folder), show_progress=False)
        if model.scores["num_docs"] != count:
            raise ValueError("the saved index does not match its passage count")
        burstiness = np.load(folder / "burstiness.npy", allow_pickle=False)
        if burstiness.shape != (len(model.vocab_dict),):
            raise ValueError("the saved term weights do not match the vocabulary")
        return cls(model, _doc_freq(model, len(model.vocab_dict)), burstiness, count)

    def relevance(self, query_tokens: Sequence[str]) -> np.ndarray | None:
        """Each passage's weighted score over the query's ceiling (0–1); None if nothing matches.

        Each distinct query term is weighted by its idf (rare terms count more) times its
        burstiness: how often it occurs in a document that has it at all. A subject's own words
        come in bursts ("tidal" appears six times in a document about tidal power) while words
        that merely appear here and there ("Europe", "history", "early") come once, so a
        passage that shares only such a word with the query scores low even when the word is
        rare. The ceiling is what a passage would score holding every term, often.

        A term no document holds counts in the ceiling at the highest idf there is (with
        burstiness 1): a query about tidal power over documents that never say "tidal" cannot be
        half-answered by passages that say "power".
        """
        if self._model is None or not query_tokens:
            return None
        vocab = self._model.vocab_dict
        terms = list(dict.fromkeys(query_tokens))
        known = [vocab[term] for term in terms if term in vocab]
        if not known:
            return None
        n = self.count
        freq = self._doc_freq[known].astype(np.float64)
        idf = np.log1p((n - freq + 0.5) / (freq + 0.5))
        weights = np.minimum(self._burstiness[known].astype(np.float64), _MAX_BURSTINESS)
        ceiling = float((weights * idf).sum())
        ceiling += (len(terms) - len(known)) * math.log1p((n + 0.5) / 0.5)
        scores = np.zeros(n, dtype=np.float64)
        for term, weight in zip(known, weights, strict=True):
            scores += weight * self._model.get_scores([term])
        return scores / ceiling


def _doc_freq(model: bm25s.BM25, vocab_size: int) -> np.ndarray:
    """Passages holding each term: the column lengths of bm25s's passage × term matrix."""
    indptr = np.asarray(model.scores["indptr"])
    if len(indptr) != vocab_size + 1:
        raise ValueError("the index's term table does not match its vocabulary")
    return np.diff(indptr)


def _burstiness(ids: list[list[int]], documents: Sequence[int], vocab_size: int) -> np.ndarray:
    """Per term, its occurrences over the number of documents (not passages) that hold it."""
    lengths = np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids))
    flat = np.fromiter((term for row in ids for term in row), dtype=np.int64,
                       count=int(lengths.sum()))
    owner = np.repeat(np.asarray(documents, dtype=np.int64), lengths)
    occurrences = np.bincount(flat, minlength=vocab_size)
    pairs = np.sort(owner * vocab_size + flat)  # (document, term), each distinct pair once:
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    holders = np.bincount(pairs[first] % vocab_size, minlength=vocab_size)
    return (occurrences / np.maximum(holders, 1)).astype(np.float32)
