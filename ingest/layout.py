"""Geometry of a PDF page: positioned characters -> lines (superscript markers out), reading order on
multi-column pages, and the page furniture found by position: running headers/footers, footnotes.

Coordinates are top-down (0 at the top of the page), in PDF points. Nothing here knows about pdfium.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from statistics import median

from ingest.kinds import MATRIX_LABEL_LINE
from ingest.settings import LayoutSettings

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_MARKER = re.compile(r"[\d*†‡§,\-–()\[\]]")
_ENUMERATOR = re.compile(r"\s*(\d{1,2}|[a-zA-Z]|[ivx]{1,4})[.)]\s*")
_BULLET_START = re.compile(r"^[•●▪■◦○➤►▶✓✔‣⁃\uf000-\uf8ff]")
_FOOTNOTE_START = re.compile(r"^(\d{1,3}|[*†‡])(\s|\.\s|\)\s)?\s*\S")


@dataclass
class Box:
    """Where something sits on the page (top-down), and its font size and weight."""

    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class Char(Box):
    """One glyph."""

    c: str


@dataclass
class Line(Box):
    """A run of characters on one baseline with no wide gap inside."""

    text: str
    page: int = 0
    lead_marker: str = ""  # a superscript marker that opened the line (a footnote's number)
    markers: int = 0  # superscript markers dropped from inside the line
    role: str = "body"  # body | furniture | footnote | heading | table
    level: int = 0
    chars: int = 0

    @property
    def words(self) -> int:
        return len(self.text.split())


@dataclass
class Page:
    """The lines of one page in reading order, and what was found on it."""

    number: int  # 1-based
    width: float
    height: float
    lines: list[Line] = field(default_factory=list)
    image_share: float = 0.0  # of the page's area covered by images
    rulings: int = 0
    glyphs: list[Char] = field(default_factory=list)  # kept only while tables are read


def text_in(glyphs: list[Char], bbox: tuple[float, float, float, float], settings: LayoutSettings) -> str:
    """The text of the glyphs whose centre lies inside a box (x0, top, x1, bottom), superscript markers out."""
    x0, top, x1, bottom = bbox
    inside = [c for c in glyphs if x0 <= (c.x0 + c.x1) / 2 <= x1 and top <= (c.top + c.bottom) / 2 <= bottom]
    wide = settings.model_copy(update={"gap_factor": 1e9})
    lines = build_lines(inside, 0, wide)
    text = " ".join(ln.text for ln in sorted(lines, key=lambda ln: (round(ln.top / 3), ln.x0)))
    return re.sub(r"(?<=[^\W\d_])- (?=[a-zà-ÿ])", "", text)


def _rows(chars: list[Char]) -> list[list[Char]]:
    """Glyphs grouped by baseline; a row of small raised glyphs (superscripts) joins the row it sits on."""
    rows: list[list[Char]] = []
    for ch in sorted(chars, key=lambda c: c.bottom):
        if rows and abs(ch.bottom - rows[-1][-1].bottom) < 0.3 * max(ch.size, rows[-1][-1].size):
            rows[-1].append(ch)
        else:
            rows.append([ch])
    hosts: dict[int, int] = {}
    for i, row in enumerate(rows):
        size = max(c.size for c in row)
        host = _host_row(row, size, [k for k in (i + 1, i + 2, i - 1) if 0 <= k < len(rows) and k not in hosts],
                         rows)
        if host is not None:
            hosts[i] = host
    for i in sorted(hosts, reverse=True):
        target = hosts[i]
        while target in hosts:
            target = hosts[target]
        rows[target].extend(rows[i])
    return [row for i, row in enumerate(rows) if i not in hosts]


def _host_row(row: list[Char], size: float, candidates: list[int], rows: list[list[Char]]) -> int | None:
    """The row a row of small glyphs is raised above (its superscripts), if any."""
    for k in candidates:
        other = rows[k]
        other_size = max(c.size for c in other)
        baseline = median(c.bottom for c in other)
        overlaps = min(c.x0 for c in other) - size <= row[0].x0 <= max(c.x1 for c in other) + size
        if size < 0.85 * other_size and baseline - 0.9 * other_size < row[0].bottom < baseline and overlaps:
            return k
    return None


def build_lines(chars: list[Char], page: int, settings: LayoutSettings) -> list[Line]:
    """Lines from positioned glyphs: rows by baseline, cut where a wide gap opens (columns, table cells);
    spaces come from the gaps, so glyph order in the file does not matter."""
    lines = []
    for row in _rows([c for c in chars if c.c.strip() or c.c == " "]):
        row.sort(key=lambda c: c.x0)
        run: list[Char] = []
        for ch in row:
            if run:
                size = max(ch.size, run[-1].size)
                gap = ch.x0 - run[-1].x1
                wide = gap > settings.gap_factor * size  # a list number stays with its text: "1.   Text"
                if wide and not (gap <= settings.list_gap_factor * size
                                 and _ENUMERATOR.fullmatch("".join(c.c for c in run))):
                    lines.append(run)
                    run = []
                elif gap > settings.space_factor * min(ch.size, run[-1].size) and run[-1].c != " " and ch.c != " ":
                    run.append(Char(run[-1].x1, ch.x0, ch.top, ch.bottom, ch.size, False, " "))
            if ch.c != " " or (run and run[-1].c != " "):
                run.append(ch)
        if run:
            lines.append(run)
    return [line for run in lines if (line := _make_line(run, page, settings)) is not None]


def _make_line(run: list[Char], page: int, settings: LayoutSettings) -> Line | None:
    glyphs = [c for c in run if not c.c.isspace()]
    if not glyphs:
        return None
    size = max(c.size for c in glyphs)
    baseline = median(c.bottom for c in glyphs if c.size >= 0.9 * size)
    kept: list[Char] = []
    lead, markers = "", 0
    for ch in run:
        raised = ch.size < settings.superscript_ratio * size and ch.bottom < baseline - 0.15 * size
        if raised and not ch.c.isspace() and _MARKER.fullmatch(ch.c):
            if not any(not k.c.isspace() for k in kept):
                lead += ch.c
            else:
                markers += ch.c.isdigit() and not (kept and kept[-1].c.isdigit())
            continue
        kept.append(ch)
    text = " ".join("".join(c.c for c in kept).translate(_LIGATURES).split())
    body = [c for c in kept if not c.c.isspace()]
    if not text or not body:
        return None
    sizes = Counter(round(c.size * 2) / 2 for c in body)
    return Line(text=text, x0=min(c.x0 for c in body), x1=max(c.x1 for c in body), top=min(c.top for c in body),
                bottom=max(c.bottom for c in body), size=sizes.most_common(1)[0][0],
                bold=sum(c.bold for c in body) >= 0.8 * len(body), page=page, lead_marker=lead.strip(),
                markers=markers, chars=len(body))


def reading_order(lines: list[Line], width: float) -> list[Line]:
    """Lines top to bottom; on a page with a gutter, each column's lines before the next column's, in strips
    separated by lines that span the gutter (titles, full-width figures)."""
    rows = sorted(lines, key=lambda ln: (round(ln.top / 3), ln.x0))
    gutter = _gutter(rows, width)
    if gutter is None:
        return rows
    out: list[Line] = []
    left: list[Line] = []
    right: list[Line] = []
    for line in rows:
        if line.x0 < gutter < line.x1:
            out.extend(left + right + [line])
            left, right = [], []
        elif line.x1 <= gutter:
            left.append(line)
        else:
            right.append(line)
    return out + left + right


def _gutter(lines: list[Line], width: float) -> float | None:
    body = [ln for ln in lines if ln.words >= 3]
    if len(body) < 8:
        return None
    best, best_score = None, 0
    for step in range(30, 71, 2):
        x = width * step / 100
        crossing = sum(1 for ln in body if ln.x0 < x - 1 < x + 1 < ln.x1)
        left = sum(1 for ln in body if ln.x1 <= x)
        right = sum(1 for ln in body if ln.x0 >= x)
        if crossing <= 0.1 * len(body) and min(left, right) >= 0.25 * len(body):
            score = min(left, right) - 3 * crossing
            if score > best_score:
                best, best_score = x, score
    return best


def fold(text: str) -> str:
    """A line's identity across pages: digits folded, case and spacing ignored."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def mark_furniture(pages: list[Page], settings: LayoutSettings) -> int:
    """Running headers and footers: lines in the top or bottom band that repeat across pages (digits folded),
    page numbers there, and any line repeating on a large share of pages. Returns how many were marked."""
    seen: dict[str, set[int]] = {}
    for page in pages:
        for line in page.lines:
            seen.setdefault(fold(line.text), set()).add(page.number)
    many = max(3, settings.repeat_share * len(pages))
    marked = 0
    for page in pages:
        for line in page.lines:
            if line.role == "table":
                continue
            in_band = (line.bottom < page.height * settings.band or line.top > page.height * (1 - settings.band))
            repeats = len(seen[fold(line.text)])
            page_number = bool(re.fullmatch(r"(page|p\.|side|sida|página)?\s*[\divxlc]{1,6}(\s*(of|/|de|av|sur)"
                                            r"\s*\d+)?", line.text, re.IGNORECASE))
            # a form's field label (on every page the form fills) or a bullet item is body text wherever it repeats
            content = MATRIX_LABEL_LINE.match(line.text) is not None or _BULLET_START.match(line.text) is not None
            anywhere = not content and repeats >= many and line.words <= settings.repeat_max_words \
                and len(line.text) >= 12
            if (in_band and (page_number or (repeats >= 2 and len(pages) >= 2))) or anywhere:
                line.role = "furniture"
                marked += 1
    return marked


def without_text(page: Page, settings: LayoutSettings) -> bool:
    """A page whose content is an image (a scan, text drawn as pictures, a figure alone): images cover a part of
    it and, running headers and footers aside, it holds almost no characters. A blank page is not one."""
    content = sum(line.chars for line in page.lines if line.role != "furniture")
    return content < settings.min_page_chars and page.image_share >= settings.min_image_share


def body_size(pages: list[Page]) -> float:
    """The font size most characters of the document are set in."""
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[line.size] += line.chars
    return sizes.most_common(1)[0][0] if sizes else 10.0


def mark_footnotes(page: Page, body: float, settings: LayoutSettings) -> list[tuple[str, list[Line]]]:
    """Footnotes at the foot of a page: a run of lines smaller than the body text, opened by a number.
    The lines are marked; returned as (marker, lines) in order."""
    lines = [ln for ln in page.lines if ln.role == "body"]
    region: list[Line] = []
    for line in reversed(lines):
        if line.size <= body * settings.footnote_ratio and line.top > page.height * 0.4:
            region.insert(0, line)
        else:
            break
    starts = [i for i, ln in enumerate(region) if ln.lead_marker or _FOOTNOTE_START.match(ln.text)]
    if not starts:
        return []
    notes: list[tuple[str, list[Line]]] = []
    for n, i in enumerate(starts):
        group = region[i:starts[n + 1] if n + 1 < len(starts) else len(region)]
        first = group[0]
        marker = first.lead_marker
        if not marker:
            match = re.match(r"^(\d{1,3}|[*†‡])\.?\)?\s*", first.text)
            marker = match.group(1)
            first.text = first.text[match.end():]
        for line in group:
            line.role = "footnote"
        notes.append((marker, group))
    return notes
