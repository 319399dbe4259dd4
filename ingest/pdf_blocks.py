"""From positioned lines to the text conventions of ingestion: headings (font size and weight, bookmarks),
tables of contents, tables (rows keep their header), paragraphs, list items and footnotes of one page."""

from __future__ import annotations

import re

from ingest.layout import Line, Page, fold
from ingest.settings import LayoutSettings

_TOC_TITLE = re.compile(r"^(table (of|des) (contents|matières)|contents|sommaire|índice|indice|innehåll(sförteckning)?|"
                        r"innhold|innhald|inhalt|list of (tables|figures|acronyms)|table des (figures|tableaux))$",
                        re.IGNORECASE)
_TOC_ENTRY = re.compile(r"(\.{3,}|…{2,}|(\.\s){3,}|_{3,}|\s)\s*([\divxlc]{1,4})$", re.IGNORECASE)
_BULLET = re.compile(r"^[•●▪■◦○➤►▶✓✔‣⁃\-–\uf000-\uf8ff]\s*")
_TERMINAL = re.compile(r"[.!?:;][\"'”’)\]]*$")
_CAPTION = re.compile(r"^(figure|fig\.|table|tableau|tabla|tabell|figura|figur|graph(ique)?|gráfico|chart|box|encadré|"
                      r"diagram(me)?|map|carte|mapa|karta)\s*\d+", re.IGNORECASE)
# one sentence ending and the next starting: "... utilisé. Les données", not "Part III. Impact"
_SENTENCE_BREAK = re.compile(r"[^\W\d_]*[a-zà-ÿ]{3}\. [A-ZÀ-Þ][a-zà-ÿ]")
_SHARE = re.compile(r"\d+(?:[.,]\d+)?\s?(?:%|per ?cent\b|percent\b|pour ?cent\b|por ?ciento\b|procent\b|prosent\b)",
                    re.IGNORECASE)
_NUMBERED = re.compile(r"^(\d+(\.\d+)*\.?|[IVX]+\.|[A-H]\.|annex|annexe|anexo|bilaga|vedlegg|appendix)\s", re.I)


def _numbered_beside(line: Line, lines: list[Line]) -> bool:
    """Whether a page number stands alone on the line's baseline to its right (a contents entry whose number the
    wide gap before it made a line of its own)."""
    return any(other.x0 > line.x1 and abs(other.bottom - line.bottom) < 0.3 * line.size
               and re.fullmatch(r"[\divxlc]{1,4}", other.text.strip(), re.IGNORECASE) for other in lines)


def mark_toc_pages(pages: list[Page]) -> list[int]:
    """Pages that are a table of contents (or of figures): their lines are furniture."""
    found = []
    for page in pages:
        lines = [ln for ln in page.lines if ln.role == "body"]
        entries = sum(1 for ln in lines if re.search(r"[^\W\d_]{3}", ln.text)
                      and (_TOC_ENTRY.search(ln.text) or _numbered_beside(ln, lines)))
        leaders = sum(1 for ln in lines if re.search(r"\.{4,}|…{2,}|(\.\s){4,}", ln.text))
        titled = any(_TOC_TITLE.match(ln.text.strip(" :")) for ln in lines[:6])
        if lines and entries >= 4 and (leaders >= 3 or (titled and entries >= 0.4 * len(lines))):
            for ln in lines:
                ln.role = "furniture"
            found.append(page.number)
    return found


def _runs(lines: list[Line]) -> list[list[Line]]:
    """Consecutive body lines of one size and weight set close together: a paragraph, or a heading's lines."""
    runs: list[list[Line]] = []
    for line in lines:
        last = runs[-1][-1] if runs else None
        if last is not None and last.page == line.page and abs(last.size - line.size) < 0.6 \
                and last.bold == line.bold and -0.6 * line.size <= line.top - last.bottom < 0.9 * line.size \
                and not _NUMBERED.match(line.text) and not _BULLET.match(line.text):
            runs[-1].append(line)
        else:
            runs.append([line])
    return runs


def _heading_run(run: list[Line], body: float, settings: LayoutSettings) -> bool:
    text = " ".join(ln.text for ln in run)
    first = run[0]
    letters = sum(ch.isalpha() for ch in text)
    if letters < 3 or letters < 0.5 * len(text.replace(" ", "")) or len(text.split()) > settings.heading_max_words:
        return False
    if text.endswith((",", ";")) or _BULLET.match(text) or re.match(r"^o\s", text) or _CAPTION.match(text) \
            or text[:1].islower() or _sentence(text, settings) or _figure_label(text):
        return False
    large = first.size >= body * settings.heading_ratio
    capitals = [ch for ch in text if ch.isalpha()]
    shouted = len(run) == 1 and 2 <= len(text.split()) <= 8 and sum(ch.isupper() for ch in capitals) >= \
        0.9 * len(capitals) and not _TERMINAL.search(text) and first.size >= body * 0.95 and "[" not in text
    bold = first.bold and first.size >= body * 0.95 and (not _TERMINAL.search(text) or text.endswith("?")
                                                       or bool(_NUMBERED.match(text)))
    return large or bold or shouted


def _sentence(text: str, settings: LayoutSettings) -> bool:
    """A statement set large or bold (a pull quote, a numbered recommendation's title, a key figure, a paragraph's
    bold opening sentence): it ends in a full stop, or one sentence ends and another starts inside it, and it runs
    to a clause's length, so it names no section ("37 percent of respondents experienced ...")."""
    words = _NUMBERED.sub("", text, count=1).split()
    ends = (text.endswith(".") and not text.endswith("..")) or bool(_SENTENCE_BREAK.search(text))
    return ends and len(words) >= settings.heading_sentence_words


def _figure_label(text: str) -> bool:
    """A chart's or a callout's figures set large ("10 per cent", "7 or more years ago 55% 2-6 years ago 34%"): it
    opens with a share, or holds two or more; "Sustainability (66.7%)" stays a heading."""
    shares = list(_SHARE.finditer(text))
    return len(shares) >= 2 or (bool(shares) and shares[0].start() == 0)


def _continues(run: list[Line], nxt: list[Line] | None) -> bool:
    """The sentence a run starts goes on in the next lines (a bold run-in phrase, a wrapped paragraph)."""
    if nxt is None:
        return False
    last, first = run[-1], nxt[0]
    return first.text[:1].islower() and first.top - last.bottom < 1.0 * last.size


def _in_numbered_list(runs: list[list[Line]], i: int, body: float, settings: LayoutSettings) -> bool:
    """A body-size line numbered "3." next to another such line is an item of a numbered list, not a heading."""
    def numbered(k: int) -> bool:
        return 0 <= k < len(runs) and bool(re.match(r"^\d{1,2}[.)]\s", runs[k][0].text)) \
            and runs[k][0].size < body * settings.heading_ratio
    return numbered(i) and (numbered(i - 1) or numbered(i + 1))


def mark_headings(pages: list[Page], body: float, outline: dict[tuple[int, str], int],
                  settings: LayoutSettings) -> tuple[int, str]:
    """Mark heading lines with a level (bookmarks first, then font size rank, bold body-size last).
    Returns the number of headings and the largest heading text of the first page (a title)."""
    groups: list[list[Line]] = []
    for page in pages:
        runs = _runs([ln for ln in page.lines if ln.role == "body"])
        for i, run in enumerate(runs):
            if (page.number, fold(run[0].text)) in outline and not _sentence(run[0].text, settings):
                groups.append(run[:1])
            elif _heading_run(run, body, settings) and not _in_numbered_list(runs, i, body, settings) \
                    and not _continues(run, runs[i + 1] if i + 1 < len(runs) else None):
                groups.append(run)
    sizes = sorted({round(g[0].size) for g in groups if g[0].size >= body * settings.heading_ratio}, reverse=True)
    count, title, title_size = 0, "", 0.0
    for group in groups:
        first = group[0]
        level = outline.get((first.page, fold(" ".join(ln.text for ln in group))),
                            outline.get((first.page, fold(first.text))))
        if level is None:
            rank = sizes.index(round(first.size)) if round(first.size) in sizes else len(sizes)
            level = min(rank + 1, settings.heading_levels + 1)
        first.text = " ".join(ln.text for ln in group)
        first.role, first.level = "heading", level
        for line in group[1:]:
            line.role = "merged"
        count += 1
        if first.page == 1 and first.size > title_size and first.words >= 2:
            title, title_size = first.text, first.size
    return count, title


def table_lines(bbox: tuple, rows: list[list[str | None]], page: Page, header: list[str] | None) -> list[str] | None:
    """Replace the lines a table covers by one 'table' line of tab-separated rows; its header row is returned.
    A table that continues the previous one (same columns, no header of its own) gets that table's header."""
    cells = [[" ".join((c or "").split()) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    width = max((len(r) for r in cells), default=0)
    if len(cells) < 2 or width < 2 or sum(1 for r in cells if sum(1 for c in r if c) >= 2) < 2:
        return None
    x0, top, x1, bottom = bbox
    for line in page.lines:
        middle = (line.top + line.bottom) / 2
        if line.role == "body" and x0 - 2 <= line.x0 and line.x1 <= x1 + 2 and top - 2 <= middle <= bottom + 2:
            line.role = "covered"
    first = cells[0]
    continues = header is not None and _header_like(header) and len(header) == width and first != header and \
        not any(ln.role == "table" for ln in page.lines) and top < page.height * 0.25
    if continues:
        cells = [header] + cells
    text = "\n".join("\t".join(row) for row in cells)
    page.lines.append(Line(text=text, x0=x0, x1=x1, top=top, bottom=bottom, size=0, bold=False, page=page.number,
                           role="table"))
    return cells[0]


def _header_like(row: list[str]) -> bool:
    """A row that can head the columns of a table continued on the next page: short, filled, no figures."""
    return all(cell and len(cell.split()) <= 8 and not re.fullmatch(r"[\d.,%$ -]+", cell) for cell in row)


def _paragraph_break(prev: Line, line: Line) -> bool:
    gap = line.top - prev.bottom
    return (gap > 0.75 * max(line.size, prev.size) or gap < -prev.size or abs(line.size - prev.size) > 1
            or prev.bold != line.bold or _BULLET.match(line.text) is not None)


def page_lines_text(page: Page, footnotes: list[tuple[str, list[Line]]]) -> str:
    """The text of one page: headings, paragraphs, items and tables in reading order, then its footnotes
    (before the page's last paragraph when that one runs on to the next page)."""
    blocks: list[list[str]] = []
    prev: Line | None = None
    for line in page.lines:
        if line.role == "heading":
            blocks.append(["#" * line.level + " " + line.text])
            prev = None
        elif line.role == "table":
            blocks.append(line.text.split("\n"))
            prev = None
        elif line.role == "body":
            text = _BULLET.sub("- ", line.text) if _BULLET.match(line.text) and line.words > 1 else line.text
            if prev is None or _paragraph_break(prev, line):
                blocks.append([text])
            else:
                blocks[-1].append(text)
            prev = line
    notes = [[f"[^{marker}]: " + " ".join(ln.text for ln in lines)] for marker, lines in footnotes]
    runs_on = blocks and not blocks[-1][0].startswith("#") and "\t" not in blocks[-1][0] \
        and not _TERMINAL.search(blocks[-1][-1])
    ordered = blocks[:-1] + notes + blocks[-1:] if runs_on and notes else blocks + notes
    return "\n\n".join("\n".join(block) for block in ordered)
