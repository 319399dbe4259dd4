"""What the assistant speaks: a retrieved `Hit`, a numbered `Citation`, the `Answer`, and the reader's `Role`."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, Field

from ingest.models import Passage

Role = Literal["designer", "trainer", "evaluator"]  # decides what an answer leads with
ROLES: tuple[str, ...] = get_args(Role)


def parse_role(role: str | None) -> Role | None:
    """A valid role or None (anything else means 'no particular role')."""
    role = (role or "").strip().lower()
    return role if role in ROLES else None  # type: ignore[return-value]


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
    more: list[Citation] = Field(default_factory=list)  # evidence retrieved but left out of the text, shown on demand
    notice: str = ""  # e.g. "LLM unavailable; showing the extractive answer"
    # what the question names that no report mentions, or that none of the reports found is about: said first
    absent: list[str] = Field(default_factory=list)
