"""Turn a file on disk (.txt, .md, .pdf, .docx, .html) into a `Document` of plain text.

Structure survives as plain-text conventions the rest of ingestion understands: headings become
'#' lines, list items '- ' lines, table rows tab-separated cells; PDF page starts are kept.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from pathlib import Path

from ingest.catalog import guess_entry
from ingest.clean import clean_text
from ingest.models import CatalogEntry, Document, IngestReport
from ingest.pdf import PAGE_SEPARATOR, PageDone, PdfReadError, PdfText, read_pdf  # noqa: F401 - PAGE_SEPARATOR: public here
from ingest.settings import LayoutSettings

SUPPORTED = {".txt", ".md", ".pdf", ".docx", ".html", ".htm"}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")


class LoadError(Exception):
    """A file could not be loaded; the message says why in plain words."""


def slugify(stem: str) -> str:
    """Stable, URL-safe id from a file name stem: ascii-folded, lower case, dashes."""
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


def decode_text(data: bytes, *, name: str = "file") -> str:
    """Decode text bytes: strip a UTF-8 BOM, try utf-8, then cp1252, then latin-1; reject binary content."""
    if b"\x00" in data[:65536]:
        raise LoadError(f"{name} looks binary, not text: it contains NUL bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) / len(sample) > 0.05:
        raise LoadError(f"{name} looks binary, not text: too many non-text characters")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _load_pdf(data: bytes, name: str, layout: LayoutSettings, on_page: PageDone | None) -> PdfText:
    try:
        read = read_pdf(data, name, layout, on_page=on_page)
    except PdfReadError as exc:
        raise LoadError(str(exc)) from exc
    if not read.text.strip():
        raise LoadError(f"{name} is a PDF with no extractable text (scanned images?)")
    return read


def _load_docx(data: bytes, name: str) -> str:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises zipfile/KeyError/lxml errors for broken files
        raise LoadError(f"{name} is a corrupt or unreadable DOCX file: {exc}") from exc
    lines: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(_docx_paragraph(Paragraph(child, document)))
        elif tag == "tbl":
            lines.append("")
            lines.extend(_docx_table(Table(child, document)))
            lines.append("")
    return "\n".join(lines)


def _docx_paragraph(paragraph) -> str:
    text = paragraph.text.strip()
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = re.match(r"Heading\s*(\d)", style)
    if text and heading:
        return "#" * min(int(heading.group(1)), 6) + " " + text + "\n"
    if text and style == "Title":
        return "# " + text + "\n"
    if text and re.match(r"List", style):
        return "- " + text
    return text + "\n" if text else ""


def _docx_table(table) -> list[str]:
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))
        rows.append("\t".join(cells))
    return rows


_BLOCK_TAGS = {"p", "div", "section", "article", "main", "blockquote", "pre", "ul", "ol", "dl", "dd", "dt",
               "figure", "figcaption", "body", "html", "header", "footer", "aside", "form", "fieldset", "address"}


def _load_html(data: bytes, name: str) -> str:
    from bs4 import BeautifulSoup

    if b"\x00" in data[:65536]:
        raise LoadError(f"{name} looks binary, not HTML: it contains NUL bytes")
    soup = BeautifulSoup(data, "html.parser")
    for tag in soup(["script", "style", "nav", "noscript", "template", "head"]):
        tag.decompose()
    out: list[str] = []
    _html_walk(soup, out)
    return "\n".join(out)


def _html_walk(node, out: list[str]) -> None:
    from bs4 import NavigableString, Tag

    inline: list[str] = []

    def flush() -> None:
        text = " ".join("".join(inline).split())
        if text:
            out.extend([text, ""])
        inline.clear()

    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child).__name__ in {"Comment", "Doctype", "CData", "ProcessingInstruction", "Declaration"}:
                continue
            inline.append(str(child))
        elif isinstance(child, Tag):
            name = child.name.lower()
            if re.fullmatch(r"h[1-6]", name):
                flush()
                text = " ".join(child.get_text(" ").split())
                if text:
                    out.extend(["#" * int(name[1]) + " " + text, ""])
            elif name == "li":
                flush()
                nested = child.find_all(["ul", "ol"])
                for sub in nested:
                    sub.extract()
                text = " ".join(child.get_text(" ").split())
                if text:
                    out.append("- " + text)
                for sub in nested:
                    _html_walk(sub, out)
            elif name == "table":
                flush()
                for row in child.find_all("tr"):
                    cells = [" ".join(c.get_text(" ").split()) for c in row.find_all(["td", "th"])]
                    if any(cells):
                        out.append("\t".join(cells))
                out.append("")
            elif name == "br":
                inline.append("\n")
            elif name in _BLOCK_TAGS:
                flush()
                _html_walk(child, out)
                out.append("")
            else:
                inline.append(child.get_text())
    flush()


def load_file(path: Path, *, catalog: dict[str, CatalogEntry], max_bytes: int,
              layout: LayoutSettings | None = None, on_page: PageDone | None = None) -> Document:
    """Load one file into a Document (raw text, page starts for PDFs, catalog or guessed metadata);
    `on_page(number, total)` hears of each PDF page read.

    Raises LoadError with a plain reason: missing, empty, too large, unsupported type, corrupt or binary.
    """
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise LoadError(f"{name}: unsupported file type '{suffix or '(none)'}' (supported: {', '.join(sorted(SUPPORTED))})")
    if not path.is_file():
        raise LoadError(f"{name}: file not found")
    size = path.stat().st_size
    if size == 0:
        raise LoadError(f"{name} is empty (0 bytes)")
    if size > max_bytes:
        raise LoadError(f"{name} is too large: {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit")
    data = path.read_bytes()
    page_starts: list[int] = []
    report, title_hint = IngestReport(), ""
    if suffix == ".pdf":
        if not data.lstrip()[:5].startswith(b"%PDF"):
            raise LoadError(f"{name} is a corrupt PDF: it does not start with a PDF header")
        read = _load_pdf(data, name, layout or LayoutSettings(), on_page)
        text, page_starts, report, title_hint = read.text, read.page_starts, read.report, read.title_hint
    elif suffix == ".docx":
        text = _load_docx(data, name)
    elif suffix in {".html", ".htm"}:
        text = _load_html(data, name)
    else:
        text = decode_text(data, name=name)
    if not text.strip():
        raise LoadError(f"{name} contains no text")
    sha = hashlib.sha256(data).hexdigest()
    doc_id = slugify(path.stem) or f"doc-{sha[:12]}"
    doc = Document(doc_id=doc_id, path=str(path), sha256=sha, text=text, page_starts=page_starts,
                   meta=catalog.get(name) or CatalogEntry(title=name, guessed=True), report=report,
                   title_hint=title_hint)
    if name not in catalog:  # guess from the cleaned text, so a running header is not taken for the title
        cleaned, _ = clean_text(doc)
        cleaned = cleaned if cleaned.strip() else text
        first = text[:page_starts[3]] if len(page_starts) > 3 else text[:15000]
        doc = doc.model_copy(update={"meta": guess_entry(cleaned, name, title_hint=title_hint, first_pages=first)})
    return doc
