"""Recurring recommendations: the ones that different evaluations make again, found by the cosine of their
stored e5 vectors (multilingual: a Norwegian and an English recommendation meet in the same space).

Two rows join when their cosine (less the corpus's mean recommendation vector) reaches `tracker.recurring_similarity` (set on evals/quality/recurring_pairs.yaml)
and they belong to different evaluations (or, without an evaluation id, different documents): a brief repeating
its own report is not a recommendation coming back. A group holds rows that are all close to each other and come from
different evaluations (complete linkage: no chain of near neighbours drifts from one topic to another).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assistant.evidence.tracker import RecommendationRow, RecurringGroup, evaluation_key


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Each row scaled to length one (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def similarities(matrix: np.ndarray, *, mean: np.ndarray | None = None) -> np.ndarray:
    """Cosine between every two rows; with `mean`, of the rows less that mean (the direction every
    recommendation of the corpus shares, which otherwise puts any two of them close)."""
    rows = unit_rows(np.asarray(matrix, dtype=np.float32))
    if mean is not None:
        rows = unit_rows(rows - mean)
    return rows @ rows.T


def corpus_mean(vectors: Mapping[str, np.ndarray]) -> np.ndarray | None:
    """The mean unit vector of every tracked passage (None when there are none)."""
    if not vectors:
        return None
    return unit_rows(np.stack([np.asarray(v, dtype=np.float32) for v in vectors.values()])).mean(axis=0)


def recurring_groups(rows: list[RecommendationRow], vectors: Mapping[str, np.ndarray], *,
                     threshold: float, center: bool = True) -> list[RecurringGroup]:
    """Groups of recommendations from at least two evaluations that say the same thing, most evaluations first
    (`center`: compared less the mean of every vector in `vectors`, see `similarities`)."""
    kept = [r for r in rows if r.id in vectors]
    if len(kept) < 2:
        return []
    sims = similarities(np.stack([vectors[r.id] for r in kept]), mean=corpus_mean(vectors) if center else None)
    keys = np.array([evaluation_key(r) for r in kept])
    close = (sims >= threshold) & (keys[:, None] != keys[None, :])
    pairs = np.argwhere(np.triu(close, k=1))
    group_of = {i: {i} for i in range(len(kept))}  # complete linkage: every two members close, no chaining
    for i, j in sorted(pairs.tolist(), key=lambda ij: -sims[ij[0], ij[1]]):
        a, b = group_of[i], group_of[j]
        if a is b or not all(close[x, y] for x in a for y in b):
            continue
        a |= b
        for x in b:
            group_of[x] = a
    members = {id(g): sorted(g) for g in group_of.values() if len(g) > 1}
    weakest = {key: float(min(sims[x, y] for x in idx for y in idx if x < y)) for key, idx in members.items()}
    groups = []
    for root, idx in members.items():
        idx = sorted(idx)
        centre = idx[int(np.argmax(sims[np.ix_(idx, idx)].sum(axis=1)))]
        group_rows = [kept[i] for i in idx]
        groups.append(RecurringGroup(
            text=kept[centre].text, evaluations=len({evaluation_key(r) for r in group_rows}),
            years=sorted({r.year for r in group_rows if r.year}), members=group_rows,
            min_similarity=round(weakest.get(root, 1.0), 4),
        ))
    return sorted(groups, key=lambda g: (-g.evaluations, -len(g.members), g.text))
