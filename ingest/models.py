"""Pydantic models that flow through ingestion and out to the assistant.

`Document` is what a loader returns, `Block` is one structural unit of a cleaned
document, `Passage` is the unit that is embedded, retrieved and cited.
"""

from __future__ import annotations

import hashlib
from enum import Enum

from pydantic import BaseModel, Field


class Kind(str, Enum):
    """What a passage is, as far as a reader of an evaluation report cares."""

    lesson = "lesson"
    recommendation = "recommendation"
    finding = "finding"
    good_practice = "good_practice"
    challenge = "challenge"
    table_row = "table_row"
    text = "text"


class DocType(str, Enum):
    """Kinds of evaluation document held in the corpus."""

    self_evaluation = "self-evaluation"
    evaluation_brief = "evaluation brief"
    evaluation = "evaluation"
    review = "review"
    memo = "memo"
    other = "other"


class CatalogEntry(BaseModel):
    """Catalog metadata of one document (from corpus/catalog.yaml or guessed)."""

    title: str
    organisation: str = ""
    year: int | None = None
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["en"])
    doc_type: DocType = DocType.other
    source: str = ""
    guessed: bool = False


class Document(BaseModel):
    """A loaded file: its raw text, where each page starts, and its metadata."""

    doc_id: str
    path: str
    sha256: str
    text: str
    page_starts: list[int] = Field(default_factory=list)  # offsets in `text`; empty when pages unknown
    meta: CatalogEntry

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


class Hit(BaseModel):
    """A retrieved passage with its final score and the per-signal scores behind it."""

    passage: Passage
    score: float
    scores: dict[str, float] = Field(default_factory=dict)


class Citation(BaseModel):
    """A numbered reference from an answer to a verbatim span of a stored passage."""

    n: int
    passage_id: str
    doc_id: str
    title: str
    section: str = ""
    page: int | None = None
    quote: str
    organisation: str = ""
    year: int | None = None
    kind: str = ""


class Answer(BaseModel):
    """What the assistant says: text with [n] markers, its citations, and whether it refused."""

    question: str
    answer: str
    refused: bool = False
    citations: list[Citation] = Field(default_factory=list)
    notice: str = ""  # e.g. "LLM unavailable; showing the extractive answer"


class Filters(BaseModel):
    """Metadata filters applied inside both searches; an empty list means no constraint."""

    doc_ids: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)
    countries: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    themes: list[str] = Field(default_factory=list)  # a passage passes when it has any of them

    def is_empty(self) -> bool:
        """True when nothing is filtered."""
        return not any((self.doc_ids, self.organisations, self.years, self.countries, self.languages, self.kinds,
                        self.themes))

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
        )
