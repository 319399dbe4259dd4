"""Embed cut documents and write them to the store, a group of documents at a time.

Reports arrive as many short documents; embedding each on its own gives the model small, ragged batches.
Here the passages of several documents (about `ingest.group_passages`) are embedded together in length-sorted
batches, as fast as the bare model, and each document is then written on its own, so it still enters the index
whole or not at all. Its passages get their themes from the e5 vectors just computed, and its record the stamp of
that tagging (`ingest.retag`). When a group fails to embed, its documents are embedded one by one to name the culprit.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ingest.embed import Embedder, get_embedder
from ingest.models import Document, Passage
from ingest.retag import VECTORS, ingestion_tagger, tagging_stamp
from ingest.progress import ProgressTracker
from ingest.settings import Settings
from ingest.sparse import SPARSE_EMBEDDER, SparseVector, sparse_enabled
from ingest.store import Store
from ingest.themes import tag_passages

Work = tuple[Document, list[Passage]]
Vectors = tuple[dict[str, np.ndarray], list[SparseVector] | None]  # per embedder, and e5's sparse vectors


def embedding_text(passage: Passage) -> str:
    """What is embedded for a passage: its section heading, then its text."""
    return f"{passage.section}\n{passage.text}" if passage.section else passage.text


def groups(work: list[Work], *, passages: int) -> Iterator[list[Work]]:
    """Consecutive documents, cut into groups of at least `passages` passages (the last may hold fewer)."""
    group: list[Work] = []
    for item in work:
        group.append(item)
        if sum(len(ps) for _, ps in group) >= passages:
            yield group
            group = []
    if group:
        yield group


def embed_group(group: list[Work], embedders: dict[str, Embedder], *, sparse: bool, batch_size: int,
                tracker: ProgressTracker) -> list[Vectors]:
    """Every passage of the group embedded by every model in one call each, split back per document."""
    texts = [embedding_text(p) for _, ps in group for p in ps]
    dense, latent = {}, None
    for name, emb in embedders.items():
        if sparse and name == SPARSE_EMBEDDER:  # e5's dense vectors and sparse terms, from one pass where it can
            dense[name], latent = emb.encode_passages(texts, batch_size=batch_size, on_dense=tracker.embedded,
                                                      on_sparse=tracker.embedded)
        else:
            dense[name] = emb.embed_passages(texts, batch_size=batch_size, on_batch=tracker.embedded)
    out, start = [], 0
    for _, ps in group:
        end = start + len(ps)
        out.append(({name: v[start:end] for name, v in dense.items()}, latent[start:end] if latent else None))
        start = end
    return out


def write_documents(work: list[Work], *, store: Store, settings: Settings, recipe: str,
                    tracker: ProgressTracker) -> Iterator[tuple[Document, int, str | None]]:
    """Embed and store each document, reporting to `tracker`; yields (document, passages written, None) or
    (document, 0, reason)."""
    embedders = {name: get_embedder(name, threads=settings.threads, runtime=settings.ingest.e5_runtime)
                 for name in settings.embedders}
    tagger = ingestion_tagger(settings, embedders)
    stamp = tagging_stamp(tagger) if tagger else ""
    size, with_sparse = settings.ingest.batch_size, sparse_enabled(settings)
    tracker.embedding(sum(len(ps) for _, ps in work), steps_per_passage=len(embedders) + int(with_sparse))
    for group in groups(work, passages=settings.ingest.group_passages):
        try:
            vectors: list[Vectors | None] = embed_group(group, embedders, sparse=with_sparse, batch_size=size,
                                                        tracker=tracker)
        except Exception:  # noqa: BLE001 - retried per document below, which names the one that fails
            vectors = [None] * len(group)
        for (doc, passages), vecs in zip(group, vectors, strict=True):
            try:
                dense, latent = vecs or embed_group([(doc, passages)], embedders, sparse=with_sparse,
                                                    batch_size=size, tracker=tracker)[0]
                tagged = tag_passages(passages, dense[VECTORS], tagger) if tagger else passages
                store.replace_document(doc, tagged, dense, recipe=recipe, sparse=latent, themes=stamp)
            except Exception as exc:  # noqa: BLE001 - report the document, keep the batch going
                yield doc, 0, f"could not be indexed: {type(exc).__name__}: {exc}"
                continue
            tracker.indexed(doc.doc_id, len(passages))
            yield doc, len(passages), None
