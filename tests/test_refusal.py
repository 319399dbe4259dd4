"""Refusal: what a question names that the corpus never does, how much of its meaning that carries, the places
none of the evidence found is about, the evaluation stage none of it is, and the cut-offs on one embedder's
scale."""

from __future__ import annotations

import zlib

import numpy as np

from assistant.answer.types import Hit
from assistant.answer.frame import Frame
from assistant.retrieval.question import evaluation_stages
from assistant.retrieval.refusal import (Unknowns, places_not_in_evidence, should_refuse, stages_not_in_evidence,
                                         unknown_terms, years_not_in_evidence)
from ingest.models import Passage
from ingest.snapshot.keyword import KeywordIndex


def _passage(pid: str, text: str = "text", **kw) -> Passage:
    values = {"doc_id": "d", "title": "T", "start": 0, "end": len(text)} | kw
    return Passage(id=pid, text=text, **values)


class _WordsEmbedder:
    """A bag-of-words stand-in for e5: each distinct word is its own dimension."""

    def embed_query(self, text: str) -> np.ndarray:
        vector = np.zeros(1024)
        for word in text.casefold().split():
            vector[zlib.crc32(word.encode()) % 1024] += 1.0
        return vector / np.linalg.norm(vector)


def test_unknown_terms_skip_function_words_and_weigh_the_rest():
    keyword = KeywordIndex.build([_passage("a", "Shelters for victims of trafficking need stable funding.")],
                                 fingerprint="f")
    question = "What should we fund in shelters with drones?"
    unknowns = unknown_terms(question, keyword=keyword, query_lang="en", embedder=_WordsEmbedder())
    assert unknowns.words == ["drones"] and unknowns.names == []  # not "What", "should", "we"
    assert 0.05 < unknowns.weight < 0.5
    assert unknown_terms(question, keyword=keyword, query_lang="en").weight == 0.0  # no embedder, no weight
    spanish = unknown_terms("¿Qué financiar en los albergues con drones?", keyword=keyword, query_lang="es")
    assert spanish.words == [] and spanish.weight == 0.0  # a Spanish word is no evidence against English reports
    assert unknown_terms("Shelters in Japan in 1999?", keyword=keyword, query_lang="en").names == ["1999", "Japan"]


def test_a_country_is_checked_under_its_names_in_every_corpus_language():
    keyword = KeywordIndex.build([_passage("a", "Shelters in Mexico and Cabo Verde need stable funding.")],
                                 fingerprint="f")
    french = unknown_terms("Quels refuges au Mexique et en Uruguay ?", keyword=keyword, query_lang="fr")
    assert french.names == ["Uruguay"]  # "Mexique" is the reports' "Mexico"; a French question's country counts
    assert unknown_terms("Shelters in Cape Verde?", keyword=keyword, query_lang="en").names == []  # "Cabo Verde"
    assert unknown_terms("Vilka lärdomar från Fiji?", keyword=keyword, query_lang="no").names == ["Fiji"]
    assert unknown_terms("¿Qué pasó con ONUDC en Mexico?", keyword=keyword, query_lang="es").names == []


def test_refusal_weighs_best_score_against_unknown_meaning():
    from assistant.retrieval.refusal import Unknowns
    from ingest.settings import SearchSettings

    cfg = SearchSettings(refusal_threshold=0.80, refusal_threshold_named=0.87, unknown_word_penalty=0.5).refusal("e5")
    assert not should_refuse(0.83, Unknowns(), cutoffs=cfg)
    assert should_refuse(0.79, Unknowns(), cutoffs=cfg)
    assert should_refuse(0.83, Unknowns(words=["drones"], weight=0.08), cutoffs=cfg)  # 0.83 - 0.04 < 0.80
    assert not should_refuse(0.83, Unknowns(words=["get"], weight=0.02), cutoffs=cfg)
    assert should_refuse(0.85, Unknowns(names=["Japan"]), cutoffs=cfg)
    assert not should_refuse(0.88, Unknowns(names=["Japan"]), cutoffs=cfg)


def test_a_country_no_evidence_found_is_about_is_named_whatever_its_spelling():
    us_study = _passage("a", "Survivors in 42 states answered the survey.", countries=["United States"])
    about_mexico = _passage("b", "Los albergues de México acogieron a 300 víctimas.", countries=["Global"])
    hits = [Hit(passage=p, score=1.0) for p in (us_study, about_mexico)]
    assert places_not_in_evidence("How many survivors in Canada took part in the study?", hits, absent=[]) == [
        "Canada"]
    # listed among a document's countries, or named in a hit's text in another language: covered
    assert places_not_in_evidence("What did the study find in the United States?", hits, absent=[]) == []
    assert places_not_in_evidence("What did the evaluation say about shelters in Mexico?", hits, absent=[]) == []
    assert places_not_in_evidence("Qu'a-t-on appris au Mexique et au Pérou ?", hits, absent=[]) == ["Pérou"]
    # a country no report mentions is already said absent; it is not named twice
    assert places_not_in_evidence("Shelters in Peru?", hits, absent=["Peru"]) == []
    assert places_not_in_evidence("How do shelters work?", hits, absent=[]) == []


def test_a_year_no_evidence_found_is_about_is_named():
    hotline = _passage("a", "Calls to the hotline doubled after the campaign.", year=2021, section="Findings")
    memo = _passage("b", "IOM's reply to the evaluation.", title="Memo on IOM's work 2000-2010")
    hits = [Hit(passage=p, score=1.0) for p in (hotline, memo)]
    assert years_not_in_evidence("What did the 2017 evaluation of the hotline conclude?", hits, absent=[]) == ["2017"]
    assert years_not_in_evidence("What did the 2021 evaluation of the hotline find?", hits, absent=[]) == []
    assert years_not_in_evidence("How much did IOM get between 2000 and 2010?", hits, absent=[]) == []  # title
    assert years_not_in_evidence("What happened in 1999?", hits, absent=["1999"]) == []  # no report names it


def test_evaluation_stages_are_read_in_every_question_language():
    assert evaluation_stages("What did the mid-term evaluation conclude?") == {"mid-term": "mid-term evaluation"}
    assert set(evaluation_stages("Qu'a conclu l'évaluation à mi-parcours ?")) == {"mid-term"}
    assert set(evaluation_stages("¿Qué concluyó la evaluación intermedia?")) == {"mid-term"}
    assert set(evaluation_stages("Kva fann midtvegsevalueringa?")) == {"mid-term"}
    assert set(evaluation_stages("Évaluation externe finale du Projet")) == {"final"}
    assert set(evaluation_stages("Final Internal Evaluation: Strengthening border management")) == {"final"}
    assert evaluation_stages("What did the final report of the review say?") == {}


def test_a_stage_none_of_the_evaluations_found_is_is_said_before_the_evidence():
    response = _passage("a", "Recommendation 1 accepted.", doc_id="mr", evaluation="border-2022",
                        title="Management response matrix: border project")
    hits = [Hit(passage=response, score=1.0)]
    titles = {"border-2022": {"Management response matrix: border project", "Final Evaluation: Border project"}}
    question = "What did the mid-term evaluation of the border project conclude?"
    assert stages_not_in_evidence(question, hits, titles=titles) == ["mid-term"]  # its evaluation is the final one
    assert stages_not_in_evidence("What did the final evaluation conclude?", hits, titles=titles) == []
    assert stages_not_in_evidence(question, hits, titles={"border-2022": {"Management response matrix"}}) == []
    unknowns = Unknowns(stages_not_in_evidence=["mid-term"])
    assert Frame("en").edge(unknowns).startswith("None of the reports found is a mid-term evaluation;")
    assert Frame("fr").edge(unknowns).startswith("Aucun des rapports trouvés n'est une évaluation à mi-parcours")
    assert unknowns.said_absent == ["mid-term"]


def test_refusal_reads_one_embedders_scale():
    from assistant.retrieval.refusal import refusal_scale, relevance
    from ingest.settings import SearchSettings

    assert refusal_scale(["e5", "minilm"]) == "e5" and refusal_scale(["minilm"]) == "minilm"
    settings = SearchSettings()
    assert settings.refusal("minilm").threshold < settings.refusal("e5").threshold  # MiniLM's cosines run lower
    hits = [Hit(passage=_passage("a"), score=1.0, scores={"dense_e5": 0.84, "dense_minilm": 0.91}),
            Hit(passage=_passage("b"), score=0.5, scores={"dense_minilm": 0.95, "bm25": 7.0})]
    assert relevance(hits, embedder="e5") == 0.84 and relevance(hits, embedder="minilm") == 0.95
    assert relevance([hits[1]], embedder="e5") == 0.0  # dense ran, but not on this scale
    keyword_only = [Hit(passage=_passage("c"), score=1.0, scores={"bm25": 7.0})]
    assert relevance(keyword_only, embedder="e5") == 7.0 and relevance([], embedder="e5") == 0.0
