"""Hybrid retrieval: keyword and dense search, rank fusion, a second stage, diversity and refusal.

Every step is a pure typed function over `Hit`s; `retrieve` chains them. `SearchIndex` only bundles
what the steps read (the store, the keyword index, the embedders) so models load once per process.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from ingest.embed import Embedder, get_embedder
from ingest.keyword_index import KeywordIndex, load_or_build
from ingest.models import Filters, Hit, Kind, Passage
from ingest.settings import SearchSettings, Settings
from ingest.store import Store, open_store


class Retrieval(BaseModel):
    """The ranked evidence for one query, and whether the corpus holds anything relevant."""

    query: str
    hits: list[Hit] = Field(default_factory=list)  # best first; still filled when refused
    refused: bool = False
    best_score: float = 0.0  # the calibrated relevance signal the refusal threshold applies to
    ms: float = 0.0


@dataclass
class SearchIndex:
    """What retrieval reads: the store, the keyword index and the loaded embedders."""

    settings: Settings
    store: Store
    keyword: KeywordIndex
    embedders: dict[str, Embedder] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def open(cls, settings: Settings) -> SearchIndex:
        """Open the store, load (or rebuild) the keyword index and load the configured embedders."""
        store = open_store(settings)
        embedders = {name: get_embedder(name, threads=settings.threads) for name in settings.embedders}
        return cls(settings=settings, store=store, keyword=load_or_build(store, settings), embedders=embedders)

    def refresh(self) -> bool:
        """Reload the keyword index when the store changed (new documents from another process)."""
        with self._lock:
            if self.keyword.fingerprint == self.store.fingerprint():
                return False
            self.keyword = load_or_build(self.store, self.settings)
            return True


_HOW = re.compile(
    r"\b(how|should|must|recommend\w*|advice|design|avoid|ensure|what (can|could|should|must)|"
    r"c[oó]mo|deber\w*|recomend\w*|korleis|hvordan|b[oø]r|tilr[aå]\w*|comment|faut)\b",
    re.I,
)
_WHAT_FOUND = re.compile(
    r"\b(find\w*|found|result\w*|happen\w*|achiev\w*|evidence|conclu\w*|assess\w*|hallazg\w*|"
    r"encontr\w*|funn|fann|konklu\w*|résultat\w*|constat\w*)\b",
    re.I,
)
_EXAMPLES = re.compile(
    r"\b(examples?|campaigns?|tools?|good practices?|best practices?|practices?|ejemplos?|campañas?|"
    r"buenas prácticas|eksemp\w*|kampanj\w*|exemples?|campagnes?)\b",
    re.I,
)


def intended_kinds(query: str) -> set[Kind]:
    """The passage kinds a question asks for, from its wording (empty when it does not say)."""
    kinds: set[Kind] = set()
    if _HOW.search(query):
        kinds |= {Kind.recommendation, Kind.lesson}
    if _WHAT_FOUND.search(query):
        kinds |= {Kind.finding, Kind.challenge, Kind.lesson}
    if _EXAMPLES.search(query):
        kinds |= {Kind.good_practice, Kind.lesson}
    return kinds


def keyword_search(query: str, *, index: SearchIndex, k: int, filters: Filters | None = None) -> list[Hit]:
    """BM25 over all passages, with the filter applied inside the search."""
    return [Hit(passage=p, score=s, scores={"bm25": s}) for p, s in index.keyword.search(query, k=k, filters=filters)]


def vector_search(
    query: str, *, index: SearchIndex, embedder: str, k: int, filters: Filters | None = None
) -> list[Hit]:
    """Dense search in the embedder's Chroma collection, with the filter as a Chroma `where`."""
    vector = index.embedders[embedder].embed_query(query)
    pairs = index.store.vector_query(embedder, vector, k=k, filters=filters)
    return [Hit(passage=p, score=s, scores={f"dense_{embedder}": s}) for p, s in pairs]


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


def rerank(query: str, hits: list[Hit], *, settings: SearchSettings) -> list[Hit]:
    """Second stage: boost passages whose kind fits the question and whose dense score is strong."""
    kinds = intended_kinds(query)
    top_rrf = max((h.score for h in hits), default=1.0) or 1.0
    reranked = []
    for hit in hits:
        dense = max((v for k, v in hit.scores.items() if k.startswith("dense_")), default=0.0)
        score = hit.score / top_rrf + dense
        if hit.passage.kind in kinds:
            score += settings.kind_boost
        if hit.passage.kind == Kind.table_row and not kinds & {Kind.table_row}:
            score -= settings.kind_boost / 2
        reranked.append(hit.model_copy(update={"score": score}))
    return sorted(reranked, key=lambda h: h.score, reverse=True)


_WORD = re.compile(r"\w+", re.U)


def _tokens(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if len(w) > 2}


def diversify(hits: list[Hit], *, threshold: float) -> list[Hit]:
    """Drop a hit whose words mostly repeat a better one (the same recommendation quoted twice)."""
    kept: list[tuple[Hit, set[str]]] = []
    for hit in hits:
        words = _tokens(hit.passage.text)
        if any(len(words & seen) / max(1, min(len(words), len(seen))) >= threshold for _, seen in kept):
            continue
        kept.append((hit, words))
    return [hit for hit, _ in kept]


def relevance(hits: list[Hit]) -> float:
    """The calibrated relevance of a result list: the best dense cosine, or best BM25 when no dense ran."""
    dense = [v for h in hits for k, v in h.scores.items() if k.startswith("dense_")]
    if dense:
        return max(dense)
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
    weights = {name: (cfg.weight_bm25 if name == "bm25" else cfg.weight_dense) for name in rankings}
    hits = fuse(rankings, weights=weights, rrf_k=cfg.rrf_k)
    if cfg.second_stage:
        hits = rerank(query, hits, settings=cfg)
    if cfg.dedup:
        hits = diversify(hits, threshold=cfg.dedup_similarity)
    best = relevance(hits)
    refused = not hits or (cfg.use_dense and best < cfg.refusal_threshold)
    return Retrieval(
        query=query,
        hits=hits[:k],  # kept when refused: the coverage check shows the closest evidence anyway
        refused=refused,
        best_score=best,
        ms=(time.perf_counter() - started) * 1000,
    )
