"""Turning answers, coverage rows, uploads and ingestion reports into what people read and download: chat HTML,
Markdown, CSV."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping
from datetime import datetime, timezone

from assistant.answer.types import Answer, Citation
from assistant.web.ingest_queue import UploadJob
from ingest.models import Filters, Passage
from ingest.progress import IngestProgress
from ingest.report import counted_pages
from ingest.store import DocRecord

KIND_LABELS = {
    "lesson": "lesson learned",
    "recommendation": "recommendation",
    "finding": "finding",
    "good_practice": "good practice",
    "challenge": "challenge",
    "table_row": "table row",
    "footnote": "footnote",
    "text": "text",
}


def short_title(title: str, *, limit: int = 80) -> str:
    """A title cut at a word boundary to about `limit` characters."""
    if len(title) <= limit:
        return title
    return title[:limit].rsplit(" ", 1)[0].rstrip(",;:–—-") + "…"


def citation_origin(c: Citation, *, title_limit: int | None = None) -> str:
    """'Title — Organisation, 2022 · Section · recommendation · p. 3' for one citation."""
    who = ", ".join(part for part in (c.organisation, str(c.year) if c.year else "") if part)
    title = short_title(c.title, limit=title_limit) if title_limit else c.title
    parts = [f"{title} — {who}" if who else title]
    if c.section:
        parts.append(c.section)
    if c.kind:
        parts.append(KIND_LABELS.get(c.kind, c.kind))
    if c.page:
        parts.append(f"p. {c.page}")
    return " · ".join(parts)


def _passage_html(quote: str, passage: Passage | None) -> str:
    """The full passage with the cited span highlighted (the quote alone when the passage is gone)."""
    if passage is None:
        return f"<p>{html.escape(quote)}</p>"
    text = passage.text
    at = text.find(quote) if quote else -1
    if at < 0:
        body = html.escape(text)
    else:
        body = (
            html.escape(text[:at])
            + "<mark>"
            + html.escape(quote)
            + "</mark>"
            + html.escape(text[at + len(quote) :])
        )
    return "<p>" + body.replace("\n", "<br>") + "</p>"


def source_card(c: Citation, passage: Passage | None) -> str:
    """One expandable card: the origin in the summary, the full passage inside (single line of HTML)."""
    meta = [
        ("Document", c.title),
        ("Organisation", c.organisation),
        ("Year", str(c.year) if c.year else ""),
        ("Section", c.section),
        ("Kind", KIND_LABELS.get(c.kind, c.kind)),
        ("Page", str(c.page) if c.page else ""),
    ]
    rows = "".join(
        f"<span class='source-meta'><b>{label}:</b> {html.escape(value)}</span> " for label, value in meta if value
    )
    return (
        f"<details class='source-card' data-n='{c.n}'>"
        f"<summary><b>[{c.n}]</b> {html.escape(citation_origin(c, title_limit=70))}</summary>"
        f"<div class='source-body'><div class='source-metas'>{rows}</div>"
        f"<blockquote>{html.escape(c.quote)}</blockquote>{_passage_html(c.quote, passage)}</div></details>"
    )


_SOURCES_TAIL = re.compile(r"\n\s*(?:Sources|Fuentes|Kilder|Kjelder|Källor):\s*\n(?:\s*\[\d+\][^\n]*\n?)+\s*$")


def answer_text(answer: Answer) -> str:
    """The answer as Markdown without its plain source list (cards and references replace it), notice in italics."""
    text = answer.answer.strip()
    if answer.citations:
        text = _SOURCES_TAIL.sub("", text).rstrip()
    if answer.notice:
        text += f"\n\n_{answer.notice}_"
    return text


def chat_message(answer: Answer, passages: Mapping[str, Passage]) -> str:
    """What the chat shows for one answer: the text, then a source card per citation."""
    if not answer.citations:
        return answer_text(answer)
    cards = "".join(source_card(c, passages.get(c.passage_id)) for c in answer.citations)
    more = ""
    if answer.more:  # the rest of the evidence, on demand
        extra = "".join(source_card(c, passages.get(c.passage_id)) for c in answer.more)
        more = (f"<details class='more-evidence'><summary>More evidence ({len(answer.more)})</summary>"
                f"{extra}</details>")
    return (f"{answer_text(answer)}\n\n<div class='source-cards'><p class='sources-label'>Sources</p>{cards}"
            f"{more}</div>")


def export_markdown(answer: Answer, *, role: str | None = None, filters: Filters | None = None) -> str:
    """A standalone Markdown file with the question, the answer and its numbered references."""
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# {answer.question.strip()}", "", f"_Exported from Lessons on {when}_"]
    if role:
        lines.append(f"_Role: {role}_")
    if filters and not filters.is_empty():
        lines.append(f"_Filters: {filters.model_dump_json(exclude_defaults=True)}_")
    lines += ["", "## Answer", "", answer_text(answer), ""]
    if answer.citations:
        lines += ["## References", ""]
        for c in answer.citations:
            lines.append(f"[{c.n}] {citation_origin(c)}")
            lines.append("")
            lines.append("> " + c.quote.replace("\n", "\n> "))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def rows_to_csv(rows: list[dict[str, object]], *, columns: list[str]) -> str:
    """CSV text with a header row, for spreadsheet users."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row.get(k) is None else row.get(k)) for k in columns})
    return out.getvalue()


def _stage_bar(progress: IngestProgress) -> str:
    """A native progress bar for the current stage (pages while reading, passages while embedding)."""
    done, total = ((progress.pages_read, progress.pages) if progress.stage == "reading"
                   else (progress.passages_embedded, progress.passages))
    return f'<progress value="{done}" max="{max(total, 1)}"></progress>' if total else "<progress></progress>"


def ingest_status_html(jobs: list[UploadJob], *, recent: int = 3) -> str:
    """The uploads being ingested (with a progress bar), those queued, and the last few finished."""
    lines = []
    for job in jobs:
        name = html.escape(job.file_name, quote=False)
        if job.state == "ingesting":
            lines.append(f'<div class="ingest-job ingesting"><b>Ingesting {name}</b> {_stage_bar(job.progress)} '
                         f'<span class="ingest-line">{html.escape(job.progress.line())}</span></div>')
        elif job.state == "queued":
            lines.append(f'<div class="ingest-job queued">⏳ <b>{name}</b> is queued behind the upload before it.</div>')
    for job in [j for j in jobs if j.finished][-recent:]:
        mark = "✅ Added" if job.state == "added" else "❌ Not added"
        lines.append(f'<div class="ingest-job {job.state}">{mark}: {html.escape(job.message, quote=False)}</div>')
    return "\n".join(lines) or '<div class="ingest-job idle">No upload is being ingested.</div>'


def report_markdown(record: DocRecord) -> str:
    """A document's ingestion report as a Markdown table (what reading found, and the passages it became)."""
    r = record.report
    kinds = ", ".join(f"{KIND_LABELS.get(kind, kind)} {n}" for kind, n in r.passages_by_kind.items()) or "none"
    rows = [
        ("Pages", r.pages or "(no pages)"), ("Pages without text (no OCR)", counted_pages(r.pages_without_text)),
        ("Table-of-contents pages left out", counted_pages(r.toc_pages)),
        ("Header/footer lines removed", r.header_footer_lines),
        ("Headings", f"{r.headings}{' (from the PDF bookmarks)' if r.outline else ''}"),
        ("Footnotes", r.footnotes), ("Tables", r.tables), ("Passages", r.passages), ("Passages by kind", kinds),
        ("With a section path", f"{r.section_share:.0%}"), ("Parse time", f"{r.parse_seconds:.1f} s"),
    ]
    body = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return f"#### Ingestion report: {record.meta.title}\n`{record.doc_id}`\n\n| | |\n|---|---|\n{body}"
