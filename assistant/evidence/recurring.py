"""Recurring recommendations: the ones that different evaluations make again, found by the cosine of their
stored e5 vectors (multilingual: a Norwegian and an English recommendation meet in the same space).

Two rows join when their cosine reaches `tracker.recurring_similarity` (set on evals/quality/recurring_pairs.yaml)
and they belong to different evaluations (or, without an evaluation id, different documents): a brief repeating
its own report is not a recommendation coming back. Groups are the connected rows; a group spans at least two
evaluations.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from assistant.evidence.tracker import RecommendationRow, RecurringGroup, evaluation_key


def _vector_rows(rows: list[RecommendationRow], vectors: Mapping[str, np.ndarray]) -> tuple[list, np.ndarray]:
    """The rows that have a stored vector, and their vectors as one unit-length matrix."""
    kept = [r for r in rows if r.id in vectors]
    if not kept:
        return [], np.zeros((0, 0), dtype=np.float32)
    matrix = np.stack([np.asarray(vectors[r.id], dtype=np.float32) for r in kept])
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return kept, matrix / np.where(norms == 0, 1.0, norms)


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def recurring_groups(rows: list[RecommendationRow], vectors: Mapping[str, np.ndarray], *,
                     threshold: float) -> list[RecurringGroup]:
    """Groups of recommendations from at least two evaluations that say the same thing, most evaluations first."""
    kept, matrix = _vector_rows(rows, vectors)
    if len(kept) < 2:
        return []
    sims = matrix @ matrix.T
    keys = np.array([evaluation_key(r) for r in kept])
    pairs = np.argwhere(np.triu(sims >= threshold, k=1) & (keys[:, None] != keys[None, :]))
    parent = list(range(len(kept)))
    weakest: dict[int, float] = {}
    for i, j in pairs:
        a, b = _find(parent, int(i)), _find(parent, int(j))
        low = min(weakest.get(a, 1.0), weakest.get(b, 1.0), float(sims[i, j]))
        parent[b] = a
        weakest[a] = low
    members: dict[int, list[int]] = {}
    for i in {int(x) for x in pairs.ravel()}:
        members.setdefault(_find(parent, i), []).append(i)
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
