"""The source list of an answer: numbered citations of verbatim spans, each document's title given once."""

from __future__ import annotations

from assistant.answer.frame import SOURCE_HEADINGS, Frame
from assistant.answer.types import Citation
from ingest.models import Passage

SOURCES_HEADING = "Sources:"


def short_title(title: str, *, words: int = 8) -> str:
    """The first few words of a long document title."""
    parts = title.split()
    return title if len(parts) <= words else " ".join(parts[:words]).rstrip(",:;") + " …"


def make_citation(n: int, passage: Passage, quote: str) -> Citation:
    """A numbered citation of a verbatim span of `passage`."""
    return Citation(
        n=n,
        passage_id=passage.id,
        doc_id=passage.doc_id,
        title=passage.title,
        section=passage.section,
        page=passage.page,
        quote=quote,
        organisation=passage.organisation,
        year=passage.year,
        kind=passage.kind.value,
    )


def format_sources(citations: list[Citation], frame: Frame | None = None) -> str:
    """The numbered source list: title, organisation, year, section, page. A document's title is given once, at its
    first citation; a later one refers back to it ("same report as [1]") with its own section and page."""
    frame = frame or Frame("en")
    lines: list[str] = []
    first: dict[str, int] = {}
    for c in citations:
        where = ", ".join(str(x) for x in (c.organisation, c.year) if x)
        if c.doc_id in first:
            parts = [frame["same_report"].format(n=first[c.doc_id])]
        else:
            first[c.doc_id] = c.n
            parts = [c.title + (f" — {where}" if where else "")]
        if c.section:
            parts.append(f"{frame['section']}: {c.section}")
        if c.page is not None:
            parts.append(f"p. {c.page}")
        lines.append(f"[{c.n}] " + "; ".join(parts))
    return "\n".join(lines)


def with_sources(body: str, citations: list[Citation], frame: Frame | None = None) -> str:
    """The full answer text: body, then the numbered source list (headed in the frame's language)."""
    heading = f"{frame['sources']}:" if frame else SOURCES_HEADING
    return f"{body}\n\n{heading}\n{format_sources(citations, frame)}"


def answer_body(text: str) -> str:
    """An answer's text without its source list (for views that show the citations as cards)."""
    for heading in SOURCE_HEADINGS:
        text = text.split(f"\n\n{heading}\n", 1)[0]
    return text
