"""Download files for lessons briefs (DOCX with footnotes): an answer, a set of tracker rows, any passages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import gradio as gr

from assistant.answer.types import Answer
from assistant.evidence.brief import items_from_answer, items_from_passages, items_from_rows, write_brief
from assistant.evidence.tracker import RecommendationRow
from assistant.web.api import download_path
from ingest.models import Passage


def answer_docx(answer: Answer) -> Path:
    """An answer as a DOCX brief: the answer text, then its quotes by kind with their sources as footnotes."""
    return write_brief(answer.question, items_from_answer(answer), download_path(answer.question, ".docx"),
                       intro=answer.answer)


def last_answer_docx(conversation: list) -> dict:
    """The chat's download button for the last answer's DOCX brief (off when there is none)."""
    if not conversation or not conversation[-1].answer.citations:
        return gr.update(value=None, interactive=False)
    return gr.update(value=str(answer_docx(conversation[-1].answer)), interactive=True)


def rows_docx(title: str, rows: Iterable[RecommendationRow], passages: Mapping[str, Passage]) -> Path:
    """Tracker rows as a DOCX brief, management's response under each recommendation."""
    return write_brief(title, items_from_rows(rows, passages), download_path(title, ".docx"))


def passages_docx(title: str, passages: Iterable[Passage]) -> Path:
    """Any passages (e.g. a map cell's) as a DOCX brief."""
    return write_brief(title, items_from_passages(passages), download_path(title, ".docx"))
