"""Catalog reading and metadata guessing."""

from __future__ import annotations

import pytest

from fixtures_docs import CORPUS, NORAD
from ingest.catalog import CatalogError, guess_entry, read_catalog, read_catalog_with_problems
from ingest.lang import detect_language
from ingest.models import DocType, doc_type_of


def test_seed_catalog_is_valid_and_keyed_by_file_name():
    catalog = read_catalog(CORPUS / "catalog.yaml")
    assert len(catalog) == 4
    assert {p.name for p in CORPUS.glob("*.txt")} == set(catalog)
    memo = catalog[NORAD]
    assert memo.languages == ["nn", "en"]
    assert memo.doc_type is DocType.memo
    assert memo.year == 2011 and not memo.guessed


def test_invalid_entry_is_reported_by_name_and_field_and_the_others_apply(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("good.txt:\n  title: Fine\n  doc_type: synthesis of evaluations\n"
                    "bad-report.pdf:\n  title: Broken\n  year: not-a-year\n"
                    "late.txt:\n  title: Also fine\n  year: 2019\n  countries: Niger\n")
    entries, problems = read_catalog_with_problems(path)
    assert set(entries) == {"good.txt", "late.txt"}
    assert entries["good.txt"].doc_type is DocType.synthesis
    assert entries["good.txt"].doc_type_label == "synthesis of evaluations"
    assert entries["late.txt"].year == 2019 and entries["late.txt"].countries == ["Niger"]
    assert len(problems) == 1 and "bad-report.pdf" in problems[0] and "year" in problems[0]


def test_entry_that_is_not_a_mapping_is_reported_alone(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("report.txt: just a string\nother.txt:\n  title: Kept\n")
    entries, problems = read_catalog_with_problems(path)
    assert list(entries) == ["other.txt"] and "report.txt" in problems[0]


def test_entry_without_title_is_reported(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("report.txt:\n  year: 2020\n")
    entries, problems = read_catalog_with_problems(path)
    assert not entries and "report.txt" in problems[0] and "title" in problems[0]


def test_unreadable_catalog_is_an_error(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("- a\n- list\n")
    with pytest.raises(CatalogError, match="must map file names"):
        read_catalog(path)


@pytest.mark.parametrize("text, expected", [
    ("final internal evaluation", DocType.evaluation), ("Évaluation finale externe", DocType.evaluation),
    ("evaluation brief", DocType.evaluation_brief), ("management response", DocType.management_response),
    ("meta-evaluation", DocType.synthesis), ("research study (not an evaluation)", DocType.research),
    ("results report (not an evaluation)", DocType.report), ("utvärdering", DocType.evaluation),
    ("something else", DocType.other)])
def test_free_text_doc_types_map_to_the_controlled_list(text, expected):
    assert doc_type_of(text) is expected


def test_guess_entry_reads_organisation_year_and_countries_from_the_first_pages():
    opening = ("Final evaluation\n\nWorld Relief Network (WRN)\n\nNiamey, Niger, December 2020\n\nWRN worked in "
               "Niger and Mali from 2017 to 2020. WRN staff in Niger were interviewed.")
    entry = guess_entry(opening, "r.pdf", title_hint="Final evaluation of the WRN shelter project")
    assert entry.title == "Final evaluation of the WRN shelter project"
    assert entry.organisation == "WRN" and entry.year == 2020 and entry.countries[0] == "Niger"


def test_guess_entry_takes_first_heading_and_detects_language():
    text = "## Contents\n\n# Final evaluation of the shelter programme\n\nThe programme supported survivors of " \
           "trafficking across the region and trained officials in identification."
    entry = guess_entry(text, "report.md")
    assert entry.title == "Final evaluation of the shelter programme"
    assert entry.languages == ["en"]
    assert entry.guessed


def test_guess_entry_falls_back_to_first_substantial_line():
    text = "\n\n2021\n\nAnnual review of counter-trafficking work\n\nMore text follows here."
    assert guess_entry(text, "x.txt").title == "Annual review of counter-trafficking work"


def test_detect_language_distinguishes_nynorsk_and_bokmaal():
    nynorsk = ("Evalueringa finn at hovudstyrken i arbeidet til IOM mot menneskehandel ligg i aktivitetar retta mot "
               "kapasitetsbygging. IOM har ikkje eit formelt mandat, og dei meiner at tilrådingane er nyttige.")
    bokmaal = ("Evalueringen finner at hovedstyrken i arbeidet til IOM mot menneskehandel ligger i aktiviteter rettet "
               "mot kapasitetsbygging. IOM har ikke et formelt mandat, og de mener at anbefalingene er nyttige.")
    assert detect_language(nynorsk) == "nn"
    assert detect_language(bokmaal) == "no"
    assert detect_language("The evaluation found that shelters were underfunded and staff turnover high.") == "en"


def test_detect_language_can_be_restricted_to_a_documents_languages():
    text = "IOM would like to express its sincere appreciation to Norad for having initiated this evaluation."
    assert detect_language(text, allowed=["nn", "en"]) == "en"
    assert detect_language("Rapporten finn at Noreg er ein verdsett partnar.", allowed=["nn", "en"]) == "nn"
