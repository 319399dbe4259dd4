"""Rank fusion and the second stage: one ranked list from several searches' lists, reranked by what the
question asks for, and near-duplicates dropped."""

from __future__ import annotations

import re

from assistant.answer.types import Hit
from assistant.retrieval.question import asked_response, intended_kinds, language_affinity
from ingest.kinds import FORM_SECTION, in_back_matter
from ingest.lang import is_mostly_questions
from ingest.models import Kind
from ingest.settings import SearchSettings


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
    query: str, hits: list[Hit], *, settings: SearchSettings, named: set[str] = frozenset(), query_lang: str = "en",
    places: set[str] = frozenset(),
) -> list[Hit]:
    """Second stage: dense similarity, BM25 and sparse scores (each over the best candidate's), boosted where the
    kind fits the question, the passage's document is the one the question names or is about a country it names
    (`places`, canonical names), and the passage's language serves the asker."""
    kinds = intended_kinds(query)
    response = asked_response(query)
    dense = {h.passage.id: max((v for k, v in h.scores.items() if k.startswith("dense_")), default=0.0) for h in hits}
    if settings.language_calibration:
        dense = calibrate_by_language(hits, dense)
    top_dense = max(dense.values(), default=0.0) or 1.0
    top_bm25 = max((h.scores.get("bm25", 0.0) for h in hits), default=0.0) or 1.0
    top_sparse = max((h.scores.get("sparse", 0.0) for h in hits), default=0.0) or 1.0
    reranked = []
    for hit in hits:
        # scores, not ranks: a passage only the dense search can find (another language) is not penalised; each a
        # share of the best candidate's, so the answer's cut-offs (a share of the first hit's score) read one scale
        score = dense[hit.passage.id] / top_dense
        score += settings.weight_bm25_rerank * hit.scores.get("bm25", 0.0) / top_bm25
        score += settings.weight_sparse * hit.scores.get("sparse", 0.0) / top_sparse
        if hit.passage.kind in kinds:
            score += settings.kind_boost
        if hit.passage.kind == Kind.table_row and not kinds & {Kind.table_row}:
            score -= settings.kind_boost / 2
        if is_mostly_questions(hit.passage.text) or FORM_SECTION.search(hit.passage.section) \
                or in_back_matter(hit.passage.section):  # a questionnaire's items ask, a bibliography lists sources
            score -= settings.question_penalty
        if hit.passage.doc_id in named:
            score += settings.doc_boost
        if places & set(hit.passage.countries):
            score += settings.place_boost
        if response and hit.passage.fields.get("response") == response:
            score += settings.kind_boost  # "which recommendations did management reject": the rows that say so
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
