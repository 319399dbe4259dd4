"""Split cleaned text into structural blocks: headings give every block its section path; lessons-learned
tables, list items (recommendations, findings, ...) and table rows become blocks of their own.

Conventions of the cleaned text: '#' headings (or, in plain text without any, ALL-CAPS, numbered and short
title lines; and a short capitalised line naming a kind, "KEY RECOMMENDATIONS", set in colour rather than larger),
'- ' or enumerated list items, tab-separated table rows, paragraphs separated by blank lines. A bare label line
("RECOMMENDATION:", "Lesson learned #4") belongs to the paragraph after it; a caption ("Table 3", "Tableau n°10")
names the table after it. Where an item starts and ends is `ingest.items`' concern.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.items import mark_items
from ingest.kinds import CAPTION, ITEM_LABEL_LINES, MATRIX_RECOMMENDATION, SECTION_KINDS, label_kind, section_kind
from ingest.kinds import FORM_SECTION as _FORM_SECTION
from ingest.matrix import matrix_blocks
from ingest.models import Block, Kind
from ingest.tables import is_lesson_table, lesson_blocks, normalise, table_blocks

# a tab-separated row ("# of staff\t20") or a line opening in lower case ("# of migrants assisted") is no heading:
# "#" there means "number of", and PDF reading never makes a heading of a lower-case line
_MD_HEADING = re.compile(r"^(#{1,6})\s+(?![a-zà-ÿ])([^\t]*?)\s*#*\s*$")
_FOOTNOTE = re.compile(r"^\[\^([^\]\s]{1,8})\]:\s*(\S.*)$")
_NUMBERED = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+\S")
_LETTERED = re.compile(r"^[A-H]\s*[-–.)]\s+\S")
_ANNEX = re.compile(r"^(annex|annexure|appendix|attachment|vedlegg)\b", re.IGNORECASE)
_SALUTATION = re.compile(r"^(dear|kjære|til)\s+[^,]{2,60},$", re.IGNORECASE)
_ITEM = re.compile(r"^(- |\(?\d{1,2}[.)]\s+|\(?[a-z]{1,4}[.)]\s+)")
_NUMBERED_ITEM = re.compile(r"^\(?\d{1,2}[.)]\s+")
_SUB_ITEM = re.compile(r"^\(?[a-z][.)]\s+")
_TERMINAL = re.compile(r"[.!?;,][\"'”’)\]]*$")


@dataclass
class _Unit:
    kind: str  # heading | para | item | table | footnote
    lines: list[tuple[int, str]] = field(default_factory=list)  # (offset, text)
    level: int = 1
    md_level: int = 0

    @property
    def start(self) -> int:
        return self.lines[0][0]

    @property
    def end(self) -> int:
        return self.lines[-1][0] + len(self.lines[-1][1])

    @property
    def text(self) -> str:
        return " ".join(" ".join(t.split()) for _, t in self.lines).strip()


def _heading_like(line: str) -> bool:
    """A short line that may be a heading even without blank lines around it (PDF text has none)."""
    text = line.strip()
    words = text.split()
    if not words or len(words) > 10 or _TERMINAL.search(text) or text.startswith("- "):
        return False
    letters = [c for c in text if c.isalpha()]
    caps = len(letters) >= 4 and sum(c.isupper() for c in letters) / len(letters) >= 0.8
    numbered = bool(_NUMBERED.match(text)) and text[len(words[0]):].strip()[:1].isupper()
    return not text.endswith(":") and (caps or numbered or (bool(_ANNEX.match(text)) and len(words) <= 6))


def _runs_on(heading: str, lines: list[str], n: int) -> bool:
    """A '#' line that is the first line of a paragraph set in bold: long, it stops on a lower-case word ("... and")
    and the next line goes on in lower case."""
    following = next((line for line in lines[n + 1:] if line.strip()), "")
    last = heading.split()[-1] if heading.split() else ""
    return len(heading.split()) >= 8 and last.isalpha() and last.islower() and \
        following.lstrip("‘'\"“(")[:1].islower()


def _units(text: str) -> list[_Unit]:
    lines = text.split("\n")
    plain = not any(_MD_HEADING.match(line) for line in lines)
    units: list[_Unit] = []
    current: _Unit | None = None
    offset, held = 0, False
    for n, line in enumerate(lines):
        start, offset = offset, offset + len(line) + 1
        if not line.strip():
            if current is not None and current.kind != "table" and not held:
                current = None
            continue
        held = False
        heading = _MD_HEADING.match(line)
        if _FOOTNOTE.match(line):
            current = None
            units.append(_Unit("footnote", [(start, line)]))
        elif heading and _runs_on(heading.group(2), lines, n):
            current, held = _Unit("para", [(start + heading.start(2), heading.group(2))]), True
            units.append(current)
        elif heading:
            current = None
            units.append(_Unit("heading", [(start, heading.group(2))], md_level=len(heading.group(1))))
        elif not plain and current is None and _kind_heading(line):
            units.append(_Unit("heading", [(start, line.strip())], md_level=-1))  # set in colour, not in size
        elif plain and _heading_like(line):
            current = None
            units.append(_Unit("para", [(start, line)]))
        elif "\t" in line:
            if current is None or current.kind != "table":
                current = _Unit("table")
                units.append(current)
            current.lines.append((start, line))
        elif _SUB_ITEM.match(line) and units and units[-1].kind == "item" and \
                _NUMBERED_ITEM.match(units[-1].lines[0][1]):
            current = units[-1]  # "a." under "1.": a point of that item, not an item of its own
            current.lines.append((start, line))
        elif _ITEM.match(line):
            current = _Unit("item", [(start, line)])
            units.append(current)
        elif current is not None and current.kind in {"para", "item"}:
            current.lines.append((start, line))
        else:
            current = _Unit("para", [(start, line)])
            units.append(current)
    return units


def _plain_heading(unit: _Unit, nxt: _Unit | None) -> bool:
    """Whether a one-line unit of a document without '#' headings is a heading."""
    if len(unit.lines) != 1 or unit.kind not in {"para", "item"} or unit.lines[0][1].startswith("- "):
        return False
    text = unit.text
    if _heading_like(text):
        return True
    next_is_long_para = nxt is not None and nxt.kind == "para" and len(nxt.text.split()) >= 20
    short_title = len(text.split()) <= 8 and text[:1].isupper() and not _TERMINAL.search(text)
    return unit.kind == "para" and short_title and not text.endswith(":") and next_is_long_para


def _kind_heading(line: str) -> bool:
    """A short capitalised line that names a section kind ("KEY RECOMMENDATIONS", "GOOD PRACTICES"): a heading
    even where the file sets it in colour or bold rather than larger."""
    text = line.strip()
    return _heading_like(text) and len(text.split()) <= 6 and not re.search(r"\d", text) and \
        any(pattern.search(text) for _, pattern in SECTION_KINDS) and not MATRIX_RECOMMENDATION.match(text) and \
        not any(pattern.match(text) for _, pattern in ITEM_LABEL_LINES)  # "RECOMMENDATION": one item's label


def _heading_level(unit: _Unit, stack: list[_Unit]) -> int:
    text = unit.text
    if unit.md_level == -1 and not _ANNEX.match(text):
        # a kind's heading not set larger: beside the outermost heading that names a kind, else the last one
        named = [h for h in stack if any(pattern.search(h.text) for _, pattern in SECTION_KINDS)]
        return named[0].level if named else (stack[-1].level if stack else 1)
    if _ANNEX.match(text):
        return 0
    numbered = _NUMBERED.match(text)
    if numbered and not re.fullmatch(r"\d{4}", numbered.group(1)):
        return numbered.group(1).count(".") + 1
    parent = next((h for h in reversed(stack) if not _LETTERED.match(h.text)), None)
    if _LETTERED.match(text) and parent is not None and parent.md_level == unit.md_level \
            and section_kind([parent.text]) is not Kind.text:
        return parent.level + 1  # "A - Communication" under "Recommendations" set in the same type
    anchor = next((h for h in reversed(stack) if _ANNEX.match(h.text) or _NUMBERED.match(h.text)), None)
    # the nearest heading above in the same or a larger type: a sibling, or the parent
    above = next((h for h in reversed(stack) if 0 < h.md_level <= unit.md_level and not _LETTERED.match(h.text)), None)
    by_type = None if above is None else above.level + (above.md_level < unit.md_level)
    if anchor is None:
        return by_type if by_type is not None and above.md_level == unit.md_level else (unit.md_level or 1)
    if unit.md_level == 1 and anchor.md_level == 1 and not _ANNEX.match(anchor.text):
        return anchor.level  # both in the largest type: siblings ("# 1. Summary", then "# Findings on quality")
    if 0 < unit.md_level < anchor.md_level and not _ANNEX.match(anchor.text):
        # set larger than the numbered heading: it closes it ("#### 8 - Monitoring", then "### Background")
        return min(anchor.level, by_type) if by_type is not None else anchor.level
    extra = max(0, unit.md_level - anchor.md_level - 1) if unit.md_level and anchor.md_level else 0
    return anchor.level + 1 + extra


def _item_kind(content: str, section: list[str]) -> Kind:
    """A block's kind: its own label's ("Recommendation 3: ..."), else its section's; `content` as written."""
    if any(_FORM_SECTION.search(h) for h in section):
        return Kind.text
    return label_kind(content) or section_kind(section)


def _is_label(unit: _Unit) -> bool:
    """A bare label ("Kopi:", "RECOMMENDATION", "Lesson learned #4") that names the paragraph after it."""
    text = unit.text
    if unit.kind != "para" or len(unit.lines) != 1:
        return False
    return (bool(re.fullmatch(r"[^.!?]{1,40}:", text)) and len(text.split()) <= 3) or \
        any(pattern.match(text) for _, pattern in ITEM_LABEL_LINES)


def _table_unit_blocks(unit: _Unit, section: list[str], caption: str) -> list[Block]:
    """Lesson blocks, or one block per row named by the header; a headerless table reads as a paragraph."""
    if is_lesson_table(unit.lines):
        return lesson_blocks(unit.lines, section)
    made = table_blocks(unit.lines, section + [caption] if caption else section)
    if made or len(unit.text.split()) <= 8:
        return made
    return [Block(kind=section_kind(section), section=section, text=unit.text, start=unit.start, end=unit.end)]


def _is_junk(unit: _Unit) -> bool:
    """Short unpunctuated lines outside headings: names, dates, logos, stray labels."""
    text = unit.text
    if re.match(r"[^:]{1,30}:\s\S", text):
        return False  # "Via: Norad, direktøren" is a labelled value, not a stray line
    return unit.kind == "para" and len(text.split()) <= 10 and not re.search(r"[.!?:;]", text[-3:] or "")


def is_list_item(text: str, block: Block) -> bool:
    """Whether a block is a list item of the cleaned text it came from (marker just before or at its start)."""
    line_start = text.rfind("\n", 0, block.start) + 1
    prefix = text[line_start:block.start]
    return prefix == "- " or (not prefix and bool(_ITEM.match(text[block.start:block.end])))


def parse_blocks(text: str, *, matrix_repeat_words: int = 20) -> list[Block]:
    """Blocks of a cleaned text, in order, each with its heading path, kind, offsets and fields; the records of a
    management-response matrix replace the blocks they cover."""
    blocks = _parse_blocks(text)
    records = matrix_blocks(text, repeat_words=matrix_repeat_words)
    if not records:
        return blocks
    kept = [b for b in blocks if not any(r.start < b.end and b.start < r.end for r in records)]
    section = next((b.section for b in reversed(blocks) if b.start < records[0].start), [])
    for record in records:
        record.section = list(section)  # the matrix's own labels are no headings
    return sorted(kept + records, key=lambda b: b.start)


def _parse_blocks(text: str) -> list[Block]:
    units = _units(text)
    plain = not any(u.kind == "heading" for u in units)
    stack: list[_Unit] = []
    blocks: list[Block] = []
    caption = ""
    pending_label: _Unit | None = None
    for i, unit in enumerate(units):
        nxt = units[i + 1] if i + 1 < len(units) else None
        if plain and len(unit.lines) == 1 and _SALUTATION.match(unit.text):
            unit = _Unit("heading", [(unit.start, "Letter: " + unit.text.rstrip(","))])
            unit.level = 0
            stack = [unit]
            continue
        if unit.kind == "heading" or (plain and _plain_heading(unit, nxt)):
            unit.kind = "heading"
            unit.level = _heading_level(unit, stack)
            while stack and stack[-1].level >= unit.level:
                stack.pop()
            stack.append(unit)
            caption = ""
            continue
        section = [normalise(h.text).rstrip(":") for h in stack]
        if unit.kind == "footnote":
            note = _FOOTNOTE.match(unit.lines[0][1])
            content_start = unit.start + note.start(2)
            blocks.append(Block(kind=Kind.footnote, section=section, text=normalise(text[content_start:unit.end]),
                                start=content_start, end=unit.end, fields={"footnote": note.group(1)}))
            continue
        if unit.kind == "table":
            blocks.extend(_table_unit_blocks(unit, section, caption))
            caption = ""
            continue
        if unit.kind == "para" and CAPTION.match(unit.text) and nxt and nxt.kind == "table":
            caption = unit.text
            continue
        if _is_label(unit):
            # a bare label belongs to the paragraph after it, unless that is another label
            item_label = any(pattern.match(unit.text) for _, pattern in ITEM_LABEL_LINES)
            label_next = nxt is not None and nxt.kind in ({"para", "item"} if item_label else {"para"}) and \
                not _is_label(nxt) and not (nxt.kind == "para" and re.match(r"[^:]{1,40}:", nxt.text))
            pending_label = unit if label_next else None
            continue
        if _is_junk(unit) and pending_label is None:
            continue
        start = pending_label.start if pending_label is not None else unit.start
        pending_label = None
        if unit.kind == "item":
            marker = _ITEM.match(unit.lines[0][1])
            bullet = start == unit.start and marker is not None and marker.group(0) == "- "
            content_start = start + (2 if bullet else 0)  # a labelled item keeps its label ("RECOMMENDATION: - ...")
            content = normalise(text[content_start:unit.end])
            if not content:
                continue
            blocks.append(Block(kind=_item_kind(text[content_start:unit.end], section), section=section, text=content,
                                start=content_start, end=unit.end))
        else:
            raw = text[start:unit.end]  # with its bare label, if it had one ("RECOMMENDATION:")
            captioned = CAPTION.match(unit.text) or (unit.text.endswith(":") and not label_kind(raw))
            kind = Kind.text if captioned else _item_kind(raw, section)
            blocks.append(Block(kind=kind, section=section, text=normalise(raw), start=start, end=unit.end))
    return mark_items(text, blocks)
