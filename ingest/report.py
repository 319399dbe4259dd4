"""The ingestion report of a document: what reading found (pages, furniture, footnotes, tables) completed with
the passages it became; kept in the store's document record and printed by `lessons ingest` and `lessons stats`."""

from __future__ import annotations

from collections import Counter

from ingest.models import Document, IngestReport, Passage


def complete_report(doc: Document, passages: list[Passage]) -> IngestReport:
    """The document's report with its passages counted by kind and the share that carries a section path."""
    kinds = Counter(p.kind.value for p in passages)
    with_section = sum(1 for p in passages if p.section)
    return doc.report.model_copy(update={
        "passages": len(passages),
        "passages_by_kind": dict(kinds.most_common()),
        "section_share": round(with_section / len(passages), 3) if passages else 0.0,
    })


def counted_pages(pages: list[int]) -> str:
    """How many pages and which: "2 (p. 5, 116)", or "none"."""
    return f"{len(pages)} (p. {', '.join(map(str, pages))})" if pages else "none"


def short_line(doc_id: str, report: IngestReport) -> str:
    """One line per document for the end of `lessons ingest`."""
    pages = f"{report.pages} pages" if report.pages else "no pages"
    if report.pages_without_text:
        pages += f", without text: {counted_pages(report.pages_without_text)}"
    return (f"  {doc_id}: {pages}, {report.passages} passages ({report.section_share:.0%} with a section), "
            f"{report.header_footer_lines} header/footer lines removed, {report.footnotes} footnotes, "
            f"{report.tables} tables")


def full_text(doc_id: str, title: str, path: str, report: IngestReport) -> str:
    """Every figure of a document's report, for `lessons stats --doc ID`."""
    lines = [f"{doc_id}: {title}", f"  file: {path}", f"  pages: {report.pages}",
             f"  pages without text (no OCR): {counted_pages(report.pages_without_text)}",
             f"  table-of-contents pages left out: {counted_pages(report.toc_pages)}",
             f"  header/footer lines removed: {report.header_footer_lines}",
             f"  headings: {report.headings}{' (with the PDF bookmarks)' if report.outline else ''}",
             f"  footnotes: {report.footnotes}", f"  tables: {report.tables}",
             f"  parse time: {report.parse_seconds:.2f} s", f"  passages: {report.passages}, "
             f"{report.section_share:.0%} with a section path"]
    lines += [f"    {n:>5}  {kind}" for kind, n in report.passages_by_kind.items()]
    return "\n".join(lines)
