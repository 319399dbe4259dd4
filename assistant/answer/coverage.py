"""Coverage check for evaluators: is each draft finding or recommendation already in prior evidence?

For every line we retrieve the closest passages, score each as evidence for the line and keep the
best. The score blends the dense cosine similarity (the calibrated retrieval signal) with the share of
the line's content words that the passage contains, so a line copied from a report scores near 1 and
an unrelated one falls well below the thresholds. Verdicts come from `settings.coverage`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from assistant.answer.frame import frame_for
from assistant.answer.quotes import best_quote, stems
from assistant.answer.types import Hit
from ingest.models import Filters
from ingest.settings import CoverageSettings, Settings

if TYPE_CHECKING:
    from assistant.retrieval.search import SearchIndex

Verdict = Literal["covered", "partly covered", "new"]
_BULLET = re.compile(r"^\s*(?:[-*•–—·]+|\(?\d{1,3}[.)]|\(?[a-zA-Z][.)])\s+")


class CoverageRow(BaseModel):
    """One checked line with its closest prior evidence."""

    line: str
    verdict: Verdict
    verdict_label: str = ""  # the verdict in the line's language (English, Spanish, French, Norwegian, Swedish)
    score: float
    quote: str = ""
    title: str = ""
    organisation: str = ""
    year: int | None = None
    section: str = ""
    kind: str = ""
    page: int | None = None
    doc_id: str = ""
    passage_id: str = ""
    dense: float = 0.0  # the parts of the score, for calibration and debugging
    containment: float = 0.0
    signals: dict[str, float] = Field(default_factory=dict)


def split_lines(text: str) -> list[str]:
    """Non-empty lines of pasted text, without bullets or list numbers."""
    lines = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw).strip()
        if line:
            lines.append(line)
    return lines


def containment(line: str, passage_text: str) -> float:
    """Share of the line's distinct content words (stemmed) that occur in the passage."""
    wanted = set(stems(line))
    if not wanted:
        return 0.0
    return len(wanted & set(stems(passage_text))) / len(wanted)


def evidence_score(line: str, hit: Hit, *, thresholds: CoverageSettings) -> tuple[float, float, float]:
    """(score, dense cosine, containment) of one retrieved passage as evidence for a line."""
    dense = max((v for k, v in hit.scores.items() if k.startswith("dense_")), default=None)
    contained = containment(line, hit.passage.text)
    if dense is None:  # keyword-only index: containment is the only absolute signal
        return contained, 0.0, contained
    w = thresholds.dense_weight
    return w * dense + (1 - w) * contained, dense, contained


def verdict(score: float, *, thresholds: CoverageSettings) -> Verdict:
    """Covered / partly covered / new from a score."""
    if score >= thresholds.covered:
        return "covered"
    if score >= thresholds.partly:
        return "partly covered"
    return "new"


def check_line(
    line: str,
    *,
    index: SearchIndex,
    settings: Settings,
    thresholds: CoverageSettings,
    filters: Filters | None = None,
) -> CoverageRow:
    """The closest prior evidence for one line, scored and judged."""
    from assistant.retrieval.search import retrieve

    hits = retrieve(line, index=index, settings=settings, filters=filters, k=thresholds.candidates).hits
    if not hits:
        return CoverageRow(line=line, verdict="new", score=0.0)
    scored = [(evidence_score(line, h, thresholds=thresholds), h) for h in hits]
    (score, dense, contained), hit = max(scored, key=lambda pair: pair[0][0])
    p = hit.passage
    quote = best_quote(line, p, max_words=settings.answer.max_quote_words, weights=settings.answer.quote_weights).text
    return CoverageRow(
        line=line,
        verdict=verdict(score, thresholds=thresholds),
        score=round(score, 3),
        quote=quote,
        title=p.title,
        organisation=p.organisation,
        year=p.year,
        section=p.section,
        kind=p.kind.value,
        page=p.page,
        doc_id=p.doc_id,
        passage_id=p.id,
        dense=round(dense, 3),
        containment=round(contained, 3),
        signals={k: round(v, 4) for k, v in hit.scores.items()},
    )


def check_coverage(
    lines: list[str],
    *,
    index: SearchIndex,
    settings: Settings,
    thresholds: CoverageSettings | None = None,
    filters: Filters | None = None,
) -> list[CoverageRow]:
    """One CoverageRow per non-empty line, in input order, its verdict also named in the lines' language."""
    thresholds = thresholds or settings.coverage
    cleaned = [c for c in (_BULLET.sub("", line).strip() for line in lines) if c]
    frame = frame_for(" ".join(cleaned))
    rows = [check_line(c, index=index, settings=settings, thresholds=thresholds, filters=filters) for c in cleaned]
    return [r.model_copy(update={"verdict_label": frame[r.verdict]}) for r in rows]


CSV_COLUMNS = ["line", "verdict", "score", "quote", "title", "organisation", "year", "section", "kind", "page"]
