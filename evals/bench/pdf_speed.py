"""Seconds per page of reading the real reports' PDFs: the layout reader (`ingest.pdf.read_pdf`) with and without
pdfplumber's table finder, against pdfplumber reading every page's characters (the parser first considered).
Run on a quiet machine; the ratios, measured in the same run, are what count.

    PYTHONPATH=. python -m evals.bench.pdf_speed
"""

from __future__ import annotations

import time
from pathlib import Path

from ingest.pdf import read_pdf
from ingest.settings import LayoutSettings

REPORTS = Path(__file__).resolve().parents[2].parent / "shared" / "real-reports"


def _seconds(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _plumber_chars(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.chars  # noqa: B018 - parsing the page is the cost measured


def main() -> int:
    """Print seconds per page for each PDF and in total."""
    totals = {"layout": 0.0, "no tables": 0.0, "pdfplumber chars": 0.0}
    pages = 0
    print(f"{'file':60} pages  layout  no-tables  pdfplumber-chars (s/page)")
    for path in sorted(REPORTS.glob("*.pdf")):
        data = path.read_bytes()
        full = LayoutSettings()
        bare = full.model_copy(update={"min_rulings": 10**9})
        n = read_pdf(data, path.name, full).report.pages
        row = {"layout": _seconds(lambda: read_pdf(data, path.name, full)),
               "no tables": _seconds(lambda: read_pdf(data, path.name, bare)),
               "pdfplumber chars": _seconds(lambda: _plumber_chars(path))}
        pages += n
        for key, value in row.items():
            totals[key] += value
        print(f"{path.name[:60]:60} {n:5}  {row['layout'] / n:6.3f}  {row['no tables'] / n:9.3f}  "
              f"{row['pdfplumber chars'] / n:16.3f}", flush=True)
    print(f"{'all':60} {pages:5}  " + "  ".join(f"{key} {value / pages:.3f}" for key, value in totals.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
