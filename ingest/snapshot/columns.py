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
            ("responses", [p.fields.get("response", "") for p in passages]),
        ):
            vocab: dict[str, int] = {}
            codes = np.fromiter((vocab.setdefault(v, len(vocab)) for v in values), dtype=np.int32, count=self.size)
            self._codes[name] = (vocab, codes)
        self._years = np.fromiter((p.year if p.year is not None else -1 for p in passages), np.int32, self.size)
        self._countries = _rows_by_value([p.countries for p in passages])
        self._themes = _rows_by_value([p.themes for p in passages])

    def mask(self, filters: Filters | None) -> np.ndarray | None:
        """Boolean row mask equivalent to `Filters.matches` (None when nothing is filtered)."""
        if filters is None or filters.is_empty():
            return None
        keep = np.ones(self.size, dtype=bool)
        for name, wanted in (("doc_ids", filters.doc_ids), ("organisations", filters.organisations),
                             ("languages", filters.languages), ("kinds", [k.value for k in filters.kinds]),
                             ("responses", filters.responses)):
            if wanted:
                vocab, codes = self._codes[name]
                keep &= np.isin(codes, [vocab[w] for w in wanted if w in vocab])
        if filters.years:
            keep &= np.isin(self._years, filters.years)
        for wanted, rows in ((filters.countries, self._countries), (filters.themes, self._themes)):
            if wanted:  # a passage passes with any one of the wanted values
                any_value = np.zeros(self.size, dtype=bool)
                for value in wanted:
                    any_value[rows.get(value, np.empty(0, dtype=np.int64))] = True
                keep &= any_value
        return keep


def _rows_by_value(values: list[list[str]]) -> dict[str, np.ndarray]:
    """Value -> the rows whose list holds it (for list fields: countries, themes)."""
    rows: dict[str, list[int]] = {}
    for i, row in enumerate(values):
        for value in row:
            rows.setdefault(value, []).append(i)
    return {v: np.asarray(r, dtype=np.int64) for v, r in rows.items()}
