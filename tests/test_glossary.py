"""Cross-language keyword expansion: the glossary's matching, its file validation, and its effect on BM25."""

from __future__ import annotations

import pytest

from assistant.retrieval.glossary import Glossary, load_glossary
from ingest.models import Passage
from ingest.snapshot.keyword import KeywordIndex

GLOSSARY = Glossary.from_groups([
    ["recommendation", "tilråding", "recomendación"],
    ["crowdfunding", "micromecenazgo", "folkefinansiering"],
    ["private sector", "sector privado", "privat sektor"],
])


def test_a_word_in_any_language_brings_its_equivalents():
    assert GLOSSARY.expansions("¿Qué recomendaciones hizo la evaluación?") == ["recommendation", "tilråding"]
    assert GLOSSARY.expansions("Kva var tilrådingane?") == ["recommendation", "recomendación"]
    assert set(GLOSSARY.expansions("Ejemplos de micromecenazgo")) == {"crowdfunding", "folkefinansiering"}


def test_a_question_using_no_concept_is_left_as_it_is():
    assert GLOSSARY.expansions("How do shelters register victims?") == []
    assert GLOSSARY.expand("How do shelters register victims?") == "How do shelters register victims?"


def test_phrases_match_only_with_all_their_words_and_are_not_added():
    """'private' alone is not the private sector; phrases add generic words ('sector'), so only words are added."""
    assert GLOSSARY.expansions("Is the data private?") == []
    assert GLOSSARY.expansions("How to engage the private sector?") == []


def _index() -> KeywordIndex:
    texts = [("en1", "en", "Online portal for crowdfunding to support trafficking survivors directly."),
             ("en2", "en", "Shelters register victims and refer them to legal aid."),
             ("nn1", "nn", "Hovudtilrådinga er at Noreg gir fleirårige tildelingar. Tilråding 3 gjeld offer."),
             ("en3", "en", "Survivors need support to find work after they leave the shelter.")]
    passages = [Passage(id=i, doc_id=i, title=i, text=t, language=lang, start=0, end=len(t)) for i, lang, t in texts]
    return KeywordIndex.build(passages, fingerprint="f", sparse={})


def test_expansion_lets_bm25_cross_languages():
    index = _index()
    spanish = "¿Algún ejemplo de micromecenazgo?"
    assert index.search(spanish, k=3) == []  # no Spanish word occurs in the English passages
    assert [p.id for p, _ in index.search(GLOSSARY.expand(spanish), k=1)] == ["en1"]
    english = "Which recommendation was made?"
    assert "nn1" not in [p.id for p, _ in index.search(english, k=4)]
    assert [p.id for p, _ in index.search(GLOSSARY.expand(english), k=1)] == ["nn1"]


def test_the_shipped_glossary_loads_and_a_bad_file_is_named(tmp_path):
    shipped = load_glossary()
    assert len(shipped.concepts) > 50 and all(len(c) >= 2 for c in shipped.concepts)
    bad = tmp_path / "glossary.yaml"
    bad.write_text("recommendation: tilråding\n", encoding="utf-8")
    with pytest.raises(ValueError, match="glossary .*glossary.yaml"):
        load_glossary(bad)


@pytest.mark.parametrize("value", ["", "none", "OFF"])
def test_an_empty_or_off_setting_switches_the_glossary_off(value, monkeypatch):
    from ingest.settings import Settings

    monkeypatch.setenv("LESSONS_SEARCH__GLOSSARY", value)
    assert Settings().search.glossary is None
