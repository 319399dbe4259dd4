"""The benchmark's index points: stored straight into Chroma in batches, from the real ingestion run.

A point no larger than the run takes whole real documents (their real dense and sparse vectors); a larger one
is derived (evals.bench.corpus.derive_documents): each passage carries its source passage's dense vector with
a little noise and its source's sparse "latent terms" vector, so every search signal runs on every point.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import numpy as np

from evals.bench.corpus import derive_documents
from ingest.models import Document, Passage
from ingest.settings import Settings

PointDoc = tuple[Document, list[Passage], np.ndarray, list[int]]  # document, passages, vectors, source rows


def real_base(settings: Settings) -> tuple[list[Passage], np.ndarray, list, dict]:
    """The ingested passages, their stored dense vectors and sparse vectors (None when absent), and the manifest."""
    from ingest.store import open_store

    store = open_store(settings)
    passages, sparse = store.passages_and_sparse()
    vectors = store.stored_vectors("e5", [p.id for p in passages])
    return passages, vectors, [sparse.get(p.id) for p in passages], store.manifest()


def point_documents(size: int, base: list[Passage], vectors: np.ndarray, manifest: dict, *,
                    seed: int) -> Iterator[PointDoc]:
    """Documents of one point: whole real documents when the run holds enough passages, else derived ones."""
    if size > len(base):
        yield from derive_documents(base, vectors, total=size, seed=seed + size, per_doc=50, prefix=f"syn{size}")
        return
    made = 0
    for doc_id, rec in manifest.items():
        if made >= size:
            return
        rows = [i for i, p in enumerate(base) if p.doc_id == doc_id]
        made += len(rows)
        yield (Document(doc_id=doc_id, path=rec.path, sha256=rec.sha256, text="", meta=rec.meta),
               [base[i] for i in rows], vectors[rows], rows)


def write_point(settings: Settings, docs: Iterator[PointDoc], sparse: list) -> dict:
    """Passages into Chroma (with their sparse vectors), then each document's manifest record, exactly as
    `Store.replace_document` would leave them, but in pages across documents."""
    from ingest.embed import DIM, model_identity
    from ingest.pipeline import recipe
    from ingest.store import DocRecord, open_store

    store = open_store(settings)
    model = model_identity("e5")
    store.ensure_collection("e5", model=model, dim=DIM)
    docs = list(docs)
    passages = [p for _, ps, _, _ in docs for p in ps]
    sources = [s for *_, rows in docs for s in rows]
    vectors = np.concatenate([v for _, _, v, _ in docs]).astype(np.float32)
    start = time.perf_counter()
    store.add_passages("e5", passages, vectors, sparse=[sparse[src] for src in sources])
    add_s = time.perf_counter() - start
    for doc, ps, _, _ in docs:  # manifest last: a document counts only once all its passages are in
        store.put_record(DocRecord(doc_id=doc.doc_id, sha256=doc.sha256, path=doc.path, meta=doc.meta,
                                    passages=len(ps), models={"e5": model}, recipe=recipe(settings)))
    return {"passages": len(passages), "documents": len(docs), "chroma_add_s": add_s,
            "write_s": time.perf_counter() - start}
