"""Hybrid retrieval: keyword, dense and e5 sparse search over one snapshot, fused, reranked, diversified, and
refused when the corpus holds nothing relevant.

Every step is a typed function over `Hit`s; `retrieve` chains them. `SearchIndex` only bundles what the steps
read (the store, its search snapshot, the embedders) so models load once per process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, Field

from assistant.answer.types import Hit
from assistant.retrieval.fusion import diversify, fuse, rerank
from assistant.retrieval.glossary import load_glossary
from assistant.retrieval.question import asked_response, named_documents, query_language
from assistant.retrieval.refusal import (Unknowns, places_not_in_evidence, refusal_scale, relevance, should_refuse,
                                         stages_not_in_evidence, unknown_terms, years_not_in_evidence)
from ingest.countries import country_mentions
from ingest.embed import Embedder, get_embedder
from ingest.models import Filters
from ingest.settings import Settings
from ingest.snapshot.build import Snapshot, open_snapshot
from ingest.snapshot.dense import DenseMatrix, nearest
from ingest.snapshot.keyword import KeywordIndex
from ingest.store import Store, open_store


class Retrieval(BaseModel):
    """The ranked evidence for one query, and whether the corpus holds anything relevant."""

    query: str
    hits: list[Hit] = Field(default_factory=list)  # best first; still filled when refused
    refused: bool = False
    best_score: float = 0.0  # the calibrated relevance signal the refusal threshold applies to
    unknowns: Unknowns = Field(default_factory=Unknowns)  # what the question names that the corpus never does
    ms: float = 0.0


@dataclass
class SearchIndex:
    """What retrieval reads: the store, one snapshot of its passages (keyword index, dense matrices, document
    names, all of the same fingerprint) and the loaded embedders."""

    settings: Settings
    store: Store
    snapshot: Snapshot
    embedders: dict[str, Embedder] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> SearchIndex:
        """Open the store and its snapshot (built if ingestion did not), load the embedders."""
        store = open_store(settings)
        embedders = {name: get_embedder(name, threads=settings.threads) for name in settings.embedders}
        return cls(settings=settings, store=store, snapshot=open_snapshot(store, settings, embedders=embedders),
                   embedders=embedders)

    @property
    def keyword(self) -> KeywordIndex:
        return self.snapshot.keyword

    @property
    def dense(self) -> dict[str, DenseMatrix]:
        return self.snapshot.dense

    @property
    def doc_names(self) -> dict[str, set[str]]:
        return self.snapshot.doc_names

    def refresh(self) -> bool:
        """Reload the snapshot when the store changed (new documents from another process)."""
        with self._lock:
            if self.snapshot.fingerprint == self.store.fingerprint():
                return False
            # one assignment: a concurrent query sees the old snapshot or the new one, never a mix
            self.snapshot = open_snapshot(self.store, self.settings, embedders=self.embedders)
            return True


def _keyword_query(query: str, index: SearchIndex) -> str:
    """The question's words, expanded across languages by the glossary when one is configured."""
    return load_glossary(index.settings.search.glossary).expand(query) if index.settings.search.glossary else query


def _sparse_terms(query: str, index: SearchIndex) -> tuple[np.ndarray, np.ndarray]:
    """The question's heaviest e5 latent terms: the search reads only their columns."""
    qidx, qval = index.embedders["e5"].sparse_query(query)
    terms = index.settings.search.sparse_query_terms
    if len(qidx) > terms:
        keep = np.argpartition(-qval, terms - 1)[:terms]
        qidx, qval = qidx[keep], qval[keep]
    return qidx, qval


def keyword_search(query: str, *, index: SearchIndex, k: int, filters: Filters | None = None) -> list[Hit]:
    """BM25 over all passages, with the filter applied inside the search; the question's words are expanded
    across languages by the glossary when one is configured."""
    found = index.keyword.search(_keyword_query(query, index), k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={"bm25": s}) for p, s in found]


def vector_search(
    query: str, *, index: SearchIndex, embedder: str, k: int, filters: Filters | None = None
) -> list[Hit]:
    """Dense search: Chroma's HNSW when unfiltered, exact cosine over the filtered rows of the stored vectors."""
    vector = index.embedders[embedder].embed_query(query)
    pairs = nearest(index.dense[embedder], vector, k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={f"dense_{embedder}": s}) for p, s in pairs]


def sparse_search(query: str, *, index: SearchIndex, k: int, filters: Filters | None = None) -> list[Hit]:
    """e5's sparse "latent terms": dot products with every passage's stored vector, the filter applied inside."""
    qidx, qval = _sparse_terms(query, index)
    pairs = index.keyword.sparse_search(qidx, qval, k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={"sparse": s}) for p, s in pairs]


def complete_scores(query: str, hits: list[Hit], *, index: SearchIndex, signals: Iterable[str]) -> None:
    """Give every candidate the score of every search that ran (`signals`), not only of those that ranked it among
    their best: a passage only the dense search found keeps its real BM25 and sparse scores rather than none."""
    rows = [index.keyword.rows[h.passage.id] for h in hits]
    for signal in signals:
        if signal == "bm25":
            full = index.keyword.scores(_keyword_query(query, index))
            values = np.zeros(len(rows), dtype=np.float32) if full is None else full[rows]
        elif signal == "sparse":
            values = index.keyword.sparse_scores(*_sparse_terms(query, index), rows)
        else:  # dense_<embedder>
            name = signal.removeprefix("dense_")
            values = index.dense[name].matrix[rows] @ index.embedders[name].embed_query(query)
        for hit, value in zip(hits, values):
            hit.scores.setdefault(signal, float(value))


def retrieve(
    query: str, *, index: SearchIndex, settings: Settings, filters: Filters | None = None, k: int | None = None
) -> Retrieval:
    """Find the passages that answer `query`, or refuse when the corpus holds nothing relevant."""
    started = time.perf_counter()
    cfg = settings.search
    k = k or cfg.top_k
    rankings: dict[str, list[Hit]] = {}
    if cfg.use_keyword:
        rankings["bm25"] = keyword_search(query, index=index, k=cfg.candidates, filters=filters)
    if cfg.use_dense:
        for name in index.embedders:
            rankings[f"dense_{name}"] = vector_search(
                query, index=index, embedder=name, k=cfg.candidates, filters=filters
            )
    e5 = index.embedders.get("e5")
    if cfg.use_sparse and hasattr(e5, "sparse_query") and index.keyword.sparse is not None:
        rankings["sparse"] = sparse_search(query, index=index, k=cfg.candidates, filters=filters)
    signals = list(rankings)
    response = asked_response(query)
    if response and cfg.use_dense and (filters is None or not filters.responses):
        # the few rows whose management response is the one asked for join the candidates, however few words
        # they share with the question ("hvilke anbefalinger avviste ledelsen" over an English matrix)
        scope = (filters or Filters()).model_copy(update={"responses": [response]})
        for name in index.embedders:
            rankings[f"response_{name}"] = vector_search(query, index=index, embedder=name, k=cfg.response_candidates,
                                                         filters=scope)
    lang = query_language(query)
    bm25_weight = cfg.weight_bm25 if lang == "en" else cfg.weight_bm25 * cfg.bm25_weight_foreign
    weights = {name: (bm25_weight if name == "bm25" else cfg.weight_dense) for name in rankings}
    hits = fuse(rankings, weights=weights, rrf_k=cfg.rrf_k)
    if cfg.complete_scores:
        complete_scores(query, hits, index=index, signals=signals)
    if cfg.second_stage:
        named = named_documents(query, index.doc_names)
        places = {country for _, country, _, _ in country_mentions(query)}
        hits = rerank(query, hits, settings=cfg, named=named, query_lang=lang, places=places)
    scale = refusal_scale(index.embedders)
    best = relevance(hits, embedder=scale)  # over every candidate, before the list is cut to k
    if cfg.dedup:
        hits = diversify(hits, threshold=cfg.dedup_similarity, limit=k)
    unknowns = Unknowns()
    if hits and cfg.use_dense and scale in index.embedders:
        unknowns = unknown_terms(query, keyword=index.keyword, query_lang=lang, embedder=index.embedders[scale])
    refused = not hits or (cfg.use_dense and should_refuse(best, unknowns, cutoffs=cfg.refusal(scale)))
    if hits and not refused:
        unknowns.not_in_evidence = [*places_not_in_evidence(query, hits[:k], absent=unknowns.names),
                                    *years_not_in_evidence(query, hits[:k], absent=unknowns.names)]
        unknowns.stages_not_in_evidence = stages_not_in_evidence(query, hits[:k],
                                                                 titles=index.snapshot.evaluation_titles)
    return Retrieval(
        query=query,
        hits=hits[:k],  # kept when refused: the coverage check shows the closest evidence anyway
        refused=refused,
        best_score=best,
        unknowns=unknowns,
        ms=(time.perf_counter() - started) * 1000,
    )
