"""Reading PDFs by their layout, on small generated PDFs: running headers/footers, footnotes and their markers,
headings from fonts, two columns, a table row keeping its headers, a page without a text layer."""

from __future__ import annotations

from pathlib import Path

from assistant.web.render import report_markdown
from ingest.clean import clean_document
from ingest.load import load_file
from ingest.models import CatalogEntry, Kind
from ingest.passages import make_passages
from ingest.pdf import read_pdf
from ingest.report import full_text, short_line
from ingest.settings import IngestSettings, LayoutSettings
from ingest.store import DocRecord
from ingest.structure import parse_blocks

BODY = ("The shelters gave survivors of trafficking a safe place to stay while their cases were heard, and the staff "
        "referred them to health care and legal aid. ")
SENTENCES = ["Labour inspectors visited {n} farms in the north.", "The hotline answered calls in {n} languages.",
             "Prosecutors opened cases against brokers in region {n}.", "Returnees in district {n} received grants.",
             "Teachers in school {n} talked about safe migration.", "Border officials at post {n} were trained."]


def _pdf():
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_auto_page_break(False)
    return pdf


def _read(pdf, path: Path):
    pdf.output(str(path))
    return read_pdf(path.read_bytes(), path.name, LayoutSettings())


def _passages(path: Path):
    doc = clean_document(load_file(path, catalog={}, max_bytes=10_000_000))
    return doc, make_passages(doc, parse_blocks(doc.text), settings=IngestSettings())


def _page(pdf, number: int, heading: str | None = None, *, footnote: str | None = None) -> None:
    pdf.add_page()
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(10, 8)
    pdf.cell(0, 5, "Evaluation of the shelter network, final report 2021")
    if heading:
        pdf.set_font("Helvetica", "B", 16)
        pdf.set_xy(10, 30)
        pdf.cell(0, 10, heading)
    pdf.set_font("Helvetica", size=11)
    pdf.set_xy(10, 45)
    body = " ".join(SENTENCES[(number + k) % len(SENTENCES)].format(n=number * 7 + k) for k in range(12))
    pdf.multi_cell(0, 6, f"Part {number}. " + body)
    if footnote:
        pdf.set_font("Helvetica", size=7)
        pdf.set_xy(10, 265)
        pdf.cell(0, 4, footnote)
    pdf.set_font("Helvetica", size=8)
    pdf.set_xy(10, 285)
    pdf.cell(0, 5, f"Page {number}", align="C")


def test_running_header_and_page_numbers_are_removed_by_position_and_repetition(tmp_path):
    pdf = _pdf()
    for n in range(1, 5):
        _page(pdf, n)
    read = _read(pdf, tmp_path / "r.pdf")
    assert "Evaluation of the shelter network" not in read.text and "Page 3" not in read.text
    assert read.text.count("Part ") == 4 and read.report.header_footer_lines == 8
    assert len(read.page_starts) == 4 and read.report.pages == 4


def test_footnote_is_its_own_passage_and_its_marker_leaves_the_sentence(tmp_path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, "Findings", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.write(6, "The project improved its effectiveness")
    pdf.set_font("Helvetica", size=7)
    pdf.set_char_spacing(0)
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_xy(x, y - 1.5)
    pdf.write(4, "2")
    pdf.set_xy(pdf.get_x(), y)
    pdf.set_font("Helvetica", size=11)
    pdf.write(6, " in every region where the shelters worked with the police. " + BODY)
    pdf.set_font("Helvetica", size=7)
    pdf.set_xy(10, 270)
    pdf.cell(0, 4, "2 Effectiveness is the extent to which the objectives were achieved.")
    path = tmp_path / "f.pdf"
    pdf.output(str(path))
    doc, passages = _passages(path)
    assert "effectiveness in every region" in doc.text and "effectiveness2" not in doc.text
    notes = [p for p in passages if p.kind is Kind.footnote]
    assert len(notes) == 1 and notes[0].text.startswith("Effectiveness is the extent")
    assert notes[0].page == 1 and notes[0].fields == {"footnote": "2"} and notes[0].section == "Findings"
    assert all("extent to which" not in p.text for p in passages if p.kind is not Kind.footnote)


def test_headings_from_font_size_and_weight_give_every_passage_a_section(tmp_path):
    pdf = _pdf()
    pdf.add_page()
    for text, style, size in [("1. Introduction", "B", 18), ("1.1 Scope of the review", "B", 14),
                              ("Who was interviewed", "B", 11)]:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, BODY * 2, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    path = tmp_path / "h.pdf"
    pdf.output(str(path))
    doc, passages = _passages(path)
    assert "# 1. Introduction" in doc.text and "# Who was interviewed" in doc.text
    sections = [p.section for p in passages]
    assert sections == ["1. Introduction", "1. Introduction > 1.1 Scope of the review",
                        "1. Introduction > 1.1 Scope of the review > Who was interviewed"]
    assert all("Introduction" not in p.text for p in passages)


def test_two_columns_are_read_one_after_the_other(tmp_path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    left = "Left column opens here. " + BODY * 3 + "Left column ends here."
    right = "Right column opens here. " + BODY * 3 + "Right column ends here."
    pdf.set_xy(10, 20)
    pdf.multi_cell(90, 5, left)
    pdf.set_xy(110, 20)
    pdf.multi_cell(90, 5, right)
    text = _read(pdf, tmp_path / "c.pdf").text
    assert text.index("Left column opens") < text.index("Left column ends") < text.index("Right column opens") \
        < text.index("Right column ends")


def test_table_rows_keep_their_column_headers(tmp_path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    rows = [("Recommendation", "Response", "Deadline"), ("Fund the shelters", "Accepted", "2022"),
            ("Train the police", "Partially accepted", "2023")]
    with pdf.table() as table:
        for row in rows:
            cells = table.row()
            for value in row:
                cells.cell(value)
    path = tmp_path / "t.pdf"
    pdf.output(str(path))
    doc, passages = _passages(path)
    table_rows = [p for p in passages if p.kind is Kind.table_row]
    assert [p.fields for p in table_rows] == [
        {"Recommendation": "Fund the shelters", "Response": "Accepted", "Deadline": "2022"},
        {"Recommendation": "Train the police", "Response": "Partially accepted", "Deadline": "2023"}]
    assert doc.report.tables == 1


def test_page_without_a_text_layer_is_counted_and_named(tmp_path):
    from PIL import Image

    image = tmp_path / "scan.png"
    Image.new("RGB", (200, 300), "white").save(image)
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, BODY * 2)
    pdf.add_page()
    pdf.image(str(image), x=10, y=10, w=180)
    read = _read(pdf, tmp_path / "s.pdf")
    assert read.report.pages == 2 and read.report.pages_without_text == [2]
    assert short_line("s", read.report).startswith("  s: 2 pages, without text: 1 (p. 2),")  # `lessons ingest`
    assert "pages without text (no OCR): 1 (p. 2)\n" in full_text("s", "S", "s.pdf", read.report)  # `lessons stats`
    record = DocRecord(doc_id="s", sha256="0", path="s.pdf", meta=CatalogEntry(title="S"), passages=0,
                       report=read.report)
    assert "| Pages without text (no OCR) | 1 (p. 2) |" in report_markdown(record)  # the Documents tab


def test_a_scan_under_a_running_header_counts_and_a_blank_page_with_a_rule_does_not(tmp_path):
    from PIL import Image

    scan, rule = tmp_path / "scan.png", tmp_path / "rule.png"
    Image.new("RGB", (200, 300), "white").save(scan)
    Image.new("RGB", (600, 4), "blue").save(rule)
    pdf = _pdf()
    for n in range(1, 5):
        pdf.add_page()
        pdf.image(str(rule), x=10, y=14, w=190)
        if n == 4:  # a blank page: only the decorative rule, no text
            continue
        pdf.set_font("Helvetica", size=8)
        pdf.set_xy(10, 8)
        pdf.cell(0, 5, "Final evaluation of the shelter programme, annual report")  # a running header
        pdf.set_font("Helvetica", size=11)
        pdf.set_xy(10, 30)
        if n == 1:
            pdf.multi_cell(0, 6, BODY * 3)
        elif n == 2:  # a scanned page: the header is text, the page's content an image
            pdf.image(str(scan), x=10, y=30, w=180)
        elif n == 3:
            pdf.multi_cell(0, 6, "Figure 2")  # a short caption over a picture is still a page without text
            pdf.image(str(scan), x=10, y=40, w=120)
    read = _read(pdf, tmp_path / "h.pdf")
    assert read.report.header_footer_lines == 3
    assert read.report.pages_without_text == [2, 3]


def test_table_of_contents_page_is_not_text(tmp_path):
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 8, "Contents", new_x="LMARGIN", new_y="NEXT")
    for n, title in enumerate(["Introduction", "Methodology", "Findings", "Conclusions", "Recommendations"], 1):
        pdf.cell(0, 7, f"{n}. {title} " + "." * 60 + f" {n * 3}", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.multi_cell(0, 6, BODY * 2)
    read = _read(pdf, tmp_path / "toc.pdf")
    assert read.report.toc_pages == [1] and "Methodology" not in read.text and "shelters" in read.text


def test_contents_whose_page_numbers_stand_apart_at_the_margin_are_not_text(tmp_path):
    """No dot leaders: each entry's page number sits alone on its baseline at the right margin, a line of its own."""
    pdf = _pdf()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", size=16)
    pdf.cell(0, 10, "TABLE OF CONTENTS", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "B", size=14)
    for n, title in enumerate(["EXECUTIVE SUMMARY", "BACKGROUND", "METHODOLOGY", "FINDINGS", "ANNEX 2 - TOOLS"], 1):
        pdf.cell(150, 8, title)
        pdf.cell(0, 8, str(n * 4), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, BODY * 2)
    read = _read(pdf, tmp_path / "toc-apart.pdf")
    assert read.report.toc_pages == [1] and "ANNEX 2" not in read.text and "shelters" in read.text


def test_a_statement_set_large_or_bold_is_text_not_a_heading_and_a_row_opening_with_a_hash_is_no_heading(tmp_path):
    """A pull quote or a numbered recommendation's title ends in a full stop: it must not become a section that
    nests the rest of the report. A table row whose first cell is "# of ..." stays a row."""
    pdf = _pdf()
    pdf.add_page()
    for text, style, size in [("2. Findings", "B", 18),
                              ("37 percent of respondents reported a debt to a broker.", "B", 18),
                              ("3. Encouraging the use of evaluation reference groups.", "B", 11),
                              ("Resources for the unit remain inadequate. The team asked for staff", "B", 11),
                              ("10 per cent", "B", 24), ("Regular work 36% Temporary work 16%", "B", 14),
                              ("2.1 Shelters", "B", 14)]:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(0, 9, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, BODY, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    path = tmp_path / "s.pdf"
    pdf.output(str(path))
    doc, passages = _passages(path)
    assert "# 2. Findings" in doc.text and "# 2.1 Shelters" in doc.text
    assert "# 37 percent" not in doc.text and "# 3. Encouraging" not in doc.text and "# Resources" not in doc.text
    assert "# 10 per cent" not in doc.text and "# Regular work" not in doc.text  # a chart's figures, no section
    assert {p.section for p in passages} == {"2. Findings", "2. Findings > 2.1 Shelters"}
    assert any("37 percent of respondents reported a debt to a broker." in p.text for p in passages)
    blocks = parse_blocks("# Results\n\nIndicator\tTarget\n# of staff trained\t20 persons\n\n"
                          "# of migrants assisted upon arrival in the north rose to 420 in the second year.\n")
    assert [b.section for b in blocks if b.kind != "heading"] and all(
        "# of staff" not in " > ".join(b.section) for b in blocks)
    assert not any(b.kind == "heading" and ("staff" in b.text or "migrants" in b.text) for b in blocks)
    assert blocks[-1].section == ["Results"] and "migrants assisted" in blocks[-1].text
