"""The lessons brief: quotes grouped under a heading per kind, each followed by a Word footnote naming its
document, section, page and year (DOCX, python-docx), or the same as Markdown.

Whatever is exported (an answer, a map cell's passages, a filtered set of recommendations) first becomes a list of
`BriefItem`s; `write_brief` and `brief_markdown` render that list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import docx
from pydantic import BaseModel

from assistant.answer.types import Answer
from assistant.evidence.footnotes import add_footnote
from assistant.evidence.tracker import RecommendationRow
from ingest.models import Passage

HEADINGS = {  # kind -> heading, in the order the brief shows them
    "recommendation": "Recommendations",
    "lesson": "Lessons learned",
    "good_practice": "Good practices",
    "finding": "Findings",
    "challenge": "Challenges",
    "table_row": "Tables",
    "text": "Other evidence",
    "footnote": "Notes",
}


class BriefItem(BaseModel):
    """One quote of a brief and where it comes from."""

    kind: str
    quote: str
    title: str
    organisation: str = ""
    section: str = ""
    page: int | None = None
    year: int | None = None
    note: str = ""  # shown under the quote, e.g. management's response to a recommendation


def source_note(item: BriefItem) -> str:
    """The footnote: 'Title (Organisation), section "5. Findings", p. 12, 2021'."""
    who = f"{item.title} ({item.organisation})" if item.organisation else item.title
    parts = [who, f'section "{item.section}"' if item.section else "no section",
             f"p. {item.page}" if item.page else "page unknown", str(item.year) if item.year else "year unknown"]
    return ", ".join(parts) + "."


def items_from_passages(passages: Iterable[Passage], quotes: Mapping[str, str] | None = None) -> list[BriefItem]:
    """A brief item per passage (its whole text, or the span `quotes` gives for its id): e.g. a map cell."""
    return [
        BriefItem(kind=p.kind.value, quote=(quotes or {}).get(p.id) or p.text, title=p.title,
                  organisation=p.organisation, section=p.section, page=p.page, year=p.year)
        for p in passages
    ]


def items_from_answer(answer: Answer) -> list[BriefItem]:
    """A brief item per citation of an answer, with its verbatim quote."""
    return [
        BriefItem(kind=c.kind or "text", quote=c.quote, title=c.title, organisation=c.organisation,
                  section=c.section, page=c.page, year=c.year)
        for c in answer.citations
    ]


def response_note(row: RecommendationRow) -> str:
    """'Management response: accepted. Actions: ... Status: ...' for a row with an answer, else ''."""
    parts = [f"{label}: {value}" for label, value in (
        ("Addressed to", row.addressed_to), ("Management response", row.response), ("Actions", row.actions),
        ("Responsible", row.responsible), ("Deadline", row.deadline), ("Status", row.status)) if value]
    return ". ".join(parts)


def items_from_rows(rows: Iterable[RecommendationRow], passages: Mapping[str, Passage]) -> list[BriefItem]:
    """A brief item per tracker row, management's response under the quote."""
    items = []
    for row in rows:
        p = passages.get(row.id)
        items.append(BriefItem(kind="recommendation", quote=row.text, title=row.title,
                               organisation=p.organisation if p else "", section=row.section, page=row.page,
                               year=row.year, note=response_note(row)))
    return items


def by_kind(items: Iterable[BriefItem]) -> list[tuple[str, list[BriefItem]]]:
    """(heading, items) in the brief's order of kinds; the order of items within a kind is kept."""
    groups: dict[str, list[BriefItem]] = {}
    for item in items:
        groups.setdefault(item.kind if item.kind in HEADINGS else "text", []).append(item)
    return [(HEADINGS[kind], groups[kind]) for kind in HEADINGS if kind in groups]


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def write_brief(title: str, items: list[BriefItem], path: Path, *, intro: str = "") -> Path:
    """The brief as a DOCX file at `path`: title, optional introduction, then a heading per kind and each
    quote with its source as a real footnote."""
    document = docx.Document()
    document.add_heading(title.strip() or "Lessons brief", level=0)
    document.add_paragraph().add_run(f"Exported from Lessons on {_stamp()}: {len(items)} quotes.").italic = True
    for block in (intro or "").strip().split("\n\n"):
        if block.strip():
            document.add_paragraph(block.strip())
    for heading, group in by_kind(items):
        document.add_heading(heading, level=1)
        for item in group:
            paragraph = document.add_paragraph(style="Quote")
            paragraph.add_run(f"“{item.quote.strip()}”")
            add_footnote(paragraph, source_note(item))
            if item.note:
                document.add_paragraph(item.note)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def brief_markdown(title: str, items: list[BriefItem], *, intro: str = "") -> str:
    """The same brief as Markdown, footnotes as `[^n]` references."""
    lines = [f"# {title.strip() or 'Lessons brief'}", "", f"_Exported from Lessons on {_stamp()}_", ""]
    if intro.strip():
        lines += [intro.strip(), ""]
    notes, n = [], 0
    for heading, group in by_kind(items):
        lines += [f"## {heading}", ""]
        for item in group:
            n += 1
            lines += ["> " + item.quote.strip().replace("\n", "\n> ") + f"[^{n}]", ""]
            if item.note:
                lines += [item.note, ""]
            notes.append(f"[^{n}]: {source_note(item)}")
    return "\n".join(lines + notes).rstrip() + "\n"
