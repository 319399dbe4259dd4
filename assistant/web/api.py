"""The app's operations as plain typed functions over the shared AppContext, without Gradio.

Both the named API endpoints and the UI event handlers are thin wrappers over these.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from assistant.answer.chat import stream_answer
from assistant.answer.coverage import CSV_COLUMNS, CoverageRow, check_coverage, split_lines
from assistant.answer.feedback import FeedbackRecord, Rating, record_feedback
from assistant.answer.types import Answer, parse_role
from assistant.web.context import AppContext
from assistant.web.render import export_markdown, rows_to_csv
from assistant.web.ingest_queue import UploadJob
from assistant.web.uploads import UploadMeta, UploadRefused, UploadResult, accept_upload, add_document, parse_year
from ingest.models import Filters
from ingest.progress import ProgressTracker
from ingest.store import DocRecord


class DocumentRow(BaseModel):
    """One indexed document as listed in the Documents tab."""

    doc_id: str
    title: str
    organisation: str = ""
    year: int | None = None
    countries: str = ""
    languages: str = ""
    doc_type: str = ""
    evaluation: str = ""  # shared by the files of one evaluation (brief, report, management response)
    passages: int = 0
    file: str = ""


def parse_history(history_json: str | None) -> list[tuple[str, str]]:
    """Conversation so far from JSON: a list of [question, answer] pairs (or {question, answer} objects)."""
    if not history_json or not history_json.strip():
        return []
    pairs = []
    for item in json.loads(history_json):
        if isinstance(item, dict):
            pairs.append((str(item.get("question", "")), str(item.get("answer", ""))))
        else:
            question, answer = item
            pairs.append((str(question), str(answer)))
    return pairs


def parse_filters(filters_json: str | None) -> Filters | None:
    """Filters from JSON (the Filters model's fields); None when empty."""
    if not filters_json or not filters_json.strip():
        return None
    filters = Filters.model_validate_json(filters_json)
    return None if filters.is_empty() else filters


def ask_stream(
    ctx: AppContext, question: str, *, history: list[tuple[str, str]] | None = None, filters: Filters | None = None,
    role: str | None = None, partial: bool = True,
) -> Iterator[str | Answer]:
    """Partial answer texts as they are produced (follow-ups use the history), then the final cited Answer."""
    yield from stream_answer(question, index=ctx.index, settings=ctx.settings, history=history, filters=filters,
                             role=parse_role(role), partial=partial)


def ask(ctx: AppContext, question: str, **options: Any) -> Answer:
    """Answer one question with citations (the options of `ask_stream`)."""
    *_, answer = ask_stream(ctx, question, partial=False, **options)
    return answer


def coverage(ctx: AppContext, text: str, *, filters: Filters | None = None) -> list[CoverageRow]:
    """Coverage check of pasted lines (one finding or recommendation per line)."""
    return check_coverage(split_lines(text), index=ctx.index, settings=ctx.settings, filters=filters)


def coverage_csv(rows: list[CoverageRow]) -> Path:
    """Write coverage rows to a CSV file for download."""
    text = rows_to_csv([r.model_dump() for r in rows], columns=CSV_COLUMNS)
    return _write_download("coverage", ".csv", text)


def documents(ctx: AppContext) -> list[DocumentRow]:
    """The indexed documents with their catalog metadata and passage counts, by title."""
    rows = [
        DocumentRow(
            doc_id=doc_id,
            title=rec.meta.title,
            organisation=rec.meta.organisation,
            year=rec.meta.year,
            countries=", ".join(rec.meta.countries),
            languages=", ".join(rec.meta.languages),
            doc_type=rec.meta.doc_type.value,
            evaluation=rec.evaluation or rec.meta.evaluation,
            passages=rec.passages,
            file=Path(rec.path).name,
        )
        for doc_id, rec in ctx.index.store.manifest().items()
    ]
    return sorted(rows, key=lambda r: r.title.lower())


def upload(
    ctx: AppContext,
    path: str | Path | None,
    *,
    file_name: str = "",
    title: str = "",
    organisation: str = "",
    year: str | int | float | None = None,
) -> UploadJob:
    """Check an uploaded file and queue it for ingestion in the background; returns the queued job.

    Raises UploadRefused with a clear reason when a quick check fails (nothing is queued then)."""
    if not path:
        raise UploadRefused("Choose a file to upload first.")
    src = Path(path)
    meta = UploadMeta(title=(title or "").strip(), organisation=(organisation or "").strip(), year=parse_year(year))
    jobs = ctx.ingest_queue
    pending = accept_upload(src, file_name=(file_name or "").strip() or src.name, meta=meta, settings=ctx.settings,
                            taken_names=jobs.waiting_names(), known_doc_ids=set(ctx.index.store.manifest()))

    def work(tracker: ProgressTracker) -> UploadResult:
        known = set(ctx.index.store.manifest())
        return add_document(pending, settings=ctx.settings, known_doc_ids=known, tracker=tracker)

    return jobs.submit(pending.file_name, work)


def ingest_status(ctx: AppContext) -> list[UploadJob]:
    """Every upload of this server process, oldest first, with its state and progress."""
    return ctx.ingest_queue.jobs()


def document_report(ctx: AppContext, doc_id: str) -> DocRecord | None:
    """A document's record with its ingestion report, or None when it is not indexed."""
    return ctx.index.store.manifest().get(doc_id)


def feedback(
    ctx: AppContext, *, rating: Rating, question: str, answer: str, citations: list | None = None, role: str | None = None
) -> Path:
    """Record a thumbs up/down for an answer; returns the JSONL file written."""
    record = FeedbackRecord(
        rating=rating, question=question, answer=answer, citations=citations or [], role=parse_role(role)
    )
    return record_feedback(record, settings=ctx.settings)


def export_answer(answer: Answer, *, role: str | None = None, filters: Filters | None = None) -> Path:
    """Write an answer with its references as a Markdown file for download."""
    return _write_download(answer.question or "answer", ".md", export_markdown(answer, role=role, filters=filters))


def download_path(title: str, suffix: str) -> Path:
    """A fresh file path (own temp folder, a readable name from `title`) that Gradio can serve."""
    stem = "-".join(re.sub(r"[^\w]+", " ", title.lower()).split()[:8]) or "download"
    return Path(tempfile.mkdtemp(prefix="lessons-dl-")) / f"lessons-{stem}{suffix}"


def _write_download(title: str, suffix: str, text: str) -> Path:
    path = download_path(title, suffix)
    path.write_text(text, encoding="utf-8")
    return path
