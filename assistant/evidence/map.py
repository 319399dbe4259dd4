"""The evidence map: themes against documents, countries, years, organisations or kinds, over the stored passages.

A cell holds the passages tagged with its theme that belong to its column; a passage about two countries counts in
both. Every theme of the taxonomy is a row (only the filtered themes when a theme filter is given) and every value
found among the filtered passages is a column, so the cells without a passage are in the map too: they are the
gaps. Passages without a value for the column (no year, no country, no organisation) go in the column `UNKNOWN`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel

from ingest.models import Filters, Kind, Passage

if TYPE_CHECKING:  # the CLI reads AXES when it starts: the answer modules load only when a cell is cited
    from assistant.answer.types import Citation
    from ingest.themes import Theme

Axis = Literal["document", "country", "year", "organisation", "kind"]
AXES: tuple[Axis, ...] = ("document", "country", "year", "organisation", "kind")
UNKNOWN = "(unknown)"
_KIND_ORDER = {k.value: i for i, k in enumerate(Kind)}


class MapCell(BaseModel):
    """One theme in one column: how many passages, and which."""

    theme: str
    column: str
    count: int
    passage_ids: list[str]


class EvidenceMap(BaseModel):
    """Themes (rows, taxonomy order) x columns, every cell present (zero cells are the gaps)."""

    themes: list[str]
    columns: list[str]
    cells: list[MapCell]  # row by row: every column of the first theme, then of the second, ...

    def cell(self, theme: str, column: str) -> MapCell | None:
        """The cell of a theme and a column, or None when either is not in the map."""
        if theme not in self.themes or column not in self.columns:
            return None
        return self.cells[self.themes.index(theme) * len(self.columns) + self.columns.index(column)]

    def counts(self) -> list[list[int]]:
        """Passage counts as rows (themes) of columns."""
        width = len(self.columns)
        return [[c.count for c in self.cells[i * width : (i + 1) * width]] for i in range(len(self.themes))]


def column_values(passage: Passage, by: Axis) -> list[str]:
    """The column(s) a passage belongs to along `by`."""
    if by == "document":
        return [passage.doc_id]
    if by == "country":
        return list(passage.countries) or [UNKNOWN]
    if by == "year":
        return [str(passage.year)] if passage.year is not None else [UNKNOWN]
    if by == "organisation":
        return [passage.organisation or UNKNOWN]
    return [passage.kind.value]


def column_order(values: Iterable[str], by: Axis) -> list[str]:
    """Columns in reading order: years ascending, kinds as the Kind list has them, names alphabetically;
    `UNKNOWN` last."""
    known = set(values) - {UNKNOWN}
    if by == "year":
        ordered = sorted(known, key=int)
    elif by == "kind":
        ordered = sorted(known, key=lambda v: _KIND_ORDER.get(v, len(_KIND_ORDER)))
    else:
        ordered = sorted(known, key=str.lower)
    return ordered + ([UNKNOWN] if UNKNOWN in set(values) else [])


def build_map(passages: Iterable[Passage], theme_ids: list[str], *, by: Axis = "document",
              filters: Filters | None = None) -> EvidenceMap:
    """The map of `passages` that pass `filters`, one row per theme id (taxonomy order)."""
    kept = [p for p in passages if filters is None or filters.matches(p)]
    themes = [t for t in theme_ids if filters is None or not filters.themes or t in filters.themes]
    columns = column_order({v for p in kept for v in column_values(p, by)}, by)
    found: dict[tuple[str, str], list[str]] = {}
    rows = set(themes)
    for p in kept:
        for theme in (t for t in p.themes if t in rows):
            for column in column_values(p, by):
                found.setdefault((theme, column), []).append(p.id)
    cells = [MapCell(theme=t, column=c, count=len(found.get((t, c), [])), passage_ids=found.get((t, c), []))
             for t in themes for c in columns]
    return EvidenceMap(themes=themes, columns=columns, cells=cells)


def column_labels(passages: Iterable[Passage], by: Axis) -> dict[str, str]:
    """What to call each column: a document's title and year for documents, the value itself otherwise."""
    if by != "document":
        return {}
    return {p.doc_id: f"{p.title} ({p.year})" if p.year else p.title for p in passages}


def cell_passages(emap: EvidenceMap, theme: str, column: str, passages: Mapping[str, Passage]) -> list[Passage]:
    """The stored passages of one cell, in map order (those gone from the store left out)."""
    cell = emap.cell(theme, column)
    return [passages[pid] for pid in (cell.passage_ids if cell else []) if pid in passages]


def theme_label(theme: Theme, language: str = "en") -> str:
    """A theme's name for people, marked when its tags are approximate (test F1 under 0.6): "Gender (approximate)"."""
    return theme.label(language) + (" (approximate)" if theme.approximate else "")


def theme_text(theme: Theme, language: str) -> str:
    """A theme's label and description in `language` (English when it has none): what its quotes are chosen by."""
    lang = language if language in theme.descriptions else "en"
    return f"{theme.label(lang)}: {theme.descriptions[lang]}"


def cell_citations(passages: list[Passage], theme: Theme, *, max_words: int) -> list[Citation]:
    """Numbered citations of a cell's passages, each quoting the sentence that says most about the theme."""
    from assistant.answer.sources import make_citation
    from assistant.answer.quotes import best_quote

    return [make_citation(n, p, best_quote(theme_text(theme, p.language), p, max_words=max_words).text)
            for n, p in enumerate(passages, start=1)]
