"""Themes in the index: the tagger ingestion uses, and re-tagging from stored e5 vectors (no re-embedding).

Ingestion tags each document's passages from the e5 vectors it has just computed and stamps the document record
with the tagging's fingerprint (`ingestion_tagger`, `tagging_stamp`). When the taxonomy file or the tagger
settings change, the stamps no longer match: `refresh_themes` (run by every ingestion) and `lessons retag` read
the stale documents' passages and vectors from the store, tag them again, rewrite the theme metadata of the
passages whose themes changed in every collection, and stamp the records, which changes the index fingerprint so
search snapshots rebuild.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel

from ingest.embed import Embedder, get_embedder
from ingest.models import Passage
from ingest.records import passage_from_record
from ingest.settings import Settings
from ingest.store import Store
from ingest.themes import Tagger, TaxonomyError, load_tagger, load_taxonomy, tag_passages, taxonomy_fingerprint

VECTORS = "e5"  # the tagger reads e5 passage vectors
_PAGE = 2000


class RetagReport(BaseModel):
    """What a re-tagging did."""

    documents: int
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


def passages_with_vectors(store: Store, embedder: str = VECTORS, *,
                          doc_ids: set[str] | None = None) -> tuple[list[Passage], np.ndarray]:
    """Every passage of the fully indexed documents (or of `doc_ids` among them) with its stored vector (rows in
    passage order)."""
    col = store.passage_collections().get(embedder)
    if col is None:
        raise LookupError(f"the index has no {embedder} vectors; ingest with the {embedder} embedder first")
    wanted = {doc_id for doc_id, rec in store.manifest().items()
              if rec.passages and (doc_ids is None or doc_id in doc_ids)}
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


def retag_store(store: Store, tagger: Tagger, *, doc_ids: set[str] | None = None) -> RetagReport:
    """Tag every stored passage (or those of `doc_ids`) again from its stored e5 vector and write back what
    changed; `by_theme` counts the re-tagged passages."""
    passages, vectors = passages_with_vectors(store, doc_ids=doc_ids)
    tagged = tag_passages(passages, vectors, tagger)
    changes = [(new, old.themes) for new, old in zip(tagged, passages, strict=True) if new.themes != old.themes]
    write_themes(store, changes)
    stamp = tagging_stamp(tagger)
    store.stamp_themes(stamp, doc_ids=doc_ids)
    by_theme = {t: sum(t in p.themes for p in tagged) for t in tagger.taxonomy.ids}
    documents = len({p.doc_id for p in tagged})
    return RetagReport(documents=documents, passages=len(tagged), changed=len(changes), by_theme=by_theme,
                       stamp=stamp)


def tagging_stamp(tagger: Tagger) -> str:
    """What a document record carries once its passages are tagged by `tagger`."""
    return taxonomy_fingerprint(tagger.taxonomy, tagger.settings)


_TAGGERS: dict[tuple[str, int], tuple[Embedder, Tagger]] = {}  # (fingerprint, id(embedder)) -> the embedder kept
# alive (so its id is not reused) and its tagger


def tagger_for(settings: Settings, embedder: Embedder) -> Tagger:
    """The tagger of the taxonomy file named in settings, its ~70 description vectors embedded once per process
    (and again when the file or the tagger settings change); TaxonomyError when the file is not valid."""
    key = (taxonomy_fingerprint(load_taxonomy(settings.themes.taxonomy), settings.themes), id(embedder))
    if key not in _TAGGERS:
        _TAGGERS[key] = (embedder, load_tagger(settings.themes, embedder))
    return _TAGGERS[key][1]


def ingestion_tagger(settings: Settings, embedders: dict[str, Embedder]) -> Tagger | None:
    """The tagger for passages embedded now; None without e5 (themes read its vectors) or when the taxonomy file
    is invalid (the documents are written untagged and `refresh_themes` reports the file)."""
    if VECTORS not in embedders:
        return None
    try:
        return tagger_for(settings, embedders[VECTORS])
    except TaxonomyError:
        return None


def refresh_themes(store: Store, settings: Settings, warnings: list[str]) -> RetagReport | None:
    """Re-tag, from their stored vectors, the documents tagged with another taxonomy or tagger settings (or not
    at all); None when every document is current or the index has no e5 vectors. An invalid taxonomy file is
    reported in `warnings` and leaves the stored themes as they are."""
    if VECTORS not in store.passage_collections():
        return None
    try:
        taxonomy = load_taxonomy(settings.themes.taxonomy)
    except TaxonomyError as exc:
        warnings.append(f"themes not updated: {exc}")
        return None
    stamp = taxonomy_fingerprint(taxonomy, settings.themes)
    stale = {doc_id for doc_id, rec in store.manifest().items() if rec.themes != stamp and VECTORS in rec.models}
    if not stale:
        return None
    embedder = get_embedder(VECTORS, threads=settings.threads, runtime=settings.ingest.e5_runtime)
    return retag_store(store, tagger_for(settings, embedder), doc_ids=stale)
