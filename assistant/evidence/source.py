"""The tracker's input read from an index: the snapshot's passages and the stored vectors of the
recommendation and management-response passages (the dense matrix of the snapshot, no model loaded)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.evidence.recurring import recurring_groups
from assistant.evidence.tracker import RecommendationRow, RecurringGroup, build_rows, is_response_row
from ingest.models import Kind, Passage
from ingest.settings import Settings
from ingest.snapshot.build import Snapshot, open_snapshot
from ingest.store import open_store


@dataclass
class Tracker:
    """Every recommendation row of one snapshot, with what filtering and grouping read."""

    fingerprint: str
    rows: list[RecommendationRow]
    passages: dict[str, Passage]  # recommendation and response passages by id
    vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def recurring(self, settings: Settings, rows: list[RecommendationRow] | None = None) -> list[RecurringGroup]:
        """The recurring recommendations among `rows` (default: all)."""
        return recurring_groups(self.rows if rows is None else rows, self.vectors,
                                threshold=settings.tracker.recurring_similarity,
                                center=settings.tracker.recurring_center)


def tracked(passage: Passage) -> bool:
    """Whether the tracker reads a passage: a recommendation or a management-response row."""
    return passage.kind == Kind.recommendation or is_response_row(passage)


def tracker_from_snapshot(snapshot: Snapshot, settings: Settings) -> Tracker:
    """The tracker over a search snapshot (its dense matrix of `tracker.embedder`, when it has one)."""
    rows_at = [i for i, p in enumerate(snapshot.passages) if tracked(p)]
    passages = {snapshot.passages[i].id: snapshot.passages[i] for i in rows_at}
    dense = snapshot.dense.get(settings.tracker.embedder)
    vectors = {}
    if dense is not None and dense.matrix.shape[0] == len(snapshot.passages):
        vectors = {snapshot.passages[i].id: np.asarray(dense.matrix[i], dtype=np.float32) for i in rows_at}
    rows = build_rows(passages.values(), vectors, settings.tracker)
    return Tracker(fingerprint=snapshot.fingerprint, rows=rows, passages=passages, vectors=vectors)


def open_tracker(settings: Settings) -> Tracker:
    """The tracker of the index `settings` point at (the snapshot is built when ingestion did not)."""
    store = open_store(settings)
    embedders = [settings.tracker.embedder] if settings.tracker.embedder in settings.embedders else []
    return tracker_from_snapshot(open_snapshot(store, settings, embedders=embedders), settings)
