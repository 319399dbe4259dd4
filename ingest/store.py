"""Chroma as the one index of record: passage vectors per embedder, and the manifest of documents.

Embedded on disk (`PersistentClient` under settings.chroma_dir) or a Chroma server
(`HttpClient` from settings.chroma_url): the same code either way. Each embedder has its own
collection ("passages_e5") in cosine space whose metadata records the model that made its
vectors; we always pass our own vectors (never Chroma's downloading default). The manifest
lives in Chroma too (a "documents" collection with a dummy 1-d vector), so a server shares it.
A document enters the manifest only after all its passages are written, in every collection.
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

from ingest.models import CatalogEntry, Document, Filters, Passage
from ingest.settings import Settings
from ingest.sparse import METADATA_KEY, SPARSE_EMBEDDER, SparseVector, decode_sparse, encode_sparse

PREFIX = "passages_"
DOCUMENTS = "documents"
_PAGE = 2000  # records per get/add call


class DocRecord(BaseModel):
    """A fully indexed document: what it was made from and how many passages it has."""

    doc_id: str
    sha256: str
    path: str
    meta: CatalogEntry
    passages: int
    models: dict[str, str] = Field(default_factory=dict)  # embedder -> identity of the model that embedded it
    recipe: str = ""  # hash of the passage-making settings it was cut with
    themes: str = ""  # fingerprint of the taxonomy and tagger settings its passages were tagged with ("" = untagged)


def passage_metadata(passage: Passage) -> dict:
    """Chroma metadata of a passage: scalar filter keys plus the passage (minus its text) as JSON."""
    meta: dict = {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "organisation": passage.organisation,
        "language": passage.language,
        "doc_type": passage.doc_type,
        "kind": passage.kind.value,
        "section": passage.section,
        "countries": "; ".join(passage.countries),
        "passage": passage.model_dump_json(exclude={"text"}),
    }
    if passage.year is not None:
        meta["year"] = passage.year
    if passage.page is not None:
        meta["page"] = passage.page
    meta.update({f"country:{c}": True for c in passage.countries} | {f"theme:{t}": True for t in passage.themes})
    return meta


def passage_from_record(metadata: dict, text: str) -> Passage:
    """Rebuild the exact Passage from a record's metadata and its document text."""
    return Passage.model_validate({**json.loads(metadata["passage"]), "text": text})


def filters_to_where(filters: Filters | None) -> dict | None:
    """A Chroma `where` clause equivalent to `Filters.matches` (None when nothing is filtered)."""
    if filters is None or filters.is_empty():
        return None
    conds: list[dict] = []
    for key, values in (
        ("doc_id", filters.doc_ids),
        ("organisation", filters.organisations),
        ("year", filters.years),
        ("language", filters.languages),
        ("kind", [k.value for k in filters.kinds]),
    ):
        if values:
            conds.append({key: {"$in": list(values)}})
    for flags in ([{f"country:{c}": True} for c in filters.countries], [{f"theme:{t}": True} for t in filters.themes]):
        if flags:
            conds.append(flags[0] if len(flags) == 1 else {"$or": flags})
    return conds[0] if len(conds) == 1 else {"$and": conds}


class Store:
    """Passages and the document manifest in Chroma."""

    def __init__(self, client: chromadb.api.ClientAPI, location: str) -> None:
        self.client = client
        self.location = location  # a path or a URL, for people
        self._docs = client.get_or_create_collection(DOCUMENTS, embedding_function=None)

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
                    self._put_record(rec.model_copy(update={"models": {
                        k: v for k, v in rec.models.items() if k != embedder}}))
            self.client.delete_collection(PREFIX + embedder)
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

        Old records of the document go first, so an interrupted call leaves the document out of
        the manifest, and the next ingestion replaces it whole.
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
        metas = [passage_metadata(p) for p in passages]
        texts = [p.text for p in passages]
        with_sparse = metas if sparse is None else [
            {**m, METADATA_KEY: encode_sparse(v)} for m, v in zip(metas, sparse, strict=True)]
        self.delete_document(doc.doc_id)
        for name, vecs in vectors.items():
            if len(vecs) != len(passages):
                raise ValueError(f"{name}: {len(vecs)} vectors for {len(passages)} passages")
            col_metas = with_sparse if name == SPARSE_EMBEDDER else metas
            for i in range(0, len(ids), _PAGE):
                cols[name].add(
                    ids=ids[i : i + _PAGE],
                    embeddings=np.asarray(vecs[i : i + _PAGE], dtype=np.float32),
                    metadatas=col_metas[i : i + _PAGE],
                    documents=texts[i : i + _PAGE],
                )
        record = DocRecord(
            doc_id=doc.doc_id,
            sha256=doc.sha256,
            path=doc.path,
            meta=doc.meta,
            passages=len(passages),
            models={name: (cols[name].metadata or {}).get("model", "") for name in sorted(vectors)},
            recipe=recipe, themes=themes,
        )
        self._put_record(record)
        return record

    def stamp_themes(self, stamp: str) -> None:
        """Record on every document that its passages carry the tagging `stamp` (the fingerprint changes)."""
        for rec in (r for r in self.manifest().values() if r.themes != stamp):
            self._put_record(rec.model_copy(update={"themes": stamp}))

    def _put_record(self, record: DocRecord) -> None:
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
                {"doc_id": r.doc_id, "title": r.meta.title, "passages": r.passages, "path": r.path}
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
