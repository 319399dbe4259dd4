"""Re-tag a whole index from its stored e5 vectors: an edited taxonomy or new tagger settings need no re-embedding.

Reads every passage and its vector from the store, tags them (`ingest.themes.tag_passages`), rewrites the theme
metadata of the passages whose themes changed in every collection, and stamps every document record with the
tagging's fingerprint, which changes the index fingerprint so search snapshots rebuild.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from ingest.models import Passage
from ingest.records import passage_from_record
from ingest.store import Store
from ingest.themes import Tagger, tag_passages, taxonomy_fingerprint

VECTORS = "e5"  # the tagger reads e5 passage vectors
_PAGE = 2000


class RetagReport(BaseModel):
    """What a re-tagging did."""

    passages: int
    changed: int
    by_theme: dict[str, int]  # theme id -> passages carrying it afterwards
    stamp: str


def theme_metadata(passage: Passage, previous: list[str]) -> dict:
    """A metadata update giving a stored passage its themes (as `ingest.store.passage_metadata` writes them); flags
    of `previous` themes it no longer has are set to None, which Chroma deletes."""
    meta: dict = {"passage": passage.model_dump_json(exclude={"text"})}
    meta.update({f"theme:{t}": None for t in previous if t not in passage.themes})
    meta.update({f"theme:{t}": True for t in passage.themes})
    return meta


def passages_with_vectors(store: Store, embedder: str = VECTORS) -> tuple[list[Passage], np.ndarray]:
    """Every passage of the fully indexed documents with its stored vector (rows in passage order)."""
    col = store.passage_collections().get(embedder)
    if col is None:
        raise LookupError(f"the index has no {embedder} vectors; ingest with the {embedder} embedder first")
    wanted = {doc_id for doc_id, rec in store.manifest().items() if rec.passages}
    found: dict[str, tuple[Passage, np.ndarray]] = {}
    offset = 0
    while True:
        got = col.get(include=["metadatas", "documents", "embeddings"], limit=_PAGE, offset=offset)
        for pid, meta, text, vec in zip(got["ids"], got["metadatas"], got["documents"], got["embeddings"],
                                        strict=True):
            if meta["doc_id"] in wanted:
                found[pid] = (passage_from_record(meta, text), np.asarray(vec, dtype=np.float32))
        if len(got["ids"]) < _PAGE:
            break
        offset += _PAGE
    rows = sorted(found.values(), key=lambda pv: (pv[0].doc_id, pv[0].start, pv[0].id))
    if not rows:
        return [], np.zeros((0, int((col.metadata or {}).get("dim", 0))), dtype=np.float32)
    return [p for p, _ in rows], np.stack([v for _, v in rows])


def write_themes(store: Store, changes: list[tuple[Passage, list[str]]]) -> None:
    """Rewrite the theme metadata of passages (each with its previous themes) in every collection holding them."""
    metas = {p.id: theme_metadata(p, previous) for p, previous in changes}
    if not metas:
        return
    for col in store.passage_collections().values():
        ids = col.get(ids=list(metas), include=[])["ids"]
        for i in range(0, len(ids), _PAGE):
            page = ids[i : i + _PAGE]
            col.update(ids=page, metadatas=[metas[pid] for pid in page])


def retag_store(store: Store, tagger: Tagger) -> RetagReport:
    """Tag every stored passage again from its stored e5 vector and write back what changed."""
    passages, vectors = passages_with_vectors(store)
    tagged = tag_passages(passages, vectors, tagger)
    changes = [(new, old.themes) for new, old in zip(tagged, passages, strict=True) if new.themes != old.themes]
    write_themes(store, changes)
    stamp = taxonomy_fingerprint(tagger.taxonomy, tagger.settings)
    store.stamp_themes(stamp)
    by_theme = {t: sum(t in p.themes for p in tagged) for t in tagger.taxonomy.ids}
    return RetagReport(passages=len(tagged), changed=len(changes), by_theme=by_theme, stamp=stamp)
