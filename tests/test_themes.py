"""Themes: the taxonomy file (bad file -> clear error), keyword stemming, the tagger's signals and decisions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from ingest.models import Filters, Kind
from ingest.snapshot.columns import MetadataColumns
from ingest.settings import ThemeSettings
from ingest.theme_words import KeywordMatcher
from ingest.themes import TaxonomyError, assign_themes, load_tagger, load_taxonomy, tag_passages
from ingest.write import embedding_text
from ingest_helpers import make_passage
from theme_helpers import SHIPPED, flat_tagger

REQUIRED = {"prevention", "protection", "prosecution", "partnership", "relevance", "coherence", "effectiveness",
            "efficiency", "impact", "sustainability", "private_sector", "capacity_building", "victim_assistance",
            "data_monitoring", "funding", "gender", "children", "labour_migration", "return_reintegration",
            "border_management", "awareness_campaigns", "coordination"}


def theme(theme_id: str, **extra) -> dict:
    words = {lang: f"{theme_id} in {lang}" for lang in ("en", "fr", "es")}
    return {"id": theme_id, "labels": words, "descriptions": words, **extra}


def write(tmp_path: Path, body) -> Path:
    path = tmp_path / "themes.yaml"
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body), encoding="utf-8")
    return path


def test_shipped_taxonomy_has_every_theme_in_three_languages():
    taxonomy = load_taxonomy(SHIPPED)
    assert set(taxonomy.ids) == REQUIRED
    for t in taxonomy.themes:
        assert all(t.labels[lang] and t.descriptions[lang] for lang in ("en", "fr", "es"))
    assert taxonomy.get("victim_assistance").label("fr") == "Assistance aux victimes et refuges"
    assert taxonomy.get("children").label("sv") == "Children"  # no Swedish label: English


@pytest.mark.parametrize(("body", "message"), [
    ("themes: [unclosed", "not valid YAML"),
    ("- just a list", "must hold a mapping"),
    ({"themes": []}, "no themes"),
    ({"themes": [theme("gender"), theme("gender")]}, "used more than once: gender"),
    ({"themes": [theme("gender", labels={"en": "Gender", "fr": "Genre"})]},
     "theme 1 (gender) labels: needs a non-empty entry for es"),
    ({"themes": [theme("Private Sector")]}, "lower_snake_case"),
    ({"themes": [theme("gender", colour="red")]}, "theme 1 (gender) colour"),
])
def test_a_bad_taxonomy_file_says_what_is_wrong(tmp_path, body, message):
    path = write(tmp_path, body)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_a_missing_taxonomy_file_is_a_clear_error(tmp_path):
    with pytest.raises(TaxonomyError, match="cannot read the theme file"):
        load_taxonomy(tmp_path / "nowhere.yaml")


def test_keywords_match_after_stemming_and_accent_folding():
    matcher = KeywordMatcher.build({"en": ["shelter", "direct assistance"], "fr": ["réintégration", "refuge"]},
                                   {"en": "Assistance", "fr": "Durabilité", "es": "Sostenibilidad"})
    assert matcher.count("Two shelters offered direct assistance to survivors.", "en") == 2
    assert matcher.count("The assistance was direct.", "en") == 0  # a phrase must be contiguous
    assert matcher.count("La REINTEGRATION des migrants et les refuges", "fr") == 2
    assert matcher.count("La shelter des victimes", "fr") == 1  # a French passage is read in English too
    assert matcher.in_section("6. DURABILITE > 6.1 Durabilité sociale", "fr")
    assert not matcher.in_section("", "fr") and not matcher.in_section("3. Efficacité", "fr")


def test_keywords_and_section_headings_decide_when_meaning_is_silent():
    tagger, vectors = flat_tagger(weight_keyword=0.03, keyword_cap=2, weight_section=0.0,
                                  weight_section_structured=0.05, threshold=0.045)
    passages = [
        make_passage("d", 0, "Shelters gave survivors psychosocial support.", kind=Kind.text),
        make_passage("d", 1, "Follow-up was agreed with the ministry.", kind=Kind.finding,
                     section="5. FINDINGS > 5.11 Sustainability"),
        make_passage("d", 2, "Follow-up was agreed with the ministry.", kind=Kind.text,
                     section="5. FINDINGS > 5.11 Sustainability"),
    ]
    tags = assign_themes(tagger, passages, vectors)
    assert tags[0] == ["victim_assistance"]  # three keywords, counted up to the cap of 2: 0.06
    assert tags[1] == ["sustainability"]  # a finding reads its heading as its subject
    assert tags[2] == []  # plain text under the same heading: section weight 0 for it


def test_max_themes_keeps_the_best_scoring():
    text = "Shelters and psychosocial support for survivors; one mention of women."
    passage = make_passage("d", 0, text)
    tagger, vectors = flat_tagger(weight_keyword=0.03, keyword_cap=2, threshold=0.025, max_themes=6)
    assert assign_themes(tagger, [passage], vectors[:1]) == [["victim_assistance", "gender"]]  # taxonomy order
    tagger, vectors = flat_tagger(weight_keyword=0.03, keyword_cap=2, threshold=0.025, max_themes=1)
    assert assign_themes(tagger, [passage], vectors[:1]) == [["victim_assistance"]]  # 0.06 beats gender's 0.03


def test_a_shelter_passage_gets_victim_assistance_and_an_unrelated_one_gets_none(e5_embedder):
    tagger = load_tagger(ThemeSettings(), e5_embedder)
    passages = [
        make_passage("d", 0, "The shelter provided victims of trafficking with safe accommodation, medical care "
                             "and psychological support while their cases were heard."),
        make_passage("d", 1, "Le refuge offre aux victimes de la traite un hébergement sûr, des soins médicaux et "
                             "un soutien psychologique.", language="fr"),
        make_passage("d", 2, "The cafeteria menu changes every Tuesday, and the parking lot behind the building "
                             "will be repainted in spring."),
        make_passage("d", 3, "Recipe: mix the flour with two eggs, add milk slowly and bake for twenty minutes."),
    ]
    vectors = e5_embedder.embed_passages([embedding_text(p) for p in passages])
    tagged = tag_passages(passages, vectors, tagger)
    assert "victim_assistance" in tagged[0].themes and "victim_assistance" in tagged[1].themes
    assert tagged[2].themes == [] and tagged[3].themes == []
    assert [p.model_copy(update={"themes": []}) for p in tagged] == passages  # nothing else changes


def test_theme_filter_matches_any_wanted_theme_in_both_filter_paths():
    passages = [make_passage("a", 0, "x", themes=["gender", "children"]), make_passage("a", 1, "y", themes=["funding"]),
                make_passage("b", 0, "z")]
    columns = MetadataColumns(passages)
    for filters, expected in [(Filters(themes=["children"]), [True, False, False]),
                              (Filters(themes=["funding", "gender"]), [True, True, False]),
                              (Filters(themes=["coordination"]), [False, False, False]),
                              (Filters(themes=["gender"], doc_ids=["b"]), [False, False, False])]:
        assert not filters.is_empty()
        assert [filters.matches(p) for p in passages] == expected
        assert columns.mask(filters).tolist() == expected


def test_approximate_flags_are_written_into_the_taxonomy_and_read_back(tmp_path):
    from evals.quality.themes_eval import flag_approximate

    path = tmp_path / "themes.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    flag_approximate(path, {"gender", "funding"})
    assert load_taxonomy(path).approximate() == ["funding", "gender"]  # taxonomy order
    comments = [ln for ln in SHIPPED.read_text(encoding="utf-8").splitlines() if ln.startswith("#")]
    assert [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("#")] == comments
    flag_approximate(path, set())
    assert load_taxonomy(path).approximate() == []


def test_the_tagging_fingerprint_follows_themes_and_settings_not_the_approximate_flags(tmp_path):
    from evals.quality.themes_eval import flag_approximate
    from ingest.themes import taxonomy_fingerprint

    path = tmp_path / "themes.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8"), encoding="utf-8")
    before = taxonomy_fingerprint(load_taxonomy(path), ThemeSettings())
    flag_approximate(path, {"gender"})
    assert taxonomy_fingerprint(load_taxonomy(path), ThemeSettings()) == before
    assert taxonomy_fingerprint(load_taxonomy(path), ThemeSettings(threshold=0.5)) != before
    edited = load_taxonomy(path).model_copy(update={"themes": load_taxonomy(path).themes[:-1]})
    assert taxonomy_fingerprint(edited, ThemeSettings()) != before
