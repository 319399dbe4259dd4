"""Chroma as the one index of record: passage vectors per embedder, and the manifest of documents.

Embedded on disk (`PersistentClient` under settings.chroma_dir) or a Chroma server (`HttpClient` from
settings.chroma_url): the same code either way. Each embedder has its own collection ("passages_e5") in cosine
space whose metadata records the model that made its vectors; we always pass our own vectors (never Chroma's
downloading default). The manifest lives in Chroma too (a "documents" collection with a dummy 1-d vector), so a
server shares it. A document enters the manifest only after all its passages are written, in every collection.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings
from pydantic import BaseModel, Field

from ingest.models import CatalogEntry, Document, Filters, IngestReport, Passage
from ingest.records import filters_to_where, passage_from_record, passage_metadata
from ingest.settings import Settings
from ingest.sparse import METADATA_KEY, SPARSE_EMBEDDER, SparseVector, decode_sparse, encode_sparse

PREFIX, DOCUMENTS, _PAGE = "passages_", "documents", 2000  # _PAGE: records per get/add call


class DocRecord(BaseModel):
    """A fully indexed document: what it was made from and how many passages it has."""

    doc_id: str
    sha256: str
    path: str
    meta: CatalogEntry
    passages: int
    models: dict[str, str] = Field(default_factory=dict)  # embedder -> identity of the model that embedded it
    recipe: str = ""  # hash of the passage-making settings it was cut with
    report: IngestReport = Field(default_factory=IngestReport)  # what reading the file found
    themes: str = ""  # fingerprint of the taxonomy and tagger settings its passages were tagged with ("" = untagged)
    evaluation: str = ""  # derived when the catalog gives none: the evaluation its files share (ingest.evaluations)


class Store:
    """Passages and the document manifest in Chroma."""

    def __init__(self, client: chromadb.api.ClientAPI, location: str) -> None:
        self.client = client
        self.location = location  # a path or a URL, for people
        self._docs = client.get_or_create_collection(DOCUMENTS, embedding_function=None)
        self._collection_handles: dict[str, chromadb.Collection] = {}  # for nearest_ids: one lookup, not per query

    # --- collections -------------------------------------------------------------------------
    def passage_collections(self) -> dict[str, chromadb.Collection]:
        """Embedder name -> its passage collection."""
        cols = {}
        for col in self.client.list_collections():
            if col.name.startswith(PREFIX):
                cols[col.name[len(PREFIX) :]] = self.client.get_collection(col.name, embedding_function=None)
        return dict(sorted(cols.items()))

    def collection_model(self, embedder: str) -> str | None:
        """The model identity recorded on an embedder's collection, or None when it has none."""
        col = self.passage_collections().get(embedder)
        return (col.metadata or {}).get("model") if col is not None else None

    def ensure_collection(self, embedder: str, *, model: str, dim: int) -> bool:
        """Make the embedder's collection hold `model` vectors; True when old vectors were dropped."""
        current = self.passage_collections().get(embedder)
        dropped = False
        if current is not None and (current.metadata or {}).get("model") != model:
            # manifest first: a kill between the two steps leaves documents marked for re-embedding
            for rec in self.manifest().values():
                if embedder in rec.models:
                    self.put_record(rec.model_copy(update={"models": {
                        k: v for k, v in rec.models.items() if k != embedder}}))
            self.client.delete_collection(PREFIX + embedder)
            self._collection_handles.pop(embedder, None)
            dropped, current = True, None
        if current is None:
            self.client.create_collection(
                PREFIX + embedder,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"embedder": embedder, "model": model, "dim": dim},
                embedding_function=None,
            )
        return dropped

    # --- manifest ----------------------------------------------------------------------------
    def manifest(self) -> dict[str, DocRecord]:
        """doc_id -> record, for the documents whose passages are all written."""
        got = self._docs.get(include=["metadatas"])
        records = (DocRecord.model_validate_json(m["record"]) for m in got["metadatas"] or [])
        return {r.doc_id: r for r in sorted(records, key=lambda r: r.doc_id)}

    def fingerprint(self) -> str:
        """A hash of the manifest: it changes whenever the indexed content changes."""
        body = json.dumps([r.model_dump(mode="json") for r in self.manifest().values()], sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:16]

    # --- writing -----------------------------------------------------------------------------
    def delete_document(self, doc_id: str) -> None:
        """Remove a document from the manifest first, then its passages from every collection."""
        self._docs.delete(ids=[doc_id])
        for col in self.passage_collections().values():
            col.delete(where={"doc_id": doc_id})

    def replace_document(
        self, doc: Document, passages: list[Passage], vectors: dict[str, np.ndarray], *, recipe: str = "",
        sparse: list[SparseVector] | None = None, themes: str = "",
    ) -> DocRecord:
        """Write a document's passages (one vector array per embedder, and optionally one sparse vector per
        passage, kept in the e5 records), then record it in the manifest.

        Old records go first, so an interrupted call leaves the document out of the manifest, to be replaced whole.
        """
        cols = self.passage_collections()
        missing = [name for name in vectors if name not in cols]
        if missing:
            raise KeyError(f"no collection for embedder(s) {missing}; call ensure_collection first")
        if sparse is not None and (SPARSE_EMBEDDER not in vectors or len(sparse) != len(passages)):
            raise ValueError(f"sparse vectors need {SPARSE_EMBEDDER} vectors and one per passage "
                             f"({len(sparse)} for {len(passages)} passages)")
        ids = [p.id for p in passages]
        if len(set(ids)) != len(ids):
            raise ValueError(f"duplicate passage ids in {doc.doc_id}")
        for name, vecs in vectors.items():
            if len(vecs) != len(passages):
                raise ValueError(f"{name}: {len(vecs)} vectors for {len(passages)} passages")
        self.delete_document(doc.doc_id)
        for name, vecs in vectors.items():
            self.add_passages(name, passages, vecs, sparse=sparse if name == SPARSE_EMBEDDER else None)
        record = DocRecord(
            doc_id=doc.doc_id,
            sha256=doc.sha256,
            path=doc.path,
            meta=doc.meta, passages=len(passages),
            models={name: (cols[name].metadata or {}).get("model", "") for name in sorted(vectors)},
            recipe=recipe,
            report=doc.report,
            themes=themes,
        )
        self.put_record(record)
        return record

    def add_passages(self, embedder: str, passages: list[Passage], vectors: np.ndarray, *,
                     sparse: list[SparseVector | None] | None = None) -> None:
        """Add passage records (one vector each, and a sparse vector where given) to an embedder's collection,
        in pages. They count only once their document's record is in the manifest (`put_record`)."""
        col = self.passage_collections()[embedder]
        metas = [passage_metadata(p) for p in passages]
        for meta, vector in zip(metas, sparse or [], strict=False):
            if vector is not None:
                meta[METADATA_KEY] = encode_sparse(vector)
        for i in range(0, len(passages), _PAGE):
            col.add(ids=[p.id for p in passages[i : i + _PAGE]],
                    embeddings=np.asarray(vectors[i : i + _PAGE], dtype=np.float32),
                    metadatas=metas[i : i + _PAGE], documents=[p.text for p in passages[i : i + _PAGE]])

    def stamp_themes(self, stamp: str, *, doc_ids: set[str] | None = None) -> None:
        """Record on every document (or those of `doc_ids`) that its passages carry the tagging `stamp`."""
        for rec in self.manifest().values():
            if rec.themes != stamp and (doc_ids is None or rec.doc_id in doc_ids):
                self.put_record(rec.model_copy(update={"themes": stamp}))

    def put_record(self, record: DocRecord) -> None:
        """Record a document in the manifest (written last: its passages must all be stored)."""
        self._docs.upsert(
            ids=[record.doc_id], embeddings=[[0.0]], documents=[record.meta.title],
            metadatas=[{"record": record.model_dump_json(), "sha256": record.sha256}],
        )

    # --- reading -----------------------------------------------------------------------------
    def all_passages(self) -> list[Passage]:
        """Every passage of every fully indexed document, ordered by document and position."""
        return self.passages_and_sparse()[0]

    def sparse_vectors(self) -> dict[str, SparseVector]:
        """passage id -> sparse vector, for the passages of fully indexed documents that have one."""
        return self.passages_and_sparse()[1]

    def passages_and_sparse(self) -> tuple[list[Passage], dict[str, SparseVector]]:
        """`all_passages()` and `sparse_vectors()` from one read of the store."""
        wanted = {doc_id for doc_id, rec in self.manifest().items() if rec.passages}
        found: dict[str, Passage] = {}
        vectors: dict[str, SparseVector] = {}
        covered: set[str] = set()
        cols = sorted(self.passage_collections().items(), key=lambda kv: kv[0] != SPARSE_EMBEDDER)
        for name, col in cols:  # the collection holding the sparse vectors first
            if wanted <= covered:
                break
            offset = 0
            while True:
                got = col.get(include=["metadatas", "documents"], limit=_PAGE, offset=offset)
                for pid, meta, text in zip(got["ids"], got["metadatas"], got["documents"], strict=True):
                    if meta["doc_id"] in wanted and meta["doc_id"] not in covered and pid not in found:
                        found[pid] = passage_from_record(meta, text)
                    if name == SPARSE_EMBEDDER and meta["doc_id"] in wanted and METADATA_KEY in meta:
                        vectors[pid] = decode_sparse(meta[METADATA_KEY])
                if len(got["ids"]) < _PAGE:
                    break
                offset += _PAGE
            covered |= {p.doc_id for p in found.values()}
        passages = sorted(found.values(), key=lambda p: (p.doc_id, p.start, p.id))
        return passages, {p.id: vectors[p.id] for p in passages if p.id in vectors}

    def stored_vectors(self, embedder: str, ids: list[str]) -> np.ndarray:
        """The embedder's stored vectors of the passages `ids`, one row each in that order."""
        col = self.passage_collections().get(embedder)
        if not ids:
            return np.zeros((0, int((col.metadata or {}).get("dim", 0)) if col is not None else 0), dtype=np.float32)
        row = {pid: i for i, pid in enumerate(ids)}
        matrix: np.ndarray | None = None
        filled = 0
        for start in range(0, len(ids) if col is not None else 0, _PAGE):
            got = col.get(ids=ids[start : start + _PAGE], include=["embeddings"])
            vectors = np.asarray(got["embeddings"], dtype=np.float32)
            if matrix is None:
                matrix = np.zeros((len(ids), vectors.shape[1]), dtype=np.float32)
            matrix[[row[i] for i in got["ids"]]] = vectors
            filled += len(got["ids"])
        if matrix is None or filled != len(ids):
            raise RuntimeError(f"{embedder}: {filled} stored vectors for {len(ids)} passages; re-run ingestion")
        return matrix

    def nearest_ids(self, embedder: str, vector: np.ndarray, *, n: int) -> list[tuple[str, float]]:
        """Chroma's HNSW neighbours of `vector` in an embedder's collection as (passage id, cosine similarity),
        ids and distances only (a millisecond at 100k), including any of a document still being written."""
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        try:
            got = self._handle(embedder).query(query_embeddings=query, n_results=n, include=["distances"])
        except Exception:  # the collection was replaced (another process re-embedded): look it up again
            self._collection_handles.pop(embedder, None)
            got = self._handle(embedder).query(query_embeddings=query, n_results=n, include=["distances"])
        return [(pid, 1.0 - float(d)) for pid, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def _handle(self, embedder: str) -> chromadb.Collection:
        if embedder not in self._collection_handles:
            self._collection_handles[embedder] = self.passage_collections()[embedder]
        return self._collection_handles[embedder]

    def vector_query(
        self, embedder: str, vector: np.ndarray, *, k: int, filters: Filters | None = None
    ) -> list[tuple[Passage, float]]:
        """The k passages nearest to `vector` that pass `filters`, with cosine similarity (higher is better)."""
        col = self.passage_collections().get(embedder)
        doc_ids = list(self.manifest())
        if col is None or not doc_ids or k <= 0:
            return []
        complete = {"doc_id": {"$in": doc_ids}}  # never a half-written document
        where = filters_to_where(filters)
        where = complete if where is None else {"$and": [complete, where]}
        got = col.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k, where=where, include=["metadatas", "documents", "distances"],
        )
        return [
            (passage_from_record(meta, text), 1.0 - float(dist))
            for meta, text, dist in zip(got["metadatas"][0], got["documents"][0], got["distances"][0], strict=True)
        ]

    def stats(self) -> dict:
        """Documents, passages by kind and by document, the embedding models and where the index is."""
        manifest = self.manifest()
        by_kind: dict[str, int] = {}
        for p in self.all_passages():
            by_kind[p.kind.value] = by_kind.get(p.kind.value, 0) + 1
        return {
            "location": self.location,
            "documents": [
                {"doc_id": r.doc_id, "title": r.meta.title, "passages": r.passages, "path": r.path,
                 "evaluation": r.evaluation or r.meta.evaluation, "report": r.report.model_dump(mode="json")}
                for r in manifest.values()
            ],
            "passages": sum(r.passages for r in manifest.values()),
            "by_kind": dict(sorted(by_kind.items(), key=lambda kv: -kv[1])),
            "by_document": {r.doc_id: r.passages for r in manifest.values()},
            "embedders": {
                name: {"model": (col.metadata or {}).get("model"), "dim": (col.metadata or {}).get("dim"),
                       "records": col.count()}
                for name, col in self.passage_collections().items()
            },
        }


def open_store(settings: Settings) -> Store:
    """The store named by settings: a Chroma server when chroma_url is set, else Chroma on disk."""
    quiet = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "//" in settings.chroma_url else f"http://{settings.chroma_url}")
        ssl = url.scheme == "https"
        port = url.port or (443 if ssl else 8000)
        client = chromadb.HttpClient(host=url.hostname or "localhost", port=port, ssl=ssl, settings=quiet)
        return Store(client, location=settings.chroma_url)
    path = Path(settings.chroma_dir)
    path.mkdir(parents=True, exist_ok=True)
    return Store(chromadb.PersistentClient(path=str(path), settings=quiet), location=str(path))
