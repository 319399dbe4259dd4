"""Loading files of every supported type, and the reasons bad files are refused."""

from __future__ import annotations

import hashlib

import pytest

from fixtures_docs import CORPUS, PUEBLA, make_docx, make_html, make_pdf
from ingest.catalog import read_catalog
from ingest.load import SUPPORTED, LoadError, load_file, slugify

MB = 1_000_000


def load(path, max_bytes=10 * MB):
    return load_file(path, catalog={}, max_bytes=max_bytes)


def test_txt_loads_as_given_with_catalog_metadata():
    catalog = read_catalog(CORPUS / "catalog.yaml")
    path = CORPUS / PUEBLA
    doc = load_file(path, catalog=catalog, max_bytes=10 * MB)
    assert doc.doc_id == "iom-2021-puebla-self-evaluation-lessons-learned"
    assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.meta.organisation == "IOM" and doc.meta.year == 2021 and not doc.meta.guessed
    assert doc.page_starts == []


def test_doc_id_is_a_stable_slug_of_the_stem(tmp_path):
    path = tmp_path / "Évaluation Report (2021) – Final.md"
    path.write_text("# Évaluation\n\nSome text about the evaluation of shelters.", encoding="utf-8")
    first, second = load(path), load(path)
    assert first.doc_id == second.doc_id == "evaluation-report-2021-final"
    assert slugify("IOM_DevFund 2020") == "iom-devfund-2020"
    assert first.meta.guessed and first.meta.title == "Évaluation"


def test_cp1252_and_latin1_text_decode(tmp_path):
    cp1252 = tmp_path / "cp.txt"
    cp1252.write_bytes("Diego Lorente Pérez – “lead evaluator” said the shelters’ staff were trained.".encode("cp1252"))
    assert "Pérez – “lead evaluator”" in load(cp1252).text
    latin1 = tmp_path / "latin.txt"
    body = "Rapporten frå Noreg om støtte til offer for menneskehandel i Genève. " * 3
    latin1.write_bytes(body.encode("latin-1") + b"\x81")  # 0x81 is undefined in cp1252
    assert load(latin1).text.startswith("Rapporten frå Noreg om støtte")


def test_utf8_bom_is_stripped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes(b"\xef\xbb\xbfTitle line of the report\n\nBody text.")
    assert load(path).text.startswith("Title line")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"GIF89a\x00\x01\x02\x03 not text at all", "binary"),
        ("noise.txt", bytes(range(1, 32)) * 40, "non-text"),
        ("sheet.xlsx", b"PK\x03\x04 spreadsheet", "unsupported file type '.xlsx'"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref", "corrupt"),
        ("fake.pdf", b"this is plain text pretending to be a PDF", "corrupt PDF"),
        ("broken.docx", b"PK\x03\x04 this is not a real zip archive", "corrupt"),
        ("blank.txt", b"   \n\n  \t \n", "no text"),
    ],
)
def test_bad_files_raise_load_error_with_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason) as info:
        load(path)
    assert name in str(info.value)


def test_file_over_max_bytes_is_refused(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(LoadError, match="too large"):
        load(path, max_bytes=1000)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(LoadError, match="not found"):
        load(tmp_path / "absent.txt")


def test_pdf_keeps_page_starts(tmp_path):
    doc = load(make_pdf(tmp_path / "report.pdf"))
    assert len(doc.page_starts) == 3 and doc.page_starts[0] == 0
    assert doc.page_starts == sorted(doc.page_starts)
    assert doc.page_at(doc.text.index("uneven in the northern provinces")) == 2
    assert doc.page_at(doc.text.index("Interviews were held")) == 3
    assert doc.page_at(doc.text.index("The programme trained")) == 1
    assert doc.meta.guessed and doc.meta.title.startswith("The programme trained")  # not the running header


def test_docx_headings_lists_and_tables(tmp_path):
    text = load(make_docx(tmp_path / "eval.docx")).text
    lines = text.split("\n")
    assert "# Shelter programme evaluation" in lines
    assert "# 3. Findings" in lines
    assert "## 3.1 Challenges" in lines
    assert "- Staff turnover in the shelters was high throughout the project." in lines
    assert "Element\tLesson 1" in lines
    assert "Recommendation\tAgree the exit plan with the ministry." in lines


def test_html_headings_lists_tables_without_script_style_nav(tmp_path):
    text = load(make_html(tmp_path / "brief.html")).text
    lines = text.split("\n")
    assert "# Evaluation brief" in lines and "## Recommendations" in lines
    assert "- Continue the prevention campaign in local languages." in lines
    assert "Project\tBudget (USD)" in lines and "MEXW55\t752,110" in lines
    assert "The project supported indigenous communities in four states of Mexico." in lines
    for furniture in ("tracking", "color: red", "About us", "Home"):
        assert furniture not in text


def test_supported_extensions():
    assert SUPPORTED == {".txt", ".md", ".pdf", ".docx", ".html", ".htm"}
