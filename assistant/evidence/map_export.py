"""The evidence map as a table people keep: header and rows of counts, its heat colours, CSV and XLSX files."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from assistant.evidence.map import EvidenceMap

GAP_COLOUR = "EEEEEE"  # a cell without evidence
_LOW, _HIGH = (0xFF, 0xF4, 0xD6), (0xD9, 0x48, 0x1C)  # pale amber to deep orange


def heat_colour(count: int, highest: int) -> str:
    """A cell's fill as RRGGBB: grey for a gap, then pale to deep with the count (square root, so one passage
    still shows against hundreds)."""
    if count <= 0 or highest <= 0:
        return GAP_COLOUR
    share = (count / highest) ** 0.5
    return "".join(f"{round(lo + (hi - lo) * share):02X}" for lo, hi in zip(_LOW, _HIGH, strict=True))


def map_table(emap: EvidenceMap, theme_labels: Mapping[str, str],
              column_labels: Mapping[str, str]) -> tuple[list[str], list[list]]:
    """Header ("Theme", then each column's label) and one row per theme: its label, then its counts."""
    header = ["Theme", *(column_labels.get(c, c) for c in emap.columns)]
    rows = [[theme_labels.get(t, t), *counts] for t, counts in zip(emap.themes, emap.counts(), strict=True)]
    return header, rows


def table_csv(header: list[str], rows: list[list]) -> str:
    """The table as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def write_xlsx(header: list[str], rows: list[list], path: Path) -> Path:
    """The table as an Excel workbook, each count cell filled with its heat colour (gaps grey)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "Evidence map"
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    highest = max((n for row in rows for n in row[1:]), default=0)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row][1:]:
            cell.fill = PatternFill("solid", fgColor=heat_colour(int(cell.value or 0), highest))
    sheet.column_dimensions["A"].width = 40
    sheet.freeze_panes = "B2"
    book.save(path)
    return path
