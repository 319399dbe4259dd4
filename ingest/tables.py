"""Tables of the cleaned text (tab-separated rows): lessons-learned tables (label/value rows) become one lesson
block per lesson; other tables one table_row block per row, each keeping its column headers."""

from __future__ import annotations

import re

from ingest.kinds import RECOMMENDATION_COLUMN
from ingest.models import Block, Kind


def normalise(text: str) -> str:
    """Collapse all whitespace (newlines, tabs, runs of spaces) to single spaces."""
    return " ".join(text.split())


LESSON_FIELDS = [  # label pattern -> field name, in display order
    ("lesson", re.compile(r"^element\b", re.IGNORECASE)),
    ("description", re.compile(r"brief description|lesson learned|description", re.IGNORECASE)),
    ("context", re.compile(r"context|precondition", re.IGNORECASE)),
    ("targeted_users", re.compile(r"target|beneficiar|users", re.IGNORECASE)),
    ("challenges", re.compile(r"challenge|negative", re.IGNORECASE)),
    ("recommendation", re.compile(r"recommend", re.IGNORECASE)),
]
LESSON_LABELS = {"description": "Brief description", "context": "Context", "targeted_users": "Targeted users",
                 "challenges": "Challenges", "recommendation": "Recommendation"}



def lesson_blocks(lines: list[tuple[int, str]], section: list[str]) -> list[Block]:
    """One lesson block per 'Element / Lesson N' group of a lessons-learned table (label, value rows)."""
    blocks: list[Block] = []
    current: dict[str, str] = {}
    span = [0, 0]

    def flush() -> None:
        if any(k != "lesson" for k in current):
            blocks.append(Block(kind=Kind.lesson, section=section, text=render_lesson(current), start=span[0],
                                end=span[1], fields=dict(current)))

    for offset, line in lines:
        label, _, value = line.partition("\t")
        value = normalise(value)
        name = next((n for n, p in LESSON_FIELDS if p.search(label)), None) or _slug(label)
        if name == "lesson" or (name in current and name != "lesson"):
            flush()
            current, span = {}, [offset, offset + len(line)]
        if value:
            current[name] = value
        span[1] = offset + len(line)
    flush()
    return blocks


def render_lesson(fields: dict[str, str]) -> str:
    """Readable text of a lesson: 'Lesson 2. Brief description: ... Context: ... Recommendation: ...'."""
    parts = [fields["lesson"].rstrip(".") + "."] if fields.get("lesson") else []
    for name, value in fields.items():
        if name != "lesson":
            parts.append(f"{LESSON_LABELS.get(name, name.replace('_', ' ').capitalize())}: {value}")
    return " ".join(parts)


def _slug(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_") or "value"


def is_lesson_table(lines: list[tuple[int, str]]) -> bool:
    """Whether a table's rows are label/value pairs of lessons learned."""
    labels = [line.split("\t", 1)[0] for _, line in lines]
    if any(LESSON_FIELDS[0][1].search(lbl) for lbl in labels) and any("lesson" in ln.lower() for _, ln in lines):
        return True
    # a lesson's labels, most of the table's: a rating grid whose items mention "context" or "recommendations"
    # among many other labels is a table, not lessons
    named = [lbl for lbl in labels if lbl.strip()]
    known = sum(1 for lbl in named if any(p.search(lbl) for _, p in LESSON_FIELDS[1:]))
    return known >= 3 and known >= len(named) / 2


def table_blocks(lines: list[tuple[int, str]], section: list[str]) -> list[Block]:
    """One table_row block per row after the header row, named by the header's cells."""
    rows = [(offset, [normalise(c) for c in line.split("\t")]) for offset, line in lines]
    header = rows[0][1]
    if len(rows) < 2 or not all(header) or any(re.fullmatch(r"[\d.,%$ ]+", c) for c in header):
        return []
    blocks, previous = [], [""] * len(header)
    for (offset, cells), (_, line) in zip(rows[1:], lines[1:]):
        if len(cells) > len(header) and not cells[0]:
            cells = cells[1:]
        while len(cells) > len(header) and "" in cells[1:]:  # a cell drawn over two columns
            del cells[cells.index("", 1)]
        if blocks and _continues_item(cells, blocks[-1].fields, header):
            _extend(blocks[-1], cells, header, offset + len(line))
            continue
        if len(cells) == len(header) and not cells[0] and previous[0]:
            cells = [previous[0]] + cells[1:]  # a cell spanning several rows is written once
        if sum(1 for c in cells if c) < min(2, len(header)) or cells == header:  # a header repeated on a page
            continue
        names = header + [f"column {i + 1}" for i in range(len(header), len(cells))]
        fields = {name: value for name, value in zip(names, cells) if value}
        text = " | ".join(f"{k}: {v}" for k, v in fields.items())
        kind = Kind.recommendation if any(_ENUMERATED.match(v) and RECOMMENDATION_COLUMN.search(k)
                                          for k, v in fields.items()) else Kind.table_row
        block = Block(kind=kind, section=section, text=text, start=offset, end=offset + len(line), fields=fields)
        blocks.extend(_numbered_items(block, line) if kind == Kind.recommendation else [block])
        previous = cells
    return blocks


_ENUMERATED = re.compile(r"^\d{1,2}[.)]\s")


def _continues_item(cells: list[str], fields: dict[str, str], header: list[str]) -> bool:
    """A row that only carries the wrapped lines of the numbered item above it (a table drawn without row rules):
    its first cell is empty and its other cells go on with the previous row's numbered cells."""
    if not cells or cells[0] or len(cells) > len(header):
        return False
    filled = [(header[i], c) for i, c in enumerate(cells) if c]
    return bool(filled) and all(_ENUMERATED.match(fields.get(name, "")) and not _ENUMERATED.match(c)
                                for name, c in filled)


def _extend(block: Block, cells: list[str], header: list[str], end: int) -> None:
    for name, value in zip(header, cells):
        if value:
            block.fields[name] = f"{block.fields[name]} {value}"
    block.text = " | ".join(f"{k}: {v}" for k, v in block.fields.items())
    block.end = end


def _numbered_items(block: Block, line: str) -> list[Block]:
    """A recommendation row whose numbered cell holds several numbers running on ("9. ... ; 10. ... 11. ..."): one
    block per number, each with the row's other cells; its offsets those of its own number's text in the row."""
    name, value = next((k, v) for k, v in block.fields.items() if _ENUMERATED.match(v) and RECOMMENDATION_COLUMN.search(k))
    first = int(_ENUMERATED.match(value).group(0).rstrip(".) \t"))
    cuts, expected = [0], first + 1
    for found in _INLINE_NUMBER.finditer(value):
        if int(found.group(1)) == expected:
            cuts.append(found.start(1))
            expected += 1
    if len(cuts) == 1:
        return [block]
    flat = normalise(line)
    at = flat.find(value)
    items = []
    for a, b in zip(cuts, cuts[1:] + [len(value)]):
        part = value[a:b].strip()
        fields = {k: (part if k == name else v) for k, v in block.fields.items()}
        start, end = _span(line, flat, at + a, at + a + len(part), block.start)
        items.append(Block(kind=block.kind, section=block.section, text=" | ".join(f"{k}: {v}" for k, v in fields.items()),
                           start=start, end=end, fields=fields))
    return items


_INLINE_NUMBER = re.compile(r"(?<=[.;,!?])\s+(\d{1,2})[.)]\s+\S")


def _span(line: str, flat: str, start: int, end: int, offset: int) -> tuple[int, int]:
    """Offsets in the document of flat[start:end], flat being the line with its whitespace collapsed."""
    positions = [m.start() for m in re.finditer(r"\S", line)]  # i-th non-space character of the line
    nonspace = lambda k: len(flat[:k].replace(" ", ""))  # noqa: E731 - non-space characters before flat[k]
    first, last = nonspace(start), nonspace(end) - 1
    return offset + positions[first], offset + positions[last] + 1
