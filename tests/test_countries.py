"""Countries guessed from the first pages in every language of the corpus, as canonical English names."""

from __future__ import annotations

import pytest

from ingest.catalog import guess_entry
from ingest.countries import count_countries, country_names


@pytest.mark.parametrize(("opening", "expected"), [
    ("Évaluation finale du projet au Mexique. Les victimes au Mexique et au Guatemala ; le Mexique a adopté une loi.",
     ["Mexico"]),
    ("Evaluación final en México y Guatemala. En México, las víctimas; el gobierno de Guatemala colaboró.",
     ["Mexico", "Guatemala"]),
    ("Utvärdering av projektet i Nigeria. Nigerias regering och Sverige; i Nigeria intervjuades personal i Sverige.",
     ["Nigeria", "Sweden"]),
    ("Evaluering av prosjektet i Norge og Storbritannia. Norge støttet; Storbritannia og Norge samarbeidet.",
     ["Norway", "United Kingdom"]),
    ("Evaluering i Noreg: Noreg og Elfenbeinskysten. Elfenbeinskysten tok imot.", ["Norway", "Côte d'Ivoire"]),
    ("Rapport sur la Côte d’Ivoire et la Guinée-Bissau. En Côte d’Ivoire comme en Guinée-Bissau.",
     ["Côte d'Ivoire", "Guinea-Bissau"]),
    ("Projects in Bosnia and Herzegovina and in Niger. Bosnia and Herzegovina and Niger again.",
     ["Bosnia and Herzegovina", "Niger"]),
])
def test_countries_are_found_in_each_language_under_their_english_name(opening, expected):
    entry = guess_entry(opening, "report.pdf")
    assert sorted(entry.countries) == sorted(expected)


def test_a_longer_name_is_not_also_counted_as_the_shorter_one():
    counts = count_countries("Nigeria, Nigeria, Guinea-Bissau and Papua New Guinea.")
    assert counts == {"Nigeria": 2, "Guinea-Bissau": 1, "Papua New Guinea": 1}


def test_ordinary_words_and_single_mentions_are_not_countries():
    assert count_countries("Man is an island. Island life.") == {}
    assert guess_entry("A project that once mentioned Chile and then spoke of other things.", "x.txt").countries == []


def test_every_language_of_the_corpus_names_the_same_countries():
    names = country_names()
    for spelling in ("Mexique", "México", "Mexiko", "Suède", "Suecia", "Sverige", "Noruega", "Norvège", "Norge"):
        assert spelling in names
    assert set(names.values()) >= {"Mexico", "Sweden", "Norway", "Nigeria", "United Kingdom"}
    assert "United Nations" not in names.values() and "European Union" not in names.values()
