"""The filterable fields of a passage list as numpy columns, shared by keyword, sparse and dense search.

A `Filters` mask over 100k passages takes about a millisecond this way; `Filters.matches` on each passage
took a few hundred. Built once per snapshot (`KeywordIndex.columns`) and read by every search.
"""

from __future__ import annotations

import numpy as np

from ingest.models import Filters, Passage


class MetadataColumns:
    """The filterable fields of a passage list as numpy columns: a Filters mask in about a millisecond at 100k."""

    def __init__(self, passages: list[Passage]) -> None:
        self.size = len(passages)
        self._codes: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for name, values in (
            ("doc_ids", [p.doc_id for p in passages]),
            ("organisations", [p.organisation for p in passages]),
            ("languages", [p.language for p in passages]),
            ("kinds", [p.kind.value for p in passages]),
        ):
            vocab: dict[str, int] = {}
            codes = np.fromiter((vocab.setdefault(v, len(vocab)) for v in values), dtype=np.int32, count=self.size)
            self._codes[name] = (vocab, codes)
        self._years = np.fromiter((p.year if p.year is not None else -1 for p in passages), np.int32, self.size)
        rows: dict[str, list[int]] = {}
        for i, p in enumerate(passages):
            for country in p.countries:
                rows.setdefault(country, []).append(i)
        self._countries = {c: np.asarray(r, dtype=np.int64) for c, r in rows.items()}

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean row mask equivalent to `Filters.matches` (None when nothing is filtered)."""
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(self.size, dtype=bool)
        for name, wanted in (("doc_ids", filters.doc_ids), ("organisations", filters.organisations),
                             ("languages", filters.languages), ("kinds", [k.value for k in filters.kinds])):
            if wanted:
                vocab, codes = self._codes[name]
                keep &= np.isin(codes, [vocab[w] for w in wanted if w in vocab])
        if filters.years:
            keep &= np.isin(self._years, filters.years)
        if filters.countries:
            any_country = np.zeros(self.size, dtype=bool)
            for country in filters.countries:
                any_country[self._countries.get(country, np.empty(0, dtype=np.int64))] = True
            keep &= any_country
        return keep
