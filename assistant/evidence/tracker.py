"""The recommendation tracker: every recommendation passage as one row, with management's answer attached.

A management-response matrix is ingested as one passage per recommendation, its `fields` holding the answer
(`response`: accepted / partially accepted / not accepted, `actions`, `status`, ...). A report's recommendation
takes the answer of the response row of the same evaluation that carries its number ("Recommendation 3",
"3.", "R3"), else of the response row closest in meaning (stored e5 vectors, `tracker.response_similarity`).
A response row that matches no report recommendation is a row of its own: the matrix is then the only record.

Pure functions over passages and their stored vectors: no store, no Gradio.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import numpy as np
from pydantic import BaseModel, Field

from ingest.kinds import VOCABULARY
from ingest.models import DocType, Filters, Kind, Passage
from ingest.settings import TrackerSettings

RESPONSES = ("accepted", "partially accepted", "not accepted")
ANSWER_FIELDS = ("response", "actions", "status", "responsible", "deadline")
_LABEL_WORDS = next(label for kind, _, label, _ in VOCABULARY if kind == Kind.recommendation)
_LABEL = re.compile(
    rf"^\s*(?:(?:{_LABEL_WORDS}|rec\.?|r)\s*(?:n°|no\.?|nr\.?|#)?\s*)?(\d{{1,2}}(?:\.\d{{1,2}})?)(?=$|[\s.:)\-–])",
    re.IGNORECASE,
)


class RecommendationRow(BaseModel):
    """One recommendation with where it comes from and, when a matrix answered it, management's response."""

    id: str  # the recommendation passage (the response row's own passage when no report holds it)
    doc_id: str
    title: str
    organisation: str = ""
    evaluation: str = ""
    year: int | None = None
    countries: list[str] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)
    section: str = ""
    page: int | None = None
    label: str = ""  # its number in the report ("3", "2.1"), when it has one
    addressed_to: str = ""
    text: str
    response: str | None = None
    actions: str | None = None
    status: str | None = None
    responsible: str | None = None
    deadline: str | None = None
    response_id: str | None = None  # the management-response passage the answer comes from


class RecurringGroup(BaseModel):
    """Recommendations of different evaluations that say the same thing."""

    text: str  # the member closest to all the others
    evaluations: int
    years: list[int] = Field(default_factory=list)
    members: list[RecommendationRow] = Field(default_factory=list)
    min_similarity: float = 0.0  # of the pairs that joined the group


def is_response_row(passage: Passage) -> bool:
    """A management-response passage: its fields hold management's answer, or it is a recommendation's row of a
    management-response document (whose answer cell may be empty)."""
    return bool(passage.fields.get("response")) or (
        passage.doc_type == DocType.management_response.value and bool(passage.fields.get("recommendation")))


def recommendation_label(text: str) -> str:
    """The number a recommendation opens with ("Recommendation 3: ..." -> "3", "2.1 Fund ..." -> "2.1"), or ""."""
    found = _LABEL.match(text or "")
    return found.group(1).rstrip(".") if found else ""


def evaluation_key(row: RecommendationRow | Passage) -> str:
    """What counts as one evaluation: its id, or its document when the catalog gives none."""
    return row.evaluation or f"doc:{row.doc_id}"


def _row(passage: Passage, *, text: str | None = None) -> RecommendationRow:
    return RecommendationRow(
        id=passage.id, doc_id=passage.doc_id, title=passage.title, organisation=passage.organisation,
        evaluation=passage.evaluation, year=passage.year, countries=list(passage.countries),
        themes=list(passage.themes), section=passage.section, page=passage.page, text=text or passage.text,
        label=recommendation_label(passage.fields.get("recommendation", "") or passage.text),
        addressed_to=passage.fields.get("addressed_to", ""),
    )


def _answered(row: RecommendationRow, response: Passage) -> RecommendationRow:
    """The row with management's answer from a response passage (fields it lacks stay unknown)."""
    answer = {key: response.fields[key] for key in ANSWER_FIELDS if response.fields.get(key)}
    update = {**answer, "response_id": response.id}
    if not row.addressed_to and response.fields.get("addressed_to"):
        update["addressed_to"] = response.fields["addressed_to"]
    return row.model_copy(update=update)


def _cosine(vectors: Mapping[str, np.ndarray], a: str, b: str) -> float:
    if a not in vectors or b not in vectors:
        return -1.0
    return float(np.dot(vectors[a], vectors[b]))


def _match_response(row: RecommendationRow, responses: list[Passage], vectors: Mapping[str, np.ndarray],
                    similarity: float) -> Passage | None:
    """The response row answering `row`: the one with its number, else the closest in meaning above the cut."""
    labelled = [r for r in responses if row.label and recommendation_label(
        r.fields.get("recommendation", "") or r.text) == row.label]
    if len(labelled) == 1:
        return labelled[0]
    scored = [(r, _cosine(vectors, row.id, r.id)) for r in responses]
    best = max(scored, key=lambda pair: pair[1], default=None)
    return best[0] if best is not None and best[1] >= similarity else None


def _response_text(passage: Passage) -> str:
    """A response row's recommendation in words (its field when that is more than a number)."""
    field = passage.fields.get("recommendation", "")
    return field if len(field.split()) > 3 else passage.text


def build_rows(passages: Iterable[Passage], vectors: Mapping[str, np.ndarray],
               settings: TrackerSettings) -> list[RecommendationRow]:
    """Every recommendation as a row, answered where a response row of its evaluation matches it; then the
    response rows that answer no report recommendation."""
    passages = list(passages)
    responses: dict[str, list[Passage]] = {}
    for p in passages:
        if is_response_row(p) and p.evaluation:
            responses.setdefault(p.evaluation, []).append(p)
    rows, used = [], set()
    for p in passages:
        if p.kind != Kind.recommendation or is_response_row(p) or p.fields.get("continues"):
            continue  # a long recommendation's later parts are the row of its first
        row = _row(p)
        candidates = [r for r in responses.get(p.evaluation, []) if r.doc_id != p.doc_id] if p.evaluation else []
        match = _match_response(row, candidates, vectors, settings.response_similarity)
        if match is not None:
            row = _answered(row, match)
            used.add(match.id)
        rows.append(row)
    for p in passages:
        if is_response_row(p) and p.id not in used:
            rows.append(_answered(_row(p, text=_response_text(p)), p))
    return rows


def filter_rows(rows: Iterable[RecommendationRow], passages: Mapping[str, Passage], *,
                filters: Filters | None = None, responses: Iterable[str] = (), statuses: Iterable[str] = (),
                evaluations: Iterable[str] = ()) -> list[RecommendationRow]:
    """Rows whose passage passes `filters` and whose response, status and evaluation are among those given
    (an empty choice means any; "unknown" picks rows without an answer)."""
    wanted = {name: {v.strip().lower() for v in values} for name, values in
              (("response", responses), ("status", statuses), ("evaluation", evaluations))}

    def chosen(name: str, value: str | None) -> bool:
        return not wanted[name] or (value or "unknown").strip().lower() in wanted[name]

    return [
        row for row in rows
        if (filters is None or row.id not in passages or filters.matches(passages[row.id]))
        and chosen("response", row.response) and chosen("status", row.status) and chosen("evaluation", row.evaluation)
    ]


def row_json(row: RecommendationRow) -> dict:
    """The JSON line of one row: the contract's keys always, management's answer and the rest where known."""
    data = row.model_dump(mode="json")
    always = ("id", "doc_id", "title", "evaluation", "year", "countries", "themes", "text")
    return {key: data[key] for key in always} | {
        key: data[key] for key in ("section", "page", "label", "addressed_to", *ANSWER_FIELDS, "response_id")
        if data[key] not in (None, "")
    }
