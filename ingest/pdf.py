"""Read a PDF by its layout: characters with positions and fonts from pdfium (fast, ~0.01 s a page), tables from
pdfplumber on the pages whose ruling lines suggest one, and the bookmarks when the file has them.

The result is text in the conventions the rest of ingestion reads: '#' headings (from font size and weight,
numbering and bookmarks), paragraphs separated by blank lines, '- ' items, tab-separated table rows (each table
keeping its header row), footnotes as '[^n]: text' lines, pages separated by two blank lines; running headers and
footers, superscript footnote markers and table-of-contents pages are left out, and counted.
"""

from __future__ import annotations

import ctypes
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from ingest.layout import Char, Page, body_size, build_lines, fold, mark_footnotes, mark_furniture, reading_order, \
    text_in, without_text
from ingest.models import IngestReport
from ingest.pdf_blocks import mark_headings, mark_toc_pages, page_lines_text, table_lines
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


def _page_objects(page, width: float, height: float) -> tuple[float, int]:
    """(share of the page covered by images (at most 1), horizontal ruling lines (halved when no vertical ones
    cross them)) on a page."""
    import pypdfium2.raw as raw

    covered, across, down = 0.0, 0, 0
    for obj in page.get_objects(max_depth=2):
        if obj.type == raw.FPDF_PAGEOBJ_IMAGE:
            x0, y0, x1, y1 = obj.get_bounds()
            covered += max(0.0, min(x1, width) - max(x0, 0.0)) * max(0.0, min(y1, height) - max(y0, 0.0))
        elif obj.type == raw.FPDF_PAGEOBJ_PATH:
            x0, y0, x1, y1 = obj.get_bounds()
            across += y1 - y0 < 3 and x1 - x0 > 30
            down += x1 - x0 < 3 and y1 - y0 > 10
            if x1 - x0 > 20 and y1 - y0 > 8 and _outlined(obj, raw):  # a cell drawn as a stroked box
                across, down = across + 2, down + 2
    return min(1.0, covered / (width * height or 1.0)), across if down >= 2 else across // 2


def _outlined(obj, raw) -> bool:
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    return bool(raw.FPDFPath_GetDrawMode(obj.raw, fill, stroke)) and bool(stroke.value) and not fill.value


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
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        textpage = page.get_textpage()
        fonts.cache.clear()  # keyed by text-object address: an address may be reused by the next page's objects
        chars = _chars(textpage.raw, height, fonts)
        image_share, rulings = _page_objects(page, width, height)
        pages.append(Page(index + 1, width, height, build_lines(chars, index + 1, settings), image_share, rulings,
                          chars if rulings >= settings.min_rulings else []))
        if on_page is not None:
            on_page(index + 1, len(document))
    outline = _outline(document)
    title = _metadata_title(document)
    document.close()
    report.tables = _add_tables(data, pages, settings)
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


def _add_tables(data: bytes, pages: list[Page], settings: LayoutSettings) -> int:
    """Tables found by pdfplumber on pages with ruling lines replace the lines they cover."""
    candidates = [p for p in pages if p.rulings >= settings.min_rulings and p.lines]
    if not candidates:
        return 0
    import pdfplumber

    count, header = 0, None
    with pdfplumber.open(io.BytesIO(data)) as plumber:
        for page in candidates:
            try:
                found = plumber.pages[page.number - 1].find_tables()
            except Exception:  # noqa: BLE001 - a table the parser chokes on is read as text
                continue
            for table in found:
                cells = [[text_in(page.glyphs, cell, settings) if cell else "" for cell in row.cells]
                         for row in table.rows]
                made = table_lines(table.bbox, cells, page, header)
                if made is not None:
                    header = made
                    count += 1
            page.glyphs = []
    return count
