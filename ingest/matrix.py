"""Management-response matrices: one recommendation block per evaluation recommendation, holding the recommendation
and the management's response, with the matrix's fields (addressed to, priority, response, actions, responsible,
deadline, status, comments) kept as `Block.fields`.

A matrix is found by its structure, not its name: cells or lines that open with the field labels of
`ingest.kinds` (in the corpus's languages), at least two numbered recommendations and a management-response label.
Its text is read cell by cell in reading order: a recommendation label opens a record; a cell or line that opens
with a field label starts that field; a row of bare labels is a header row whose columns name the cells of the rows
under it; anything else continues the field being read. So a recommendation whose actions span several table rows,
or whose response runs on over a page break, stays one record, and a cell repeated at the top of every page (the
matrix's title block, a repeated header row) is left out.

Every field value is a run of the document's own text (whitespace collapsed); the block's text is the record as
"label: value" parts, each label as the document writes it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from ingest.clean import FORM_STAMP
from ingest.kinds import MATRIX_LABELS, MATRIX_RECOMMENDATION, MATRIX_TIME, PRIORITY_LEVEL, RESPONSES
from ingest.models import Block, Kind

_MARKUP = re.compile(r"^(#{1,6}\s+|-\s+|\[\^[^\]\s]{1,8}\]:\s*|[●•▪■◦]\s*)")
_INLINE = re.compile(r"(?<=[.!?;:)])\s+(?=[^\W\d_])")  # where a label may open after a sentence
_PARENTHETICAL = re.compile(r"^[\s:–-]*(\([^)]{0,40}\)[\s:–-]*)*")
# how a matrix field is named where an answer quotes it (the value is the document's words, the name is ours)
FIELD_LABELS = {"recommendation": "Recommendation", "addressed_to": "Addressed to", "response": "Management response",
                "response_text": "Management response", "actions": "Key actions", "responsible": "Responsible",
                "deadline": "Deadline", "status": "Status", "comments": "Comments"}
FIELD_ORDER = ("recommendation", "addressed_to", "priority", "response", "actions", "responsible", "deadline",
               "status", "comments")


@dataclass
class _Cell:
    start: int
    end: int
    text: str
    column: int = 0  # index among the row's tab-separated cells
    row: int = 0


@dataclass
class _Record:
    number: str
    start: int
    end: int
    label: dict[str, str] = field(default_factory=dict)  # field -> its label as written
    parts: dict[str, list[str]] = field(default_factory=dict)

    def add(self, name: str, text: str, end: int) -> None:
        text = " ".join(text.split())
        if text:
            self.parts.setdefault(name, []).append(text)
        self.end = max(self.end, end)


def normalise_response(text: str) -> str:
    """'accepted', 'partially accepted' or 'not accepted' from a response's own words ('' when it says none):
    any partial wording makes it partial, else its first wording decides ("Rejected. ... already accepted ...")."""
    found = [(m.start(), name) for name, pattern in RESPONSES for m in [pattern.search(text)] if m]
    if any(name == "partially accepted" for _, name in found):
        return "partially accepted"
    return min(found)[1] if found else ""


def _cells(text: str) -> list[_Cell]:
    """Every non-empty cell (tab-separated rows) or line of the text, markup stripped, with offsets."""
    cells, offset = [], 0
    for row, line in enumerate(text.split("\n")):
        position = offset
        for column, raw in enumerate(line.split("\t")):
            stripped = raw.strip()
            lead = raw.find(stripped) if stripped else 0
            markup = _MARKUP.match(stripped)
            skip = markup.end() if markup else 0
            at = position + lead + skip
            for a, b in _outside_stamps(stripped[skip:]):
                cells.append(_Cell(at + a, at + b, stripped[skip:][a:b], column, row))
            position += len(raw) + 1
        offset += len(line) + 1
    return cells


def _outside_stamps(body: str) -> list[tuple[int, int]]:
    """Spans of a cell's text around a form's version stamp ("Template Version: 08/2022"), a page footer the
    reading order set inside a line."""
    cuts = [0] + [i for m in FORM_STAMP.finditer(body) for i in m.span()] + [len(body)]
    spans = [(a, b) for a, b in zip(cuts[::2], cuts[1::2])]
    return [(a + len(body[a:b]) - len(body[a:b].lstrip()), b - len(body[a:b]) + len(body[a:b].rstrip()))
            for a, b in spans if body[a:b].strip()]


def _label(text: str) -> tuple[str, int] | None:
    """(field, where its value starts) when a text opens with a matrix field label."""
    opened = MATRIX_RECOMMENDATION.match(text)
    if opened and not any(pattern.match(text[opened.end():].lstrip()) for _, pattern in RESPONSES):
        return "recommendation", opened.end()
    for name, pattern in MATRIX_LABELS:
        found = pattern.match(text)
        if found:
            return name, found.end()
    return None


def _pieces(cell: _Cell) -> list[_Cell]:
    """A cell cut where a field label opens after a sentence ("... revision process. Key actions: ...")."""
    cuts = [0] + [m.end() for m in _INLINE.finditer(cell.text) if _label(cell.text[m.end():]) and
                  re.match(r"[^:.]{2,80}:", cell.text[m.end():])] + [len(cell.text)]
    return [_Cell(cell.start + a, cell.start + b, cell.text[a:b].strip(), cell.column, cell.row)
            for a, b in zip(cuts, cuts[1:]) if cell.text[a:b].strip()]


def _is_matrix(cells: list[_Cell]) -> bool:
    """A form that answers its recommendations: at least two, and a response label for most of them."""
    labels = Counter(found[0] for c in cells if (found := _label(c.text)))
    return labels["recommendation"] >= 2 and labels["response"] >= max(2, 0.5 * labels["recommendation"])


def _repeated(cells: list[_Cell], min_words: int) -> set[str]:
    """Long cells written more than once: a title block or a header row repeated at the top of each page."""
    counts = Counter(" ".join(c.text.split()) for c in cells if len(c.text.split()) >= min_words)
    return {text for text, n in counts.items() if n > 1}


def _records(cells: list[_Cell], repeat_words: int) -> list[_Record]:
    records: list[_Record] = []
    repeated = _repeated(cells, repeat_words)
    used: set[str] = set()  # repeated cells already read once
    current: _Record | None = None
    name = ""
    columns: list[tuple[int, str]] = []  # (column index, field) of the last header row
    after_header = False  # the last row read was a header row
    rows: dict[int, list[_Cell]] = {}
    for cell in cells:
        rows.setdefault(cell.row, []).append(cell)
    for row in sorted(rows):
        row_cells = [piece for cell in rows[row] for piece in _pieces(cell)]
        labelled = [(_label(c.text), c) for c in row_cells]
        bare = bool(row_cells) and all(found and not _value(c, found) for found, c in labelled)  # labels only
        if current is not None and bare and not any(found[0] == "recommendation" for found, _ in labelled):
            fresh = [(c.column, found[0]) for found, c in labelled]
            columns = (columns + fresh) if after_header else fresh
            after_header = True
            for found, c in labelled:
                current.label.setdefault(found[0], _label_text(c, found))
            name = fresh[-1][1]
            continue
        after_header = False
        for (found, cell), index in zip(labelled, range(len(labelled))):
            text = " ".join(cell.text.split())
            if text in repeated and text in used:
                name = "skip" if found else name
                continue
            used.add(text)
            if found and found[0] == "recommendation":
                current = _Record(number=MATRIX_RECOMMENDATION.match(cell.text).group("id"), start=cell.start,
                                  end=cell.end)
                records.append(current)
                current.label["recommendation"] = _label_text(cell, found)
                current.add("recommendation", _value(cell, found), cell.end)
                name, columns = "recommendation", []
            elif current is None:
                continue
            elif found:
                name = found[0]
                current.label.setdefault(name, _label_text(cell, found))
                current.add(name, _value(cell, found), cell.end)
                columns = []
            elif columns and len(row_cells) > 1:
                current.add(_column(columns, cell, index, len(row_cells)), cell.text, cell.end)
            elif columns:  # a line run on from a data row (a cell broken over a page)
                current.add(columns[0][1], cell.text, cell.end)
            elif name != "skip":
                current.add(name or "recommendation", cell.text, cell.end)
    return records


def _label_text(cell: _Cell, found: tuple[str, int]) -> str:
    """A label as the document writes it, without its separator or a "(Time 0)" note."""
    return MATRIX_TIME.sub("", cell.text[:found[1]]).rstrip(": –-")


def _value(cell: _Cell, found: tuple[str, int]) -> str:
    """A label's value: the rest of its cell, a leading "(Time 1)" and separators aside."""
    rest = cell.text[found[1]:]
    return rest[_PARENTHETICAL.match(rest).end():].strip()


def _column(columns: list[tuple[int, str]], cell: _Cell, index: int, cells_in_row: int) -> str:
    """The field of a data cell under a header row: by position when the row has as many cells as the header has
    columns, else the header column at or left of the cell's own column."""
    if cells_in_row == len(columns):
        return columns[index][1]
    left = [name for column, name in columns if column <= cell.column]
    return left[-1] if left else columns[0][1]


def matrix_blocks(text: str, *, section: list[str] | None = None, repeat_words: int = 20) -> list[Block]:
    """One recommendation block per record of a management-response matrix in `text` (none when it is not one)."""
    cells = _cells(text)
    if not _is_matrix(cells):
        return []
    blocks = []
    for record in _records(cells, repeat_words):
        fields = {name: " ".join(record.parts[name]) for name in FIELD_ORDER if record.parts.get(name)}
        if "recommendation" not in fields:
            continue
        if "priority" in fields and not PRIORITY_LEVEL.match(fields["priority"]) and "addressed_to" not in fields:
            # "Recommendation to: | Priority level: donors | IOM Offices": two stacked labels read before the
            # addressees (the left column's values); a priority is a level, so these are the addressees
            fields = {("addressed_to" if k == "priority" else k): v for k, v in fields.items()}
        parts = [f"{record.label.get(name, name)}: {value}" for name, value in fields.items()]
        raw = fields.get("response", "")
        fields["number"] = record.number
        if raw:
            fields["response_text"] = raw
        fields["response"] = normalise_response(raw)
        blocks.append(Block(kind=Kind.recommendation, section=list(section or []), text=" | ".join(parts),
                            start=record.start, end=record.end, fields=fields))
    return blocks

