"""How ingestion reads the real reports in ../shared/real-reports: per report, pages, pages without text, passages
by kind, share with a section path, header/footer lines removed, footnotes, tables, parse seconds per page,
recommendations found (and counted by hand for some), evaluation ids; and the reading criteria of issue 12 (repeated lines surviving, glued footnote numbers,
catalog entries applied). Writes evals/quality/STRUCTURE.md from a real run (no embedding: load, clean, structure, cut).

    PYTHONPATH=. python -m evals.quality.structure_report [--out evals/quality/STRUCTURE.md]
"""

from __future__ import annotations

import argparse
import re
import time
from collections import Counter
from pathlib import Path

from ingest.catalog import read_catalog_with_problems
from ingest.evaluations import derive_evaluations
from ingest.models import CatalogEntry, Document, DocType, Kind, Passage
from ingest.pipeline import _prepare
from ingest.report import counted_pages
from ingest.settings import Settings

REPORTS = Path(__file__).resolve().parents[2].parent / "shared" / "real-reports"
# Recommendations counted by hand in the PDF/DOCX text (pypdfium2 / python-docx dumps of the recommendation pages):
# file -> (count, where and how they are written)
HAND_COUNTS = {
    "IOM_2022_Italy_LANMD_Management_Response_Matrix.pdf": (8, "matrix, 'Evaluation recommendation 1..8', pp. 1-6"),
    "IOM_2022_Niger_MIRAA-III_Management_Response_Matrix.pdf": (6, "matrix, 'EVALUATION RECOMMENDATION A..F'"),
    "IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Management_Response_FR.pdf": (
        19, "matrix, 'Evaluation recommendation # 1..19' (18 accept, 1 partially accept)"),
    "IOM_2024_AAP_Management_Response.docx": (9, "matrix, 'Evaluation recommendation # 1..9'"),
    "IOM_2022_Niger_MIRAA-III_Final_Evaluation_Report.pdf": (
        41, "19 numbered under 'KEY RECOMMENDATIONS' (executive summary, pp. 5-7) + 22 numbered under "
            "'RECOMMENDATIONS' A-F (pp. 40-41)"),
    "IOM_2022_Italy_LANMD_Final_Evaluation_Report.pdf": (
        8, "8 'RECOMMENDATION:' blocks after 'Lesson learned #1..8' (11 bullets), pp. 36-38"),
    "IOM_2020_Niger_IDEE_Evaluation_Brief_FR.pdf": (12, "'RECOMMANDATIONS CLÉS' numbered 1-12, p. 2"),
    "IOM_2024_AAP_Central_Evaluation_Report.pdf": (9, "'Recommendation 1..9:' in chapter 4, pp. 37-41"),
    "IOM_2020_Niger_IDEE_Final_External_Evaluation_FR.pdf": (
        12, "table 10, numbered 1-12 over two rows 'Stratégie...' (1-8) and 'Suivi-évaluation' (9-12), p. 54"),
    "IOM_2021_Nigeria_Returnees_Safe_Migration_Internal_Evaluation.pdf": (
        18, "'Recommendation 1..9.' in the executive summary (pp. 6-8) + the same 9 boxed under a 'Recommendation n' "
            "line in the chapters (pp. 24-42)"),
    "IOM_2022_Italy_LANMD_Evaluation_Brief.pdf": (7, "'KEY RECOMMENDATIONS' numbered 1-7, p. 2"),
    "IOM_2024_AAP_Evaluation_Brief.pdf": (5, "'KEY RECOMMENDATIONS' numbered 1-5, p. 2"),
    "IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Evaluation_Brief_FR.pdf": (
        20, "'PRINCIPALES RECOMMANDATIONS' numbered 1-20, p. 2"),
    "IOM_2021_Nigeria_Returnees_Safe_Migration_Evaluation_Brief.pdf": (
        7, "'KEY RECOMMENDATIONS' numbered 1-7, p. 2 (item 5's text layer is overprinted: unreadable)"),
}
GLUED = re.compile(r"\b[^\W\d_]*[a-zà-ÿ]{3}\d{1,3}\b")  # "effectiveness2", "gouvernementaux6"
CATALOG_FIELDS = ("title", "organisation", "year", "countries")


def fold(text: str) -> str:
    """A line's identity across pages: digits folded, case and spacing ignored."""
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def repeated_lines(path: Path, *, min_chars: int = 20, share: float = 0.3) -> dict[str, set[int]]:
    """Lines of >= min_chars that repeat on >= share of a PDF's pages (at least 2; digits folded, so "Page 3" and
    "Page 4" are one line), as pdfium's plain text has them: each as every spelling it has (joined by " | "), with
    the 1-based pages it repeats on."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    pages: dict[str, set[int]] = {}
    spellings: dict[str, set[str]] = {}
    for index in range(len(document)):
        textpage = document[index].get_textpage()
        for line in textpage.get_text_range().splitlines():
            line = " ".join(line.split())
            if len(line) >= min_chars:
                pages.setdefault(fold(line), set()).add(index + 1)
                spellings.setdefault(fold(line), set()).add(line)
    needed = max(2, share * len(document))
    document.close()
    return {" | ".join(sorted(spellings[key])): seen for key, seen in pages.items() if len(seen) >= needed}


def surviving(lines: dict[str, set[int]], doc: Document, passages: list[Passage]) -> tuple[list[str], list[str]]:
    """Repeated lines found (in one of their spellings, case and spacing ignored) in a passage of a page they repeat
    on, and those found so in more than one passage (a running header left in). The same words elsewhere (a cover
    title that the running header repeats) are the page's text, not the header."""
    found = {}
    for line, repeats_on in lines.items():
        variants = [" ".join(v.lower().split()) for v in line.split(" | ")]
        found[line] = sum(any(v in " ".join(p.text.lower().split()) for v in variants) for p in passages
                          if _pages_of(doc, p) & repeats_on)
    return [ln for ln, n in found.items() if n], [ln for ln, n in found.items() if n > 1]


def _pages_of(doc: Document, passage: Passage) -> set[int]:
    first, last = doc.page_at(passage.start), doc.page_at(max(passage.start, passage.end - 1))
    return set(range(first, last + 1)) if first and last else set()


def glued_numbers(passages: list[Passage]) -> tuple[int, int]:
    """(tokens where a number sticks to a word, words) over the passages' text."""
    tokens = sum(len(GLUED.findall(p.text)) for p in passages)
    return tokens, sum(len(p.text.split()) for p in passages)


def catalog_applied(doc: Document, entry: CatalogEntry | None) -> bool:
    """Whether the document carries its catalog entry's title, organisation, year and countries."""
    return entry is not None and all(getattr(doc.meta, f) == getattr(entry, f) for f in CATALOG_FIELDS)


def read_reports(folder: Path = REPORTS) -> list[dict]:
    """One row of figures per report in the folder."""
    settings = Settings()
    catalog, problems = read_catalog_with_problems(folder / "catalog.yaml")
    rows = []
    derived = derive_evaluations(catalog)
    for path in sorted(p for p in folder.iterdir() if p.suffix.lower() in {".pdf", ".docx"}):
        started = time.perf_counter()
        doc, passages = _prepare(path, catalog, settings)
        seconds = time.perf_counter() - started
        report = doc.report
        repeated = repeated_lines(path) if path.suffix.lower() == ".pdf" else {}
        labels_aside = doc.meta.doc_type is DocType.management_response
        survived, survived_twice = surviving(repeated, doc, passages) if not labels_aside else ([], [])
        glued, words = glued_numbers(passages)
        rows.append({
            "file": path.name, "doc": doc, "passages": passages, "pages": report.pages,
            "no_text": report.pages_without_text, "kinds": Counter(p.kind.value for p in passages),
            "section_share": report.section_share, "furniture": report.header_footer_lines,
            "footnotes": report.footnotes, "tables": report.tables, "toc": report.toc_pages,
            "parse_per_page": report.parse_seconds / report.pages if report.pages else 0.0,
            "seconds": seconds, "recommendations": sum(p.kind is Kind.recommendation and "continues" not in p.fields
                                                     for p in passages),
            "repeated": repeated, "survived": survived, "survived_twice": survived_twice,
            "glued": glued, "words": words, "catalog": catalog_applied(doc, catalog.get(path.name)),
            "problems": problems, "evaluation": derived.get(path.name, ""),
        })
    return rows


def render(rows: list[dict]) -> str:
    """STRUCTURE.md from the rows."""
    total = sum(len(r["passages"]) for r in rows)
    sectioned = sum(sum(1 for p in r["passages"] if p.section) for r in rows)
    glued, words = sum(r["glued"] for r in rows), sum(r["words"] for r in rows)
    pages = sum(r["pages"] for r in rows)
    parse = sum(r["parse_per_page"] * r["pages"] for r in rows)
    out = ["# How ingestion reads the real reports", "",
           f"From a real run of `python -m evals.quality.structure_report` over `../shared/real-reports/` ({len(rows)} files, "
           f"{pages} PDF pages); load, clean, structure and cut, no embedding.", "",
           f"- catalog entries applied (title, organisation, year, countries as written): "
           f"{sum(r['catalog'] for r in rows)} of {len(rows)}; catalog problems: {len(rows[0]['problems'])}",
           f"- passages with a section path: {sectioned} of {total} ({sectioned / total:.1%})",
           f"- lines of >= 20 characters repeating on >= 30% of a PDF's pages (management-response matrices aside): "
           f"{sum(len(r['repeated']) for r in rows)}; found in a passage of a page they repeat on: "
           f"{sum(len(r['survived']) for r in rows)}; in more than one passage: "
           f"{sum(len(r['survived_twice']) for r in rows)}",
           f"- pages without text (their content an image: no OCR): "
           f"{sum(len(r['no_text']) for r in rows)} of {pages}",
           f"- footnote numbers glued to words: {glued} in {words} words ({1000 * glued / words:.3f} per 1,000)",
           f"- PDF parse time: {parse / pages:.3f} s per page on average (pdfium glyphs and drawn edges; cells "
           f"closed by pdfplumber's table finder only on pages with ruling lines)", "",
           "| file | pages | no text | passages | by kind | section | hdr/ftr removed | footnotes | tables | "
           "s/page | recommendations |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        kinds = ", ".join(f"{k} {n}" for k, n in r["kinds"].most_common())
        out.append(f"| {r['file']} | {r['pages']} | {counted_pages(r['no_text']) if r['no_text'] else '-'} | "
                   f"{len(r['passages'])} | {kinds} | {r['section_share']:.0%} | {r['furniture']} | {r['footnotes']} | "
                   f"{r['tables']} | {r['parse_per_page']:.3f} | {r['recommendations']} |")
    out += _hand_checked(rows) + _typed(rows)
    left = [(r["file"], line) for r in rows for line in r["survived"]]
    if left:
        out += ["", "Repeated lines still found in a passage of a page they repeat on (file: line):", ""]
        out += [f"- {name}: {line}" for name, line in left]
    return "\n".join(out) + "\n"


def _hand_checked(rows: list[dict]) -> list[str]:
    """The recommendation counts checked by hand against ours."""
    ours = {r["file"]: r["recommendations"] for r in rows}
    out = ["", "Recommendations counted by hand against the file's text, and ours (recommendation passages):", "",
           "| file | by hand | ours | where |", "|---|---|---|---|"]
    out += [f"| {name} | {count} | {ours.get(name, '-')} | {where} |" for name, (count, where) in HAND_COUNTS.items()]
    return out


def _typed(rows: list[dict]) -> list[str]:
    """Documents without any typed passage (every passage text), and without any of the evaluation structure."""
    structure = {"recommendation", "lesson", "finding", "good_practice", "challenge"}
    untyped = [r["file"] for r in rows if set(r["kinds"]) <= {"text"}]
    unstructured = [r["file"] for r in rows if not set(r["kinds"]) & structure]
    evaluations = {r["file"]: r["evaluation"] for r in rows if r["evaluation"]}
    return ["", f"- documents whose every passage is `text`: {len(untyped)} ({', '.join(untyped) or 'none'})",
            f"- documents without a recommendation, lesson, finding, good practice or challenge passage: "
            f"{len(unstructured)} ({', '.join(unstructured)})",
            f"- evaluation ids derived (files of one evaluation): "
            + "; ".join(f"{e}: {', '.join(sorted(f for f, v in evaluations.items() if v == e))}"
                        for e in sorted(set(evaluations.values())))]


def main(argv: list[str] | None = None) -> int:
    """Write STRUCTURE.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("STRUCTURE.md"))
    parser.add_argument("--folder", type=Path, default=REPORTS)
    args = parser.parse_args(argv)
    text = render(read_reports(args.folder))
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
