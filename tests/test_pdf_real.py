"""The reading criteria of issue 12 over the real reports in ../shared/real-reports (slow: reads 23 files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.catalog import read_catalog_with_problems
from ingest.pipeline import _prepare
from ingest.settings import Settings

REPORTS = Path(__file__).resolve().parents[1].parent / "shared" / "real-reports"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(3000),
              pytest.mark.skipif(not REPORTS.is_dir(), reason="real reports not present")]


@pytest.fixture(scope="module")
def rows():
    from evals.quality.structure_report import read_reports

    return read_reports(REPORTS)


def test_every_catalog_entry_is_applied(rows):
    assert len(rows) == 23 and not rows[0]["problems"]
    assert [r["file"] for r in rows if not r["catalog"]] == []


def test_nine_in_ten_passages_carry_a_section_path_of_the_documents_headings(rows):
    passages = [p for r in rows for p in r["passages"]]
    assert sum(1 for p in passages if p.section) >= 0.9 * len(passages)
    for r in rows:
        text = r["doc"].text
        for p in r["passages"][:40]:
            for heading in filter(None, p.section.split(" > ")):
                assert heading.split()[0] in text  # every part of a path is a heading of that document


def test_no_running_header_or_footer_survives(rows):
    assert sum(len(r["repeated"]) for r in rows) >= 20  # the figure measures something
    left = {r["file"]: r["survived"] for r in rows if r["survived"]}
    assert left == {}


def _plumber_content(page, settings) -> tuple[int, float]:
    """pdfplumber's reading of a page: characters between the header and footer bands, share covered by images."""
    top, bottom = page.height * settings.band, page.height * (1 - settings.band)
    chars = sum(1 for c in page.chars if not c["text"].isspace() and c["top"] >= top and c["bottom"] <= bottom)
    covered = sum(max(0.0, min(i["x1"], page.width) - max(i["x0"], 0.0))
                  * max(0.0, min(i["bottom"], page.height) - max(i["top"], 0.0)) for i in page.images)
    return chars, min(1.0, covered / (page.width * page.height))


def _pictured_pages(path: Path, share: float) -> set[int]:
    """Pages where pdfium's image objects cover at least a share of the page (the pages worth a second reading)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as raw

    document, out = pdfium.PdfDocument(str(path)), set()
    for n, page in enumerate(document, 1):
        width, height = page.get_size()
        boxes = [obj.get_bounds() for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE])]
        if sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in boxes) >= share * width * height:
            out.add(n)
    document.close()
    return out


def test_only_pages_whose_content_is_an_image_count_as_without_text(rows):
    import pdfplumber

    layout = Settings().layout
    counted = {}
    for r in (r for r in rows if r["file"].endswith(".pdf")):
        counted[r["file"]] = r["no_text"]
        pictured = _pictured_pages(REPORTS / r["file"], layout.min_image_share / 2) | set(r["no_text"])
        with pdfplumber.open(REPORTS / r["file"]) as pdf:  # pdfplumber reads the pages again, its own way
            content = {n: _plumber_content(pdf.pages[n - 1], layout) for n in sorted(pictured)}
        with_text = [n for n in r["no_text"] if content[n][0] >= layout.min_page_chars]
        assert with_text == [], f"{r['file']}: pages with text counted as without: {with_text}"
        images_only = [n for n, (chars, images) in content.items() if chars == 0 and images >= layout.min_image_share]
        assert set(images_only) <= set(r["no_text"]), f"{r['file']}: image pages not counted"
    assert 0 < sum(map(len, counted.values())) <= 0.01 * sum(r["pages"] for r in rows)


def test_footnote_numbers_do_not_stick_to_words(rows):
    glued, words = sum(r["glued"] for r in rows), sum(r["words"] for r in rows)
    assert 1000 * glued / words < 0.05


def test_footnotes_are_passages_with_a_page(rows):
    notes = [p for r in rows for p in r["passages"] if p.kind.value == "footnote"]
    assert len(notes) >= 100 and all(p.page for p in notes)


def test_a_catalog_with_one_invalid_entry_applies_every_other(tmp_path):
    names = ["IOM_2022_Italy_LANMD_Evaluation_Brief.pdf", "IOM_2024_AAP_Evaluation_Brief.pdf",
             "IOM_2021_Nigeria_Returnees_Safe_Migration_Evaluation_Brief.pdf"]
    for name in names:
        shutil.copy(REPORTS / name, tmp_path / name)
    text = (REPORTS / "catalog.yaml").read_text(encoding="utf-8")
    at = text.index("IOM_2024_AAP_Evaluation_Brief.pdf:")
    broken = text[:at] + text[at:].replace("  year: 2024\n", "  year: twenty twenty-four\n", 1)
    (tmp_path / "catalog.yaml").write_text(broken, encoding="utf-8")
    catalog, problems = read_catalog_with_problems(tmp_path / "catalog.yaml")
    assert len(problems) == 1 and "year" in problems[0] and len(catalog) == 22
    settings = Settings()
    docs = {name: _prepare(tmp_path / name, catalog, settings)[0] for name in names}
    bad = "IOM_2024_AAP_Evaluation_Brief.pdf"
    assert bad not in catalog and bad in problems[0] and docs[bad].meta.guessed
    for name in names:
        if name != bad:
            assert docs[name].meta == catalog[name] and not docs[name].meta.guessed
