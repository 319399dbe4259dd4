"""Read a PDF by its layout: characters with positions and fonts from pdfium (fast, ~0.01 s a page), tables on
the pages whose ruling lines suggest one (cells from the edges pdfium draws, closed by pdfplumber's table finder),
and the bookmarks when the file has them.

The result is text in the conventions the rest of ingestion reads: '#' headings (from font size and weight,
numbering and bookmarks), paragraphs separated by blank lines, '- ' items, tab-separated table rows (each table
keeping its header row), footnotes as '[^n]: text' lines, pages separated by two blank lines; running headers and
footers, superscript footnote markers and table-of-contents pages are left out, and counted.
"""

from __future__ import annotations

import ctypes
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest.layout import Char, Page, body_size, build_lines, fold, mark_footnotes, mark_furniture, reading_order, \
    text_in, without_text
from ingest.models import IngestReport
from ingest.pdf_blocks import mark_headings, mark_toc_pages, page_lines_text, table_lines
from ingest.pdf_drawing import Edge, page_objects, path_edges, table_cells
from ingest.settings import LayoutSettings

PAGE_SEPARATOR = "\n\n\n"
PageDone = Callable[[int, int], None]  # (page number, pages in the file), after each page is read


class PdfReadError(Exception):
    """The PDF cannot be opened or read."""


@dataclass
class PdfText:
    """What a PDF holds as text, with page starts, a title read from the file and a report of the reading."""

    text: str
    page_starts: list[int]
    title_hint: str
    report: IngestReport


class _Fonts:
    """Boldness of each text object's font, asked of pdfium once per object."""

    def __init__(self) -> None:
        import pypdfium2.raw as raw

        self.raw = raw
        self.cache: dict[int | None, bool] = {}
        self.buf = ctypes.create_string_buffer(128)

    def bold(self, textpage, index: int) -> bool:
        obj = self.raw.FPDFText_GetTextObject(textpage, index)
        key = ctypes.cast(obj, ctypes.c_void_p).value
        if key not in self.cache:
            font = self.raw.FPDFTextObj_GetFont(obj) if key else None
            name, weight = "", 400
            if font:
                self.raw.FPDFFont_GetBaseFontName(font, self.buf, len(self.buf))
                name = self.buf.value.decode("latin-1", "replace")
                weight = self.raw.FPDFFont_GetWeight(font)
            self.cache[key] = weight >= 600 or bool(re.search(r"bold|black|heavy|semibold|demi", name, re.I))
        return self.cache[key]


def _chars(textpage, height: float, fonts: _Fonts) -> list[Char]:
    """Glyphs of a page with their loose boxes (font ascent to descent: one baseline band per line) and their
    size in points (the font size times the text matrix's scale)."""
    raw = fonts.raw
    box, matrix = raw.FS_RECTF(), raw.FS_MATRIX()
    out = []
    for i in range(raw.FPDFText_CountChars(textpage)):
        code = raw.FPDFText_GetUnicode(textpage, i)
        hyphen = raw.FPDFText_IsHyphen(textpage, i)
        if code in (0xFFFE, 0xFFFF) or (code < 32 and not hyphen) or (raw.FPDFText_IsGenerated(textpage, i)
                                                                       and code != 32):
            continue
        char = "-" if hyphen else chr(code)
        raw.FPDFText_GetLooseCharBox(textpage, i, box)
        raw.FPDFText_GetMatrix(textpage, i, matrix)
        scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5 or 1.0
        size = raw.FPDFText_GetFontSize(textpage, i) * scale
        out.append(Char(box.left, box.right, height - box.top, height - box.bottom, size,
                        not char.isspace() and fonts.bold(textpage, i), char))
    return out


def _outline(document) -> dict[tuple[int, str], int]:
    """(1-based page, folded title) -> level of each bookmark."""
    out: dict[tuple[int, str], int] = {}
    try:
        for mark in document.get_toc(max_depth=6):
            index = mark.get_dest().get_index() if mark.get_dest() is not None else None
            title = (mark.get_title() or "").strip()
            if index is not None and title:
                out[(index + 1, fold(title))] = mark.level + 1
    except Exception:  # noqa: BLE001 - a broken outline is no reason to fail reading the text
        return {}
    return out


def _metadata_title(document) -> str:
    try:
        title = " ".join((document.get_metadata_dict().get("Title") or "").split())
    except Exception:  # noqa: BLE001
        return ""
    meaningless = re.search(r"^(microsoft \w+ - |untitled|document\d*$|title$)|\.(docx?|pdf|indd|pptx?)$|^[\w-]+$",
                            title, re.IGNORECASE)
    return "" if meaningless or len(re.findall(r"[^\W\d_]{2,}", title)) < 3 else title


def read_pdf(data: bytes, name: str, settings: LayoutSettings, *, on_page: PageDone | None = None) -> PdfText:
    """Text, page starts, a title and a report of a PDF read by its layout; raises PdfReadError."""
    import pypdfium2 as pdfium

    started = time.perf_counter()
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = "an encrypted PDF that needs a password" if "password" in str(exc).lower() else \
            f"a corrupt or unreadable PDF: {exc}"
        raise PdfReadError(f"{name} is {message}") from exc
    if len(document) == 0:
        raise PdfReadError(f"{name} is a PDF without pages")
    fonts, pages, report = _Fonts(), [], IngestReport(pages=len(document))
    edges: dict[int, tuple[list[Edge], list[Edge]]] = {}  # (vertical, horizontal) of the ruled pages
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        textpage = page.get_textpage()
        fonts.cache.clear()  # keyed by text-object address: an address may be reused by the next page's objects
        chars = _chars(textpage.raw, height, fonts)
        image_share, rulings = page_objects(page, width, height)
        ruled = rulings >= settings.min_rulings
        pages.append(Page(index + 1, width, height, build_lines(chars, index + 1, settings), image_share, rulings,
                          chars if ruled else []))
        if ruled:
            edges[index + 1] = path_edges(page, height)
        if on_page is not None:
            on_page(index + 1, len(document))
    outline = _outline(document)
    title = _metadata_title(document)
    document.close()
    report.tables = _add_tables(pages, edges, settings)
    report.header_footer_lines = mark_furniture(pages, settings)
    report.pages_without_text = [page.number for page in pages if without_text(page, settings)]
    report.toc_pages = mark_toc_pages(pages)
    body = body_size(pages)
    footnotes = {page.number: mark_footnotes(page, body, settings) for page in pages}
    report.footnotes = sum(len(notes) for notes in footnotes.values())
    report.headings, largest = mark_headings(pages, body, outline, settings)
    report.outline = bool(outline)
    parts, starts, offset = [], [], 0
    for page in pages:
        page.lines = reading_order(page.lines, page.width)
        text = page_lines_text(page, footnotes[page.number])
        starts.append(offset)
        parts.append(text)
        offset += len(text) + len(PAGE_SEPARATOR)
    report.parse_seconds = round(time.perf_counter() - started, 3)
    return PdfText(PAGE_SEPARATOR.join(parts), starts, title or largest, report)


def _add_tables(pages: list[Page], edges: dict[int, tuple[list[Edge], list[Edge]]],
                settings: LayoutSettings) -> int:
    """Tables on pages with ruling lines, their cells closed by the edges pdfium drew, replace the lines they
    cover."""
    count, header = 0, None
    for page in pages:
        for bbox, rows in table_cells(*edges.get(page.number, ([], []))) if page.lines else []:
            cells = [[text_in(page.glyphs, cell, settings) if cell else "" for cell in row] for row in rows]
            made = table_lines(bbox, cells, page, header)
            if made is not None:
                header = made
                count += 1
        page.glyphs = []
    return count
