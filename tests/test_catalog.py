"""Catalog reading and metadata guessing."""

from __future__ import annotations

import pytest

from fixtures_docs import CORPUS, NORAD
from ingest.catalog import CatalogError, guess_entry, read_catalog
from ingest.lang import detect_language
from ingest.models import DocType


def test_seed_catalog_is_valid_and_keyed_by_file_name():
    catalog = read_catalog(CORPUS / "catalog.yaml")
    assert len(catalog) == 4
    assert {p.name for p in CORPUS.glob("*.txt")} == set(catalog)
    memo = catalog[NORAD]
    assert memo.languages == ["nn", "en"]
    assert memo.doc_type is DocType.memo
    assert memo.year == 2011 and not memo.guessed


def test_invalid_entry_is_named_in_the_error(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("good.txt:\n  title: Fine\nbad-report.pdf:\n  title: Broken\n  year: not-a-year\n")
    with pytest.raises(CatalogError, match=r"bad-report\.pdf.*year"):
        read_catalog(path)


def test_entry_that_is_not_a_mapping_is_rejected(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("report.txt: just a string\n")
    with pytest.raises(CatalogError, match="report.txt"):
        read_catalog(path)


def test_entry_without_title_is_rejected(tmp_path):
    path = tmp_path / "catalog.yaml"
    path.write_text("report.txt:\n  year: 2020\n")
    with pytest.raises(CatalogError, match=r"report\.txt.*title"):
        read_catalog(path)


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
