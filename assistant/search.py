"""Hybrid retrieval: keyword and dense search, rank fusion, a second stage, diversity and refusal.

Every step is a pure typed function over `Hit`s; `retrieve` chains them. `SearchIndex` only bundles
what the steps read (the store, the keyword index, the embedders) so models load once per process.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from assistant.dense_matrix import DenseMatrix, nearest
from assistant.glossary import load_glossary
from assistant.query import (
    document_names,
    intended_kinds,
    language_affinity,
    named_documents,
    query_language,
    should_refuse,
    unknown_terms,
    Unknowns,
)
from ingest.embed import Embedder, get_embedder
from ingest.keyword_index import KeywordIndex, load_or_build
from ingest.lang import is_mostly_questions
from assistant.answer.types import Hit
from ingest.models import Filters, Kind
from ingest.settings import SearchSettings, Settings
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
    keyword: KeywordIndex
    embedders: dict[str, Embedder] = field(default_factory=dict)
    dense: dict[str, DenseMatrix] = field(default_factory=dict)  # embedder -> vectors in keyword-passage order
    doc_names: dict[str, set[str]] = field(default_factory=dict)  # doc_id -> distinctive name keys
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> SearchIndex:
        """Open the store, load (or rebuild) the keyword index and dense matrices, load the embedders."""
        store = open_store(settings)
        embedders = {name: get_embedder(name, threads=settings.threads) for name in settings.embedders}
        index = cls(settings=settings, store=store, keyword=load_or_build(store, settings), embedders=embedders)
        index.load_snapshot(index.keyword)
        return index

    def load_snapshot(self, keyword: KeywordIndex) -> None:
        """Make `keyword`'s snapshot the one searched: its dense matrices and document names with it."""
        dense = {name: DenseMatrix.load_or_build(self.store, keyword, embedder=name, data_dir=self.settings.data_dir)
                 for name in self.embedders}
        names = cached_document_names(keyword, data_dir=self.settings.data_dir)
        # one assignment: a concurrent query sees the old snapshot or the new one, never a mix
        self.keyword, self.dense, self.doc_names = keyword, dense, names

    def refresh(self) -> bool:
        """Reload the snapshot when the store changed (new documents from another process)."""
        with self._lock:
            if self.keyword.fingerprint == self.store.fingerprint():
                return False
            self.load_snapshot(load_or_build(self.store, self.settings))
            return True


def cached_document_names(keyword: KeywordIndex, *, data_dir: Path) -> dict[str, set[str]]:
    """`document_names` of a snapshot, saved beside its dense matrices (seconds to compute at 100k passages)."""
    path = Path(data_dir) / "vectors" / keyword.fingerprint / "document_names.json"
    try:
        return {doc: set(names) for doc, names in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        pass
    names = document_names(keyword.passages)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({doc: sorted(n) for doc, n in names.items()}), encoding="utf-8")
    os.replace(tmp, path)
    return names


def keyword_search(query: str, *, index: SearchIndex, k: int, filters: Filters | None = None) -> list[Hit]:
    """BM25 over all passages, with the filter applied inside the search; the question's words are expanded
    across languages by the glossary when one is configured."""
    if index.settings.search.glossary:
        query = load_glossary(index.settings.search.glossary).expand(query)
    return [Hit(passage=p, score=s, scores={"bm25": s}) for p, s in index.keyword.search(query, k=k, filters=filters)]


def vector_search(
    query: str, *, index: SearchIndex, embedder: str, k: int, filters: Filters | None = None
) -> list[Hit]:
    """Dense search: Chroma's HNSW when unfiltered, exact cosine over the filtered rows of the stored vectors."""
    vector = index.embedders[embedder].embed_query(query)
    pairs = nearest(index.dense[embedder], vector, k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={f"dense_{embedder}": s}) for p, s in pairs]


def sparse_search(query: str, *, index: SearchIndex, k: int, filters: Filters | None = None) -> list[Hit]:
    """e5's sparse "latent terms": dot products with every passage's stored vector, the filter applied inside."""
    qidx, qval = index.embedders["e5"].sparse_query(query)
    terms = index.settings.search.sparse_query_terms
    if len(qidx) > terms:  # the heaviest latent terms: the search reads only their columns
        keep = np.argpartition(-qval, terms - 1)[:terms]
        qidx, qval = qidx[keep], qval[keep]
    pairs = index.keyword.sparse_search(qidx, qval, k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={"sparse": s}) for p, s in pairs]


def fuse(rankings: dict[str, list[Hit]], *, weights: dict[str, float], rrf_k: int = 60) -> list[Hit]:
    """Weighted reciprocal rank fusion; each fused hit keeps every signal's raw score."""
    fused: dict[str, Hit] = {}
    for name, hits in rankings.items():
        weight = weights.get(name, 1.0)
        for rank, hit in enumerate(hits, start=1):
            merged = fused.setdefault(hit.passage.id, Hit(passage=hit.passage, score=0.0))
            merged.score += weight / (rrf_k + rank)
            merged.scores.update(hit.scores)
    return sorted(fused.values(), key=lambda h: h.score, reverse=True)


def calibrate_by_language(hits: list[Hit], dense: dict[str, float], *, min_group: int = 5) -> dict[str, float]:
    """Remove the bonus a multilingual embedder gives passages in the question's own language: subtract each
    passage language's mean similarity among the candidates (groups too small to estimate keep the overall mean)."""
    if not dense:
        return dense
    overall = sum(dense.values()) / len(dense)
    groups: dict[str, list[float]] = {}
    for hit in hits:
        groups.setdefault(hit.passage.language, []).append(dense[hit.passage.id])
    mean = {lang: (sum(v) / len(v) if len(v) >= min_group else overall) for lang, v in groups.items()}
    return {h.passage.id: dense[h.passage.id] - mean[h.passage.language] + overall for h in hits}


def rerank(
    query: str, hits: list[Hit], *, settings: SearchSettings, named: set[str] = frozenset(), query_lang: str = "en"
) -> list[Hit]:
    """Second stage: fused rank plus dense similarity, boosted where the kind fits the question, the passage's
    document is the one the question names, and the passage's language serves the asker."""
    kinds = intended_kinds(query)
    dense = {h.passage.id: max((v for k, v in h.scores.items() if k.startswith("dense_")), default=0.0) for h in hits}
    if settings.language_calibration:
        dense = calibrate_by_language(hits, dense)
    low, high = min(dense.values(), default=0.0), max(dense.values(), default=1.0)
    top_bm25 = max((h.scores.get("bm25", 0.0) for h in hits), default=0.0) or 1.0
    top_sparse = max((h.scores.get("sparse", 0.0) for h in hits), default=0.0) or 1.0
    reranked = []
    for hit in hits:
        # scores, not ranks: a passage only the dense search can find (another language) is not penalised
        score = (dense[hit.passage.id] - low) / ((high - low) or 1.0)
        score += settings.weight_bm25_rerank * hit.scores.get("bm25", 0.0) / top_bm25
        score += settings.weight_sparse * hit.scores.get("sparse", 0.0) / top_sparse
        if hit.passage.kind in kinds:
            score += settings.kind_boost
        if hit.passage.kind == Kind.table_row and not kinds & {Kind.table_row}:
            score -= settings.kind_boost / 2
        if is_mostly_questions(hit.passage.text):
            score -= settings.question_penalty
        if hit.passage.doc_id in named:
            score += settings.doc_boost
        if not language_affinity(query_lang, hit.passage.language):
            score -= settings.language_penalty
        reranked.append(hit.model_copy(update={"score": score}))
    return sorted(reranked, key=lambda h: h.score, reverse=True)


_WORD = re.compile(r"\w+", re.U)


def _bigrams(text: str) -> set[tuple[str, str]]:
    words = _WORD.findall(text.lower())
    return set(zip(words, words[1:]))


def diversify(hits: list[Hit], *, threshold: float, limit: int | None = None) -> list[Hit]:
    """Drop a hit whose word pairs mostly repeat a better one (the same recommendation quoted twice);
    stop once `limit` hits are kept (the rest would be cut anyway).

    Word pairs, not words: a short recommendation shares most of its words with any long passage on the
    same topic, but only its own phrasing with a passage that quotes it.
    """
    kept: list[tuple[Hit, set]] = []
    for hit in hits:
        pairs = _bigrams(hit.passage.text)
        if any(len(pairs & seen) / max(1, min(len(pairs), len(seen))) >= threshold for _, seen in kept):
            continue
        kept.append((hit, pairs))
        if limit is not None and len(kept) >= limit:
            break
    return [hit for hit, _ in kept]


def refusal_scale(embedders: Iterable[str]) -> str:
    """The embedder whose cosine scale the refusal reads: e5 when it runs, else the first one."""
    names = list(embedders)
    return "e5" if "e5" in names or not names else names[0]


def relevance(hits: list[Hit], *, embedder: str = "e5") -> float:
    """The calibrated relevance of a result list: the best `embedder` cosine, or best BM25 when no dense ran."""
    if any(name.startswith("dense_") for h in hits for name in h.scores):
        return max((h.scores.get(f"dense_{embedder}", 0.0) for h in hits), default=0.0)
    return max((h.scores.get("bm25", 0.0) for h in hits), default=0.0)


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
    lang = query_language(query)
    bm25_weight = cfg.weight_bm25 if lang == "en" else cfg.weight_bm25 * cfg.bm25_weight_foreign
    weights = {name: (bm25_weight if name == "bm25" else cfg.weight_dense) for name in rankings}
    hits = fuse(rankings, weights=weights, rrf_k=cfg.rrf_k)
    if cfg.second_stage:
        named = named_documents(query, index.doc_names)
        hits = rerank(query, hits, settings=cfg, named=named, query_lang=lang)
    scale = refusal_scale(index.embedders)
    best = relevance(hits, embedder=scale)  # over every candidate, before the list is cut to k
    if cfg.dedup:
        hits = diversify(hits, threshold=cfg.dedup_similarity, limit=k)
    unknowns = Unknowns()
    if hits and cfg.use_dense and scale in index.embedders:
        unknowns = unknown_terms(query, keyword=index.keyword, query_lang=lang, embedder=index.embedders[scale])
    refused = not hits or (cfg.use_dense and should_refuse(best, unknowns, cutoffs=cfg.refusal(scale)))
    return Retrieval(
        query=query,
        hits=hits[:k],  # kept when refused: the coverage check shows the closest evidence anyway
        refused=refused,
        best_score=best,
        unknowns=unknowns,
        ms=(time.perf_counter() - started) * 1000,
    )
