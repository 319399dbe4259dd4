"""Builders for test documents made in code (PDF with fpdf2, DOCX with python-docx, HTML strings).

Shared by the parsing tests; nothing here is a binary fixture on disk.
"""

from __future__ import annotations

from pathlib import Path

from ingest.catalog import read_catalog
from ingest.clean import clean_document
from ingest.load import load_file
from ingest.models import CatalogEntry, Document

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
PUEBLA = "iom-2021-puebla-self-evaluation-lessons-learned.txt"
DEVFUND = "iom-devfund-2020-review-ct-px-projects.txt"
NORAD = "norad-2011-iom-counter-trafficking-followup-memo.txt"
UNODC = "unodc-2022-mexico-tip-cluster-evaluation-brief.txt"

PDF_PAGES = [
    "Executive summary\n\nThe programme trained 120 labour inspectors in three provinces. The inspectors "
    "later identified forty victims of trafficking and referred them to shelters run by civil society "
    "partners. Coordination between the ministries improved over the period but remained",
    "uneven in the northern provinces where staff turnover was high.\n\nRECOMMENDATIONS\n\n"
    "- Fund shelters for at least three years so that staff can be retained.\n"
    "- Train prosecutors together with labour inspectors.",
    "Annex: list of interviews\n\nInterviews were held with thirty officials and twelve survivors "
    "between March and May 2021.",
]
PDF_HEADER = "ACME Evaluation Office - Final report"


def make_pdf(path: Path, pages: list[str] = PDF_PAGES, *, header: str = PDF_HEADER, title: str = "") -> Path:
    """A PDF with one page per string, a running header and a 'Page N of M' footer on every page (and `title` in
    its metadata when given)."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, header, new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 8, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = _Pdf()
    pdf.alias_nb_pages()
    if title:
        pdf.set_title(title)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        for paragraph in text.split("\n\n"):
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3)
    pdf.output(str(path))
    return path


def make_docx(path: Path) -> Path:
    """A DOCX with a title, two heading levels, a paragraph, bullets and a lessons table."""
    import docx

    document = docx.Document()
    document.add_heading("Shelter programme evaluation", level=0)
    document.add_heading("3. Findings", level=1)
    document.add_paragraph("Shelters reached 300 survivors in 2020, twice the number planned at the start.")
    document.add_heading("3.1 Challenges", level=2)
    document.add_paragraph("Staff turnover in the shelters was high throughout the project.", style="List Bullet")
    document.add_paragraph("Referral from the police was slow in rural districts.", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    for row, (label, value) in zip(table.rows, [("Element", "Lesson 1"),
                                                 ("Brief description of lesson learned", "Plan exits early."),
                                                 ("Recommendation", "Agree the exit plan with the ministry.")]):
        row.cells[0].text, row.cells[1].text = label, value
    document.save(str(path))
    return path


HTML_PAGE = """<!doctype html><html><head><title>Brief</title><style>p {color: red}</style>
<script>var tracking = "do not index me";</script></head><body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<h1>Evaluation brief</h1>
<p>The project supported <b>indigenous</b> communities in four states of Mexico.</p>
<h2>Recommendations</h2>
<ul><li>Continue the prevention campaign in local languages.</li><li>Strengthen shelter funding.</li></ul>
<table><tr><th>Project</th><th>Budget (USD)</th></tr><tr><td>MEXW55</td><td>752,110</td></tr></table>
</body></html>"""


def make_html(path: Path, html: str = HTML_PAGE) -> Path:
    """Write an HTML page (default: a brief with nav, script, style, headings, a list and a table)."""
    path.write_text(html, encoding="utf-8")
    return path


def entry(title: str = "Test document", languages: list[str] | None = None) -> CatalogEntry:
    """A catalog entry for a test document."""
    return CatalogEntry(title=title, organisation="ACME", year=2021, languages=languages or ["en"])


def corpus_doc(name: str, *, cleaned: bool = True) -> Document:
    """A seed corpus document, loaded with its catalog entry (cleaned unless told otherwise)."""
    catalog = read_catalog(CORPUS / "catalog.yaml")
    doc = load_file(CORPUS / name, catalog=catalog, max_bytes=50_000_000)
    return clean_document(doc) if cleaned else doc


def text_doc(text: str, *, page_starts: list[int] | None = None, languages: list[str] | None = None) -> Document:
    """A Document around raw text, for clean/structure/passage tests."""
    return Document(doc_id="test-doc", path="test.txt", sha256="0" * 64, text=text, page_starts=page_starts or [],
                    meta=entry(languages=languages))


LONG_TOPICS = ["shelter monitoring", "labour inspection", "referral of survivors", "community outreach",
               "case management", "border cooperation", "legal aid", "vocational training"]


def make_long_pdf(path: Path, pages: int, *, title: str) -> Path:
    """A report of `pages` pages: a numbered heading and three different paragraphs on each page."""
    from ingest_helpers import paragraph

    texts = []
    for n in range(1, pages + 1):
        topic = LONG_TOPICS[n % len(LONG_TOPICS)]
        texts.append(f"{n}. {topic.capitalize()} in district {n}\n\n" + "\n\n".join(
            paragraph(LONG_TOPICS[(n + k) % len(LONG_TOPICS)], 3 * n + k) for k in range(3)))
    return make_pdf(path, texts, title=title)
