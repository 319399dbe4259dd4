"""Dense search that stays fast at 100k passages, with or without metadata filters.

Chroma's HNSW answers an unfiltered query in about a millisecond when asked for ids and distances only,
but a `where` filter (and the "complete documents only" `$in` over every document id) costs hundreds of
milliseconds at 100k. So:
- unfiltered: ask the store for HNSW ids + similarities (`Store.nearest_ids`, over-fetching a little), take the
  passages from the snapshot (which holds exactly the complete documents), and drop any id it does not know;
- filtered: build the row mask from numpy metadata columns and score the selected rows exactly, by brute-force
  cosine over a float32 matrix of every stored vector (memory-mapped from the snapshot folder, `<embedder>.npy`).
Both read the same snapshot as BM25 (`KeywordIndex.fingerprint`), so the signals always agree.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from threadpoolctl import ThreadpoolController

from ingest.embed import DIM
from ingest.models import Filters, Passage

if TYPE_CHECKING:
    from ingest.snapshot.keyword import KeywordIndex
    from ingest.store import Store

_SLACK = 20  # extra unfiltered results, to replace ids of documents outside the snapshot
# One BLAS thread for the matrix-vector product: it is memory-bound, and OpenBLAS's extra threads keep spinning
# after it, taking the cores from the embedding model's next pass (measured: query passes 2.5x slower).
_BLAS = ThreadpoolController()


class DenseMatrix:
    """One embedder's vectors, rows in the order of a keyword index's passages, with their filter columns."""

    def __init__(self, matrix: np.ndarray, keyword: KeywordIndex, store: Store | None, embedder: str) -> None:
        self.matrix = matrix
        self.store = store  # for unfiltered HNSW queries (None when nothing is indexed)
        self.embedder = embedder
        self.fingerprint = keyword.fingerprint
        self.passages = keyword.passages
        self.by_id = {p.id: p for p in keyword.passages}
        self.columns = keyword.columns  # the keyword index's filter columns: one set per snapshot

    @classmethod
    def load_or_build(cls, store: Store, keyword: KeywordIndex, *, embedder: str, folder: Path) -> DenseMatrix:
        """The matrix for the keyword index's snapshot: memory-mapped from `folder`, or read from the store
        and saved there."""
        if not keyword.passages:  # nothing ingested yet: no collection to read
            return cls(np.zeros((0, DIM), dtype=np.float32), keyword, None, embedder)
        path = Path(folder) / f"{embedder}.npy"
        if path.is_file():
            matrix = np.load(path, mmap_mode="r")
            if matrix.shape[0] == len(keyword.passages):
                return cls(matrix, keyword, store, embedder)
        matrix = store.stored_vectors(embedder, [p.id for p in keyword.passages])
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{embedder}-", suffix=".npy", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, matrix)
        os.replace(tmp, path)
        return cls(np.load(path, mmap_mode="r"), keyword, store, embedder)

    def exact(self, vector: np.ndarray, *, k: int, mask: np.ndarray | None = None) -> list[tuple[Passage, float]]:
        """The k rows (among `mask`) with the highest cosine similarity to `vector`, computed exactly."""
        rows = np.flatnonzero(mask) if mask is not None else None
        subset = self.matrix if rows is None else self.matrix[rows]
        if k <= 0 or subset.shape[0] == 0:
            return []
        with _BLAS.limit(limits=1, user_api="blas"):
            sims = subset @ np.asarray(vector, dtype=np.float32)
        k = min(k, sims.shape[0])
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top], kind="stable")]
        picked = top if rows is None else rows[top]
        return [(self.passages[int(i)], float(s)) for i, s in zip(picked, sims[top])]


def hnsw_unfiltered(dense: DenseMatrix, vector: np.ndarray, *, k: int) -> list[tuple[Passage, float]]:
    """Chroma's HNSW for ids and distances only; passages from the snapshot; exact search if too many are unknown."""
    if dense.store is None or not dense.passages:
        return []
    found = dense.store.nearest_ids(dense.embedder, vector, n=k + _SLACK)
    pairs = [(dense.by_id[i], s) for i, s in found if i in dense.by_id]
    if len(pairs) < min(k, len(dense.passages)):
        return dense.exact(vector, k=k)
    return pairs[:k]


def nearest(dense: DenseMatrix, vector: np.ndarray, *, k: int, filters: Filters | None = None) -> list[tuple[Passage, float]]:
    """The k passages nearest to `vector` among those passing `filters`, with cosine similarity."""
    mask = dense.columns.mask(filters)
    return hnsw_unfiltered(dense, vector, k=k) if mask is None else dense.exact(vector, k=k, mask=mask)
