"""What is drawn on a PDF page, read from pdfium's page objects: the share of the page images cover, the ruling
lines that suggest a table, and the straight axis-aligned edges of its paths, which the table finder (pdfplumber's,
given them explicitly) turns into cells without parsing the page a second time.

Coordinates are top-down (0 at the top of the page), in PDF points, like the glyphs' (`ingest.layout`).
"""

from __future__ import annotations

import ctypes

Edge = dict[str, float | str]  # pdfplumber's edge: x0, x1, top, doctop, bottom, width, height, orientation
_STRAIGHT = 0.01  # a segment whose ends differ by less than this (points) across its direction is straight
_FORM_DEPTH = 8  # forms inside forms looked into for edges


def page_objects(page, width: float, height: float) -> tuple[float, int]:
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


def path_edges(page, height: float) -> tuple[list[Edge], list[Edge]]:
    """(vertical, horizontal) edges of the page's paths: every straight segment (a rectangle's four sides, a
    closed subpath's closing side), placed on the page through the matrices of the path and its forms."""
    import pypdfium2.raw as raw

    vertical: list[Edge] = []
    horizontal: list[Edge] = []
    x, y = ctypes.c_float(), ctypes.c_float()
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=_FORM_DEPTH):
        matrix = _placement(obj)
        points: list[tuple[float, float]] = []
        for i in range(raw.FPDFPath_CountSegments(obj.raw)):
            segment = raw.FPDFPath_GetPathSegment(obj.raw, i)
            if not raw.FPDFPathSegment_GetPoint(segment, x, y):
                continue
            px, py = matrix.on_point(x.value, y.value)
            if raw.FPDFPathSegment_GetType(segment) == raw.FPDF_SEGMENT_MOVETO:
                _add_sides(points, height, vertical, horizontal)
                points = []
            points.append((px, py))
            if raw.FPDFPathSegment_GetClose(segment) and len(points) > 2:
                points.append(points[0])
                _add_sides(points, height, vertical, horizontal)
                points = [points[0]]
        _add_sides(points, height, vertical, horizontal)
    return vertical, horizontal


def _placement(obj):
    """The matrix from a path's own space to the page: its own, then each form's it sits in."""
    matrix, container = obj.get_matrix(), obj.container
    while container is not None:
        matrix = matrix.multiply(container.get_matrix())
        container = container.container
    return matrix


def _add_sides(points: list[tuple[float, float]], height: float, vertical: list[Edge],
               horizontal: list[Edge]) -> None:
    for (ax, ay), (bx, by) in zip(points, points[1:]):
        x0, x1, top, bottom = min(ax, bx), max(ax, bx), height - max(ay, by), height - min(ay, by)
        if x1 - x0 < _STRAIGHT and bottom - top >= 1:
            x0 = x1 = (x0 + x1) / 2
            vertical.append(_edge(x0, x1, top, bottom, "v"))
        elif bottom - top < _STRAIGHT and x1 - x0 >= 1:
            top = bottom = (top + bottom) / 2
            horizontal.append(_edge(x0, x1, top, bottom, "h"))


def _edge(x0: float, x1: float, top: float, bottom: float, orientation: str) -> Edge:
    return {"object_type": "path_edge", "x0": x0, "x1": x1, "top": top, "doctop": top, "bottom": bottom,
            "width": x1 - x0, "height": bottom - top, "orientation": orientation}


Box = tuple[float, float, float, float]  # x0, top, x1, bottom


def table_cells(vertical: list[Edge], horizontal: list[Edge]) -> list[tuple[Box, list[list[Box | None]]]]:
    """The tables the edges enclose, each as its box and its rows of cell boxes (None where a merged cell spans):
    pdfplumber's table finder with its defaults (edges snapped, joined, 3 points long at least)."""
    if len(vertical) < 2 or len(horizontal) < 2:  # no cell can close
        return []
    from pdfplumber.table import Table, TableSettings, cells_to_tables, edges_to_intersections, \
        intersections_to_cells, merge_edges
    from pdfplumber.utils import filter_edges

    settings = TableSettings()
    edges = merge_edges(vertical + horizontal, snap_x_tolerance=settings.snap_x_tolerance,
                        snap_y_tolerance=settings.snap_y_tolerance, join_x_tolerance=settings.join_x_tolerance,
                        join_y_tolerance=settings.join_y_tolerance)
    edges = filter_edges(edges, min_length=settings.edge_min_length)
    corners = edges_to_intersections(edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance)
    tables = [Table(None, cells) for cells in cells_to_tables(intersections_to_cells(corners))]
    return [(table.bbox, [row.cells for row in table.rows]) for table in tables]
