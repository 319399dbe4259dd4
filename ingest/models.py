"""Pydantic models that flow through ingestion and out to the assistant.

`Document` is what a loader returns, `Block` is one structural unit of a cleaned
document, `Passage` is the unit that is embedded, retrieved and cited, `Filters` what a search may be limited to.
The answer side's types (Hit, Citation, Answer) live with the assistant (`assistant.answer.types`).
"""

from __future__ import annotations

import hashlib
import re
from enum import Enum

from pydantic import BaseModel, Field, model_validator


class Kind(str, Enum):
    """What a passage is, as far as a reader of an evaluation report cares."""

    lesson = "lesson"
    recommendation = "recommendation"
    finding = "finding"
    good_practice = "good_practice"
    challenge = "challenge"
    table_row = "table_row"
    footnote = "footnote"
    text = "text"


class DocType(str, Enum):
    """Kinds of evaluation document held in the corpus."""

    self_evaluation = "self-evaluation"
    evaluation_brief = "evaluation brief"
    evaluation = "evaluation"
    review = "review"
    synthesis = "synthesis"
    management_response = "management response"
    memo = "memo"
    research = "research"
    report = "report"
    other = "other"


_DOC_TYPE_WORDS = [  # first match wins: (controlled value, words a catalog may use for it, in any language)
    (DocType.management_response, r"management[- ]response|réponse de la direction|respuesta de la gerencia"),
    (DocType.evaluation_brief, r"\bbrief\b|brève|résumé d.évaluation|resumen de (la )?evaluaci"),
    (DocType.self_evaluation, r"self[- ]evaluation|auto[- ]?évaluation|autoevaluaci|självutvärdering|eigenevaluering"),
    (DocType.synthesis, r"synthes|meta[- ]?evaluation|méta[- ]?évaluation|metaevaluaci|syntes"),
    (DocType.research, r"research|study|studie|étude|estudio|survey|analysis"),
    (DocType.memo, r"\bmemo|\bnote\b|notat|promemoria"),
    (DocType.review, r"\breview|revue|revisión|granskning|gjennomgang"),
    (DocType.report, r"not an evaluation|results report|annual report|rapport annuel|informe anual"),
    (DocType.evaluation, r"evaluat|évaluat|evaluaci|utvärder|evaluer"),
]


def doc_type_of(text: str) -> DocType:
    """The controlled document type (for filters) of a free-text type such as "final internal evaluation"."""
    for value, words in _DOC_TYPE_WORDS:
        if re.search(words, text, re.IGNORECASE):
            return value
    return DocType.other


class CatalogEntry(BaseModel):
    """Catalog metadata of one document (from corpus/catalog.yaml or guessed).

    `doc_type` is the controlled type filters use; `doc_type_label` keeps the catalog's own words."""

    title: str
    organisation: str = ""
    year: int | None = None
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    doc_type: DocType = DocType.other
    doc_type_label: str = ""
    evaluation: str = ""
    source: str = ""
    guessed: bool = False

    @model_validator(mode="before")
    @classmethod
    def _free_text(cls, data: object) -> object:
        """Free-text doc_type mapped to the controlled list; a single country or language becomes a list."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        raw = data.get("doc_type")
        if isinstance(raw, str) and raw not in {t.value for t in DocType}:
            data["doc_type"] = doc_type_of(raw)
            data.setdefault("doc_type_label", raw)
        for key in ("countries", "languages"):
            if isinstance(data.get(key), str):
                data[key] = [part.strip() for part in re.split(r"[;,]", data[key]) if part.strip()]
        for key in ("title", "organisation", "source", "evaluation"):
            if isinstance(data.get(key), (int, float)):
                data[key] = str(data[key])
        return data


class IngestReport(BaseModel):
    """What reading one document found: pages, furniture removed, footnotes, tables, passages."""

    pages: int = 0
    pages_without_text: list[int] = Field(default_factory=list)  # 1-based pages whose content is an image (no text layer)
    toc_pages: list[int] = Field(default_factory=list)
    header_footer_lines: int = 0
    footnotes: int = 0
    tables: int = 0
    headings: int = 0
    outline: bool = False  # headings taken from the PDF's bookmarks
    parse_seconds: float = 0.0
    passages: int = 0
    passages_by_kind: dict[str, int] = Field(default_factory=dict)
    section_share: float = 0.0  # share of passages with a section path


class Document(BaseModel):
    """A loaded file: its raw text, where each page starts, and its metadata."""

    doc_id: str
    path: str
    sha256: str
    text: str
    page_starts: list[int] = Field(default_factory=list)  # offsets in `text`; empty when pages unknown
    meta: CatalogEntry
    report: IngestReport = Field(default_factory=IngestReport)
    title_hint: str = ""  # a title read from the file itself (PDF metadata or its largest first-page text)

    def page_at(self, offset: int) -> int | None:
        """1-based page number of a character offset, or None when pages are unknown."""
        if not self.page_starts:
            return None
        page = 0
        for i, start in enumerate(self.page_starts):
            if start <= offset:
                page = i
            else:
                break
        return page + 1


class Block(BaseModel):
    """One structural unit of a cleaned document (heading context already resolved)."""

    kind: Kind
    section: list[str] = Field(default_factory=list)  # heading path, outermost first
    text: str
    start: int  # offsets into the cleaned text
    end: int
    fields: dict[str, str] = Field(default_factory=dict)  # lesson fields or table columns
    item: str = ""  # the item (recommendation, lesson, ...) it is or belongs to: where that item opens; "" = none


class Passage(BaseModel):
    """The citable unit: text plus everything needed to say where it came from."""

    id: str
    doc_id: str
    title: str
    organisation: str = ""
    year: int | None = None
    countries: list[str] = Field(default_factory=list)
    language: str = "en"
    doc_type: str = ""
    evaluation: str = ""  # id shared by the files of one evaluation (brief, report, management response)
    section: str = ""  # "5. FINDINGS > 5.8 Challenges"
    kind: Kind = Kind.text
    page: int | None = None
    text: str
    start: int
    end: int
    fields: dict[str, str] = Field(default_factory=dict)
    themes: list[str] = Field(default_factory=list)  # theme ids (ingest/themes.yaml), set after embedding

    @staticmethod
    def make_id(doc_id: str, position: int, text: str) -> str:
        """Stable id: hash of document id, position in the document and text."""
        digest = hashlib.sha1(f"{doc_id}\x1f{position}\x1f{text}".encode()).hexdigest()
        return f"{doc_id}:{digest[:16]}"


class Filters(BaseModel):
    """Metadata filters applied inside both searches; an empty list means no constraint."""

    doc_ids: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)  # a passage passes when it has any of them
    responses: list[str] = Field(default_factory=list)  # management responses: accepted, partially accepted, ...

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not any((self.doc_ids, self.organisations, self.years, self.countries, self.languages, self.kinds,
                        self.themes, self.responses))

    def matches(self, passage: Passage) -> bool:
        """Whether a passage passes every filter (used to mask the keyword index)."""
        return (
            (not self.doc_ids or passage.doc_id in self.doc_ids)
            and (not self.organisations or passage.organisation in self.organisations)
            and (not self.years or passage.year in self.years)
            and (not self.countries or any(c in passage.countries for c in self.countries))
            and (not self.languages or passage.language in self.languages)
            and (not self.kinds or passage.kind in self.kinds)
            and (not self.themes or any(t in passage.themes for t in self.themes))
            and (not self.responses or passage.fields.get("response", "") in self.responses)
        )
