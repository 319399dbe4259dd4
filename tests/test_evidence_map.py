"""The evidence map: cells per theme and column (zero cells kept), its exports, and `lessons map --json`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from openpyxl import load_workbook

from assistant.cli import main
from assistant.evidence.map import UNKNOWN, build_map, cell_citations, cell_passages, column_order, theme_label
from assistant.evidence.map_export import GAP_COLOUR, heat_colour, map_table, table_csv, write_xlsx
from ingest.embed import DIM
from ingest.models import CatalogEntry, Document, Filters, Kind
from ingest.store import open_store
from ingest.themes import load_taxonomy
from ingest_helpers import make_passage
from theme_helpers import SHIPPED

THEMES = ["gender", "children", "funding"]
PASSAGES = [
    make_passage("a", 0, "Women and girls were consulted.", themes=["gender"], year=2020, countries=["Mexico"]),
    make_passage("a", 1, "Girls in shelters went back to school.", themes=["gender", "children"], year=2020,
                 countries=["Mexico"], kind=Kind.recommendation),
    make_passage("b", 0, "Two donors funded the hotline.", themes=["funding"], year=2022,
                 countries=["Ghana", "Nigeria"]),
    make_passage("c", 0, "The annex lists interviews.", organisation="IOM"),  # no theme, no year, no country
]


def test_every_theme_and_column_has_a_cell_and_gaps_count_zero():
    emap = build_map(PASSAGES, THEMES, by="document")
    assert emap.themes == THEMES and emap.columns == ["a", "b", "c"]
    assert len(emap.cells) == 9 and [(c.theme, c.column) for c in emap.cells[:3]] == [("gender", "a"),
                                                                                    ("gender", "b"), ("gender", "c")]
    assert emap.counts() == [[2, 0, 0], [1, 0, 0], [0, 1, 0]]  # document c: a column of gaps
    assert emap.cell("children", "a").passage_ids == [PASSAGES[1].id]
    assert emap.cell("funding", "c").passage_ids == [] and emap.cell("funding", "z") is None


def test_columns_by_country_year_organisation_and_kind():
    by_country = build_map(PASSAGES, THEMES, by="country")
    assert by_country.columns == ["Ghana", "Mexico", "Nigeria", UNKNOWN]
    assert by_country.cell("funding", "Ghana").count == by_country.cell("funding", "Nigeria").count == 1  # both
    assert build_map(PASSAGES, THEMES, by="year").columns == ["2020", "2022", UNKNOWN]
    assert build_map(PASSAGES, THEMES, by="organisation").columns == ["IOM", UNKNOWN]
    by_kind = build_map(PASSAGES, THEMES, by="kind")
    assert by_kind.columns == ["recommendation", "text"]  # Kind's own order, not the alphabet
    assert by_kind.cell("gender", "recommendation").count == 1 and by_kind.cell("gender", "text").count == 1
    assert column_order(["2019", "2010", UNKNOWN, "2021"], "year") == ["2010", "2019", "2021", UNKNOWN]


def test_filters_narrow_the_passages_and_a_theme_filter_the_rows():
    emap = build_map(PASSAGES, THEMES, by="document", filters=Filters(kinds=[Kind.recommendation]))
    assert emap.columns == ["a"] and emap.counts() == [[1], [1], [0]]
    emap = build_map(PASSAGES, THEMES, by="year", filters=Filters(themes=["funding"]))
    assert emap.themes == ["funding"] and emap.columns == ["2022"] and emap.counts() == [[1]]
    assert cell_passages(emap, "funding", "2022", {p.id: p for p in PASSAGES}) == [PASSAGES[2]]


def test_cell_citations_quote_the_sentence_about_the_theme():
    passage = make_passage("a", 5, "The project opened in 2019. Women and girls were consulted on the design "
                                   "of gender-sensitive services. The budget was spent.", themes=["gender"])
    theme = load_taxonomy(SHIPPED).get("gender")
    [citation] = cell_citations([passage], theme, max_words=60)
    assert citation.n == 1 and citation.passage_id == passage.id and citation.quote in passage.text
    assert "Women and girls" in citation.quote and "budget" not in citation.quote


def test_the_table_exports_as_csv_and_coloured_xlsx(tmp_path):
    emap = build_map(PASSAGES, THEMES, by="document")
    header, rows = map_table(emap, {"gender": "Gender"}, {"a": "Report A"})
    assert header == ["Theme", "Report A", "b", "c"] and rows[0] == ["Gender", 2, 0, 0]
    assert table_csv(header, rows).splitlines()[:2] == ["Theme,Report A,b,c", "Gender,2,0,0"]
    sheet = load_workbook(write_xlsx(header, rows, tmp_path / "map.xlsx")).active
    assert [c.value for c in sheet[1]] == header and [c.value for c in sheet[2]] == rows[0]
    assert sheet["B2"].fill.fgColor.rgb.endswith(heat_colour(2, 2)) and sheet["C2"].fill.fgColor.rgb.endswith(GAP_COLOUR)
    assert heat_colour(1, 100) != heat_colour(100, 100) != GAP_COLOUR


def test_approximate_themes_are_named_as_such():
    taxonomy = load_taxonomy(SHIPPED)
    approximate = taxonomy.get(taxonomy.approximate()[0])
    exact = next(t for t in taxonomy.themes if not t.approximate)
    assert theme_label(approximate) == f"{approximate.label()} (approximate)" and theme_label(exact) == exact.label()


@pytest.fixture
def indexed(tmp_settings):
    """PASSAGES in a real store (random vectors: the map needs none)."""
    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="e5-test", dim=DIM)
    rng = np.random.default_rng(0)
    for doc_id in ("a", "b", "c"):
        ps = [p for p in PASSAGES if p.doc_id == doc_id]
        doc = Document(doc_id=doc_id, path=f"/c/{doc_id}.txt", sha256=doc_id, text="...",
                       meta=CatalogEntry(title=f"Title of {doc_id}"))
        store.replace_document(doc, ps, {"e5": rng.normal(size=(len(ps), DIM)).astype(np.float32)})
    return tmp_settings


def run_map(settings, *args, capsys) -> dict:
    assert main(["map", "--data-dir", str(settings.data_dir), *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_lessons_map_json_has_the_contract_shape(indexed, capsys):
    got = run_map(indexed, "--json", capsys=capsys)
    ids = load_taxonomy(SHIPPED).ids
    assert set(got) == {"themes", "columns", "cells"} and got["themes"] == ids and got["columns"] == ["a", "b", "c"]
    assert len(got["cells"]) == len(ids) * 3 and all(set(c) == {"theme", "column", "count", "passage_ids"}
                                                     for c in got["cells"])
    cells = {(c["theme"], c["column"]): c for c in got["cells"]}
    assert cells[("gender", "a")] == {"theme": "gender", "column": "a", "count": 2,
                                      "passage_ids": [PASSAGES[0].id, PASSAGES[1].id]}
    assert cells[("private_sector", "b")]["count"] == 0  # a gap is a cell too
    by_country = run_map(indexed, "--by", "country", "--where", "theme=funding", "--json", capsys=capsys)
    assert by_country["themes"] == ["funding"] and by_country["columns"] == ["Ghana", "Nigeria"]
    assert [c["count"] for c in by_country["cells"]] == [1, 1]


def test_lessons_map_text_and_a_bad_theme(indexed, capsys):
    assert main(["map", "--data-dir", str(indexed.data_dir)]) == 0
    text = capsys.readouterr().out
    assert "Gender" in text and "Title of a" in text
    with pytest.raises(SystemExit, match="theme= expects one of"):
        main(["map", "--data-dir", str(indexed.data_dir), "--where", "theme=gendre", "--json"])
