"""The second stage: dense, BM25 and sparse scores as shares of the best candidate's, and what the question asks
for (a kind, a country, a management response) or never wants (a questionnaire's items)."""

from __future__ import annotations

import pytest

from assistant.answer.types import Hit
from assistant.retrieval.fusion import rerank
from ingest.models import Passage
from ingest.settings import SearchSettings


def _passage(pid: str, text: str = "text", **kw) -> Passage:
    values = {"doc_id": "d", "title": "T", "start": 0, "end": len(text)} | kw
    return Passage(id=pid, text=text, **values)


def test_second_stage_adds_the_sparse_score_relative_to_the_best():
    hits = [Hit(passage=_passage(i), score=0.0, scores={"dense_e5": 0.8, **({"sparse": s} if s else {})})
            for i, s in (("a", None), ("b", 2.0), ("c", 8.0))]
    ranked = rerank("q", hits, settings=SearchSettings(weight_sparse=1.0))
    assert [h.passage.id for h in ranked] == ["c", "b", "a"]
    assert [h.score for h in ranked] == pytest.approx([2.0, 1.25, 1.0])  # equal dense: 1 each, the best's share
    assert {h.score for h in rerank("q", hits, settings=SearchSettings(weight_sparse=0.0))} == {1.0}


def test_second_stage_reads_dense_similarity_as_a_share_of_the_best_not_min_max():
    """Cosines of candidates differ by hundredths: stretched min-max, 0.80 against 0.84 would outweigh the sparse
    search's clear preference; as a share of the best they barely differ, and the sparse score decides."""
    hits = [Hit(passage=_passage(i), score=0.0, scores={"dense_e5": d, "sparse": s, "bm25": 1.0})
            for i, d, s in (("close", 0.84, 2.0), ("exact", 0.80, 8.0))]
    ranked = rerank("q", hits, settings=SearchSettings(weight_sparse=1.0))
    assert [h.passage.id for h in ranked] == ["exact", "close"]
    assert ranked[0].score == pytest.approx(0.80 / 0.84 + 0.4 + 1.0)


def test_second_stage_prefers_passages_about_a_country_the_question_names():
    about = {"elsewhere": ["Niger"], "there": ["Haiti", "Dominican Republic"], "global": ["Global"]}
    hits = [Hit(passage=_passage(i).model_copy(update={"countries": c}), score=0.0,
                scores={"dense_e5": d, "bm25": 1.0}) for (i, c), d in zip(about.items(), (0.84, 0.82, 0.83))]
    settings = SearchSettings()
    ranked = rerank("¿Qué encontró la evaluación en Haití?", hits, settings=settings, places={"Haiti"})
    assert [h.passage.id for h in ranked] == ["there", "elsewhere", "global"]
    assert ranked[0].score == pytest.approx(0.82 / 0.84 + 0.4 + settings.place_boost)
    assert [h.passage.id for h in rerank("q", hits, settings=settings)] == ["elsewhere", "global", "there"]


@pytest.mark.parametrize(("question", "response"), [
    ("Which recommendation did management only partly accept, and why?", "partially accepted"),
    ("Hvilke anbefalinger avviste ledelsen?", "not accepted"), ("Vilka rekommendationer avslog ledningen?", "not accepted"),
    ("Did management accept the recommendation on training?", ""), ("How are refugees protected?", ""),
])
def test_second_stage_prefers_rows_whose_management_response_the_question_asks_for(question, response):
    answers = {"first": "accepted", "second": "partially accepted", "third": "not accepted"}
    hits = [Hit(passage=_passage(i, fields={"response": r}), score=0.0, scores={"dense_e5": d})
            for (i, r), d in zip(answers.items(), (0.84, 0.83, 0.82))]
    ranked = [h.passage.fields["response"] for h in rerank(question, hits, settings=SearchSettings())]
    assert ranked[0] == (response or "accepted")


def test_second_stage_demotes_a_questionnaires_items_even_when_they_read_as_statements():
    item = "Please indicate the main lessons learned from project implementation and how they were shared."
    hits = [Hit(passage=_passage("form", item, section="Annex 1: Questionnaire > Lessons Learned"), score=0.0,
                scores={"dense_e5": 0.85}),
            Hit(passage=_passage("finding", "Projects shared lessons at closing workshops.", section="5. Findings"),
                score=0.0, scores={"dense_e5": 0.84})]
    settings = SearchSettings()
    ranked = rerank("What lessons did projects learn?", hits, settings=settings)
    assert [h.passage.id for h in ranked] == ["finding", "form"]
    assert ranked[1].score == pytest.approx(1.0 - settings.question_penalty)


@pytest.mark.parametrize(("section", "demoted"), [
    ("TRAFFICKING IN PERSONS IN AND FROM AFRICA > Endnotes", True), ("Annex 4. Project Logic Model > References", True),
    ("ANNEX G. TERMS OF REFERENCE > 5. BIBLIOGRAPHY > Public Documents", True),
    ("ANNEX 1 - TERMS OF REFERENCES > 2. Evaluation purpose", False),
    ("Reflektioner > 1.Genomgång av litteratur och styrdokument", False),
])
def test_second_stage_demotes_a_reports_back_matter(section, demoted):
    """A bibliography lists sources; a chapter reviewing the literature, or terms of reference, is evidence."""
    hits = [Hit(passage=_passage("listed", "UNODC, Casinos, cyber fraud and trafficking for forced criminality.",
                                 section=section), score=0.0, scores={"dense_e5": 0.85}),
            Hit(passage=_passage("finding", "Traffickers used scam compounds.", section="Findings"), score=0.0,
                scores={"dense_e5": 0.84})]
    ranked = rerank("How do traffickers use scam compounds?", hits, settings=SearchSettings())
    assert (ranked[0].passage.id == "finding") == demoted
