"""BM25 keyword search over all stored passages (bm25s), saved in the search snapshot's folder.

Words are stemmed with the Snowball stemmer of the passage's language (`ingest.lang`: English, French,
Spanish, Swedish, Norwegian for Nynorsk/Bokmål; English for any other) and then accent-folded, so
"tilrådingane" and "tilrading" meet. A query word contributes its stem in every language the index holds
(English always), so it finds any of them without knowing which one it is in. It is part of the search snapshot
(`ingest.snapshot.build`), keyed by `store.fingerprint()`. Filters are applied inside the search, as a row mask
from the passages' metadata columns. Next to BM25 it keeps the passages' e5 sparse "latent terms" vectors as one sparse matrix (rows in passage order, stored by columns so
that a query reads only its own terms; none when no passage has one), its arrays memory-mapped from disk.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
from scipy import sparse as sp

from ingest.lang import fold, snowball, stemmer, stopwords
from ingest.models import Filters, Passage
from ingest.snapshot.columns import MetadataColumns
from ingest.sparse import SPARSE_DIM, SparseVector, sparse_matrix

_WORD = re.compile(r"\w\w+")
QUERY_LANGUAGES = ("english", "norwegian")  # a query's stemmings when no index says which languages it holds
DONE = "fingerprint.txt"  # written last: a folder without it is incomplete
_SPARSE = "sparse"  # sparse.data.npy, sparse.indices.npy, sparse.indptr.npy (csc): memory-mapped at load
_MATRIX_PARTS = ("data", "indices", "indptr")


def passage_tokens(text: str, *, language: str = "en") -> list[str]:
    """Index terms of a passage: stopwords out, stemmed in the passage's language, accent-folded."""
    stop = stopwords(language)
    kept = [w for w in _WORD.findall(text.casefold()) if w not in stop]
    return [fold(s) for s in stemmer(language).stemWords(kept)]


def query_tokens(text: str, *, languages: tuple[str, ...] = QUERY_LANGUAGES) -> list[str]:
    """Search terms of a query: each content word's English stem and its stem in each other of `languages`
    (Snowball names; deduplicated), accent-folded."""
    others = [name for name in dict.fromkeys(snowball(lang) for lang in languages) if name != "english"]
    english_stop = stopwords("en")
    out: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if word in english_stop:  # an English function word is no content word in another language either
            continue
        stems = [fold(stemmer("en").stemWord(word))]
        stems += [fold(stemmer(name).stemWord(word)) for name in others if word not in stopwords(name)]
        out.extend(dict.fromkeys(stems))
    return out


def index_languages(passages: list[Passage]) -> tuple[str, ...]:
    """The Snowball stemmings a query needs to meet these passages: English first, then the others by name."""
    return ("english", *sorted({snowball(p.language) for p in passages} - {"english"}))


def _one_edit(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion of a letter away from `word`."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters}
            | {a + c + b for a, b in splits for c in letters})


def _indexed_text(p: Passage) -> str:
    return f"{p.section}\n{p.text}" if p.section else p.text


class KeywordIndex:
    """A BM25 index over a fixed list of passages, tagged with the store fingerprint it reflects."""

    def __init__(
        self, passages: list[Passage], fingerprint: str, bm25: bm25s.BM25 | None, sparse: sp.csr_matrix | None = None
    ) -> None:
        self.passages = passages
        self.fingerprint = fingerprint
        self.languages = index_languages(passages)  # the stemmings a query is searched with
        self._bm25 = bm25
        self._last: tuple[str, np.ndarray | None] | None = None  # the last query's scores (search, then completion)
        # (len(passages), SPARSE_DIM) float32 by columns, or None: a query reads only its own terms' columns
        self.sparse = None if sparse is None else sp.csc_matrix(sparse)

    @classmethod
    def build(
        cls, passages: list[Passage], *, fingerprint: str, sparse: dict[str, SparseVector] | None = None
    ) -> KeywordIndex:
        """Index `passages` in memory, with their sparse vectors (passage id -> vector) when there are any."""
        if not passages:
            return cls([], fingerprint, None)
        bm25 = bm25s.BM25()
        bm25.index([passage_tokens(_indexed_text(p), language=p.language) for p in passages], show_progress=False)
        matrix = None
        if sparse and any(p.id in sparse for p in passages):
            matrix = sparse_matrix([sparse.get(p.id) for p in passages])
        return cls(passages, fingerprint, bm25, matrix)

    def save(self, folder: Path) -> None:
        """Write the index to `folder` (bm25s arrays + passages), the fingerprint file last."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)
        if self.sparse is not None:
            for part in _MATRIX_PARTS:
                np.save(folder / f"{_SPARSE}.{part}.npy", getattr(self.sparse, part))
        with open(folder / "passages.jsonl", "w", encoding="utf-8") as fh:
            fh.writelines(p.model_dump_json() + "\n" for p in self.passages)
        (folder / DONE).write_text(self.fingerprint, encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Read an index written by `save` (score arrays memory-mapped)."""
        fingerprint = (folder / DONE).read_text(encoding="utf-8").strip()
        with open(folder / "passages.jsonl", encoding="utf-8") as fh:
            passages = [Passage.model_validate_json(line) for line in fh if line.strip()]
        bm25 = bm25s.BM25.load(str(folder), mmap=True, show_progress=False) if passages else None
        matrix = None
        if (folder / f"{_SPARSE}.data.npy").exists():  # memory-mapped: 200 MB at 100k passages load at once
            data, indices, indptr = (np.load(folder / f"{_SPARSE}.{part}.npy", mmap_mode="r") for part in _MATRIX_PARTS)
            if len(indptr) != SPARSE_DIM + 1 or int(indptr[-1]) != len(indices):
                raise ValueError(f"{folder}: sparse vectors do not fit {len(passages)} passages")
            matrix = sp.csc_matrix((data, indices, indptr), shape=(len(passages), SPARSE_DIM), copy=False)
        elif (folder / "sparse.npz").exists():  # written by an earlier version
            matrix = sp.csr_matrix(sp.load_npz(folder / "sparse.npz"), dtype=np.float32)
            if matrix.shape[0] != len(passages):
                raise ValueError(f"{folder}: sparse vectors for {matrix.shape[0]} rows, {len(passages)} passages")
        return cls(passages, fingerprint, bm25, matrix)

    def knows(self, word: str, *, typos: bool = False) -> bool:
        """Whether any passage contains `word` (in any of its stemmings); stopwords count as unknown.

        With `typos`, a word of 7 letters or more also counts when one edit away from a word the passages use
        ("traficking", "evaluaton"); shorter words are too often one edit from another word ("drones", "done").
        """
        if self._bm25 is None:
            return False
        vocab = self._bm25.vocab_dict
        if any(t in vocab for t in query_tokens(word, languages=self.languages)):
            return True
        folded = word.casefold()
        if not typos or len(folded) < 7 or not folded.isalpha():
            return False
        return any(t in vocab for t in query_tokens(" ".join(_one_edit(folded)), languages=self.languages))

    @cached_property
    def columns(self) -> MetadataColumns:
        """The passages' filterable fields as numpy columns (built on first use, once per index)."""
        return MetadataColumns(self.passages)

    @cached_property
    def rows(self) -> dict[str, int]:
        """Each passage's row (its position in `passages`, in the BM25, sparse and dense matrices), by id."""
        return {p.id: i for i, p in enumerate(self.passages)}

    def scores(self, query: str) -> np.ndarray | None:
        """Every passage's BM25 score for `query` (row order), None when no query word is indexed; read-only, the
        last query's kept, as retrieval asks for it twice (its search, then every candidate's score)."""
        if self._bm25 is None:
            return None
        last = self._last
        if last is None or last[0] != query:
            tokens = [t for t in query_tokens(query, languages=self.languages) if t in self._bm25.vocab_dict]
            scores = np.asarray(self._bm25.get_scores(tokens), dtype=np.float32) if tokens else None
            if scores is not None:
                scores.setflags(write=False)
            last = self._last = (query, scores)
        return last[1]

    def search(self, query: str, *, k: int, filters: Filters | None = None) -> list[tuple[Passage, float]]:
        """The k best passages for `query` among those passing `filters`, with BM25 scores (> 0)."""
        if k <= 0:
            return []
        mask = self.columns.mask(filters)
        if mask is not None and not mask.any():
            return []
        scores = self.scores(query)
        return [] if scores is None else self._top(scores, mask, k)

    def sparse_scores(self, qidx: np.ndarray, qval: np.ndarray, rows: list[int]) -> np.ndarray:
        """The sparse dot products of the passages at `rows` with the query's vector."""
        if self.sparse is None or len(qidx) == 0 or not rows:
            return np.zeros(len(rows), dtype=np.float32)
        block = self.sparse[:, np.asarray(qidx)][np.asarray(rows)]
        return np.asarray(block @ np.asarray(qval, dtype=np.float32), dtype=np.float32).ravel()

    def _top(self, scores: np.ndarray, mask: np.ndarray | None, k: int) -> list[tuple[Passage, float]]:
        """The k passages with the highest positive scores among `mask`, best first (ties by position).

        Selecting among the positive scores only: numpy's argpartition over 100k mostly-zero (masked) scores
        took 14 ms, over the few thousand positive ones well under one."""
        if mask is not None:
            scores = np.where(mask, scores, 0.0)
        positive = np.flatnonzero(scores > 0)
        if len(positive) > k:
            positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
        best = sorted(positive.tolist(), key=lambda i: (-scores[i], i))
        return [(self.passages[i], float(scores[i])) for i in best]

    def sparse_search(
        self, qidx: np.ndarray, qval: np.ndarray, *, k: int, filters: Filters | None = None
    ) -> list[tuple[Passage, float]]:
        """The k passages whose sparse vectors have the largest positive dot product with the query's,
        among those passing `filters`; [] when the index holds no sparse vectors."""
        if self.sparse is None or k <= 0 or len(qidx) == 0:
            return []
        scores = np.asarray(self.sparse[:, np.asarray(qidx)] @ np.asarray(qval, dtype=np.float32),
                            dtype=np.float32).ravel()
        mask = self.columns.mask(filters)
        return self._top(scores, mask, k)
