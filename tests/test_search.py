"""Retrieval: fusion, filters inside both searches, refusal end to end, cross-language, the CLI contract (the second
stage's rules: tests/test_rerank.py; refusal's own rules: tests/test_refusal.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from assistant.answer.types import Hit
from assistant.retrieval.fusion import diversify, fuse
from assistant.retrieval.question import (expected_fact, intended_kinds, language_affinity, named_documents,
                                         query_language)
from assistant.retrieval.search import SearchIndex, retrieve
from evals.quality.metrics import is_relevant
from ingest.models import Filters, Kind, Passage
from ingest.settings import PROJECT_ROOT
from ingest.snapshot.names import document_names
from tests.app_server import seeded_settings


def _passage(pid: str, text: str = "text", **kw) -> Passage:
    values = {"doc_id": "d", "title": "T", "start": 0, "end": len(text)} | kw
    return Passage(id=pid, text=text, **values)


def _hits(*ids: str, signal: str) -> list[Hit]:
    return [Hit(passage=_passage(i), score=1.0 / n, scores={signal: 1.0 / n}) for n, i in enumerate(ids, start=1)]


def test_fuse_adds_weighted_reciprocal_ranks_and_keeps_every_signal():
    fused = fuse({"bm25": _hits("a", "b", "c", signal="bm25"), "dense_e5": _hits("b", "c", "d", signal="dense_e5")},
                 weights={"bm25": 1.0, "dense_e5": 1.0}, rrf_k=60)
    assert [h.passage.id for h in fused][:2] == ["b", "c"]  # found by both lists
    b = next(h for h in fused if h.passage.id == "b")
    assert b.score == pytest.approx(1 / 62 + 1 / 61)
    assert set(b.scores) == {"bm25", "dense_e5"}
    only_dense = fuse({"bm25": _hits("a", signal="bm25"), "dense_e5": _hits("d", signal="dense_e5")},
                      weights={"bm25": 0.0, "dense_e5": 1.0})
    assert only_dense[0].passage.id == "d" and only_dense[1].score == 0.0


def test_diversify_drops_the_same_recommendation_quoted_twice():
    text = "Formulate a project sustainability plan prior to project closure to ensure outcomes can be sustained"
    hits = [Hit(passage=_passage("a", text), score=3), Hit(passage=_passage("b", text + " in the long run."), score=2),
            Hit(passage=_passage("c", "Assign relevant IOM personnel for countries with no IOM office"), score=1)]
    assert [h.passage.id for h in diversify(hits, threshold=0.8)] == ["a", "c"]
    assert [h.passage.id for h in diversify(hits, threshold=0.8, limit=1)] == ["a"]


def test_question_wording_selects_kinds_and_documents_by_name():
    assert Kind.recommendation in intended_kinds("How should we engage companies?")
    assert Kind.finding in intended_kinds("What did the review find about budgets?")
    assert Kind.good_practice in intended_kinds("¿Hay ejemplos de campañas?")
    passages = [_passage("1", "Norad memo text", doc_id="norad", organisation="Norad / IOM", title="Memo"),
                _passage("2", "IOM review text", doc_id="fund", organisation="IOM Development Fund", title="Review"),
                _passage("3", "IOM Puebla text", doc_id="puebla", organisation="IOM", title="Puebla lessons")]
    names = document_names(passages)
    assert "iom" not in names["norad"]  # in every document's text: names none of them
    assert named_documents("What did Norad recommend?", names) == {"norad"}
    assert named_documents("Lessons from Puebla?", names) == {"puebla"}
    # an acronym inside a longer capitalised name of a title names the document on its own; not in a title in capitals
    passages += [_passage("4", "Youth loans text", doc_id="idee", organisation="OIM Niger", title="Brève: Projet IDEE"),
                 _passage("5", "Border text", doc_id="caps", organisation="IOM", title="FINAL EVALUATION BORDER PROJECT")]
    names = document_names(passages)
    assert named_documents("What did the IDEE project find?", names) == {"idee"}
    assert named_documents("What did the border project find?", names) == set()
    assert language_affinity("es", "en") and not language_affinity("es", "nn") and language_affinity("no", "nn")


def test_a_swedish_question_is_read_as_swedish_so_swedish_reports_serve_it():
    for question in ("Vilka orsaker till att biståndsresultat inte håller över tid pekar EBA på?",
                     "Hur många av de granskade utvärderingarna kom fram till att insatserna var hållbara?"):
        assert query_language(question) == "sv"
    assert language_affinity("sv", "sv") and not language_affinity("sv", "nn")
    assert query_language("Kva tilrådde evalueringa av arbeidet?") == "nn"


@pytest.mark.parametrize("question, fact", [
    ("How many jobs did the project create?", "quantity"), ("What share of the budget went to shelters?", "quantity"),
    ("¿Qué puntuación obtuvo la sostenibilidad?", "quantity"), ("Combien de mois de grâce faut-il ?", "quantity"),
    ("Kor stor del av arbeidarane er born?", "quantity"), ("Which countries did the evaluation cover?", "place"),
    ("Dans quelles langues la boîte à outils sera-t-elle traduite ?", "language"),
    ("Into which languages were the leaflets translated?", "language"), ("Vilka språk talar personalen?", "language"),
    ("Where did the project train border guards?", "place"), ("When did the project start?", "time"),
    ("¿En qué año terminó el proyecto?", "time"), ("How long can data requests take?", "duration"),
    ("Combien de temps avant la conception faut-il consulter ?", "duration"), ("Give me an example where listening to women helped.", None),
    ("How should we engage companies?", None), ("Selecting partners when resources are short?", None),
])
def test_the_fact_a_question_asks_for_is_read_from_its_wording(question, fact):
    assert expected_fact(question) == fact


def test_hits_carry_the_sparse_score(small_corpus, tmp_settings):
    from assistant.retrieval.search import sparse_search
    from ingest.pipeline import ingest_paths

    ingest_paths([small_corpus], settings=tmp_settings, progress=False)
    index = SearchIndex.open(tmp_settings)
    assert index.keyword.sparse is not None
    question = "How did the hotline operation work?"
    retrieval = retrieve(question, index=index, settings=tmp_settings, k=5)
    assert retrieval.hits[0].passage.doc_id == "hotline"
    assert any(h.scores.get("sparse", 0) > 0 for h in retrieval.hits)
    only = sparse_search(question, index=index, k=10, filters=Filters(doc_ids=["training"]))
    assert only and all(h.passage.doc_id == "training" and h.scores["sparse"] > 0 for h in only)
    off = tmp_settings.model_copy(update={"search": tmp_settings.search.model_copy(update={"use_sparse": False})})
    assert not any("sparse" in h.scores for h in retrieve(question, index=index, settings=off, k=5).hits)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    settings = seeded_settings(tmp_path_factory.mktemp("search"))
    return settings, SearchIndex.open(settings)


@pytest.mark.slow
def test_every_candidate_carries_every_searchs_score(seeded):
    from assistant.retrieval.search import keyword_search, sparse_search

    settings, index = seeded
    question = "How can shelters help victims take part in trials?"
    assert settings.search.complete_scores  # the default
    off = settings.model_copy(update={"search": settings.search.model_copy(update={"complete_scores": False})})
    hits = retrieve(question, index=index, settings=settings, k=30).hits
    assert len(hits) == 30 and all({"bm25", "sparse", "dense_e5"} <= set(h.scores) for h in hits)
    ranked = {h.passage.id: h.scores for h in keyword_search(question, index=index, k=300)}
    ranked_sparse = {h.passage.id: h.scores for h in sparse_search(question, index=index, k=300)}
    for hit in hits:  # the same score whether the search ranked the passage among its best or not
        assert hit.scores["bm25"] == pytest.approx(ranked.get(hit.passage.id, {"bm25": 0.0})["bm25"], abs=1e-4)
        assert hit.scores["sparse"] == pytest.approx(ranked_sparse.get(hit.passage.id, {"sparse": 0.0})["sparse"],
                                                     abs=1e-3)
    assert any(len(h.scores) < 3 for h in retrieve(question, index=index, settings=off, k=30).hits)


def _rank(retrieval, phrase: str) -> int | None:
    flags = [is_relevant(h.passage.text, [phrase]) for h in retrieval.hits]
    return flags.index(True) + 1 if True in flags else None


@pytest.mark.slow
@pytest.mark.parametrize(("question", "phrase"), [
    ("How can we engage the apparel private sector on TiP?",
     "Private sector engagement requires to design differentiation strategy"),
    ("¿Qué debe hacer un proyecto antes de cerrar para que sus resultados perduren?",
     "Formulate a project sustainability plan prior to project closure"),
    ("Kva metode nytta UNODC-evalueringa av prosjekta i Mexico?",
     "Contribution analysis was used as a methodology"),
    ("What is the campaign aimed at consumers that IOM was testing?",  # English question, Nynorsk passage
     "IOM testar no ein alternativ kampanje som heiter"),
])
def test_questions_find_their_passage_across_languages(seeded, question, phrase):
    settings, index = seeded
    retrieval = retrieve(question, index=index, settings=settings, k=5)
    assert not retrieval.refused
    assert _rank(retrieval, phrase) is not None, [h.passage.text[:80] for h in retrieval.hits]


@pytest.mark.slow
@pytest.mark.parametrize("question", [
    "Can you give me a recipe for chicken enchiladas?",
    "What did the 2017 evaluation of the anti-trafficking hotline in Japan conclude?",
    "What is the best smartphone for taking photos in 2024?",
    "Can facial recognition cameras at airports help spot trafficking victims?",  # in the corpus' own terms
])
def test_out_of_corpus_questions_are_refused(seeded, question):
    settings, index = seeded
    assert retrieve(question, index=index, settings=settings).refused


@pytest.mark.slow
def test_unknown_words_weigh_by_the_meaning_they_carry(seeded):
    """A technology the reports never mention is the question's subject; an unusual verb is not."""
    settings, index = seeded
    subject = retrieve("How should we use drones to watch border crossings for smugglers?", index=index,
                       settings=settings)
    phrasing = retrieve("How do we get apparel manufacturers interested in working with us against trafficking?",
                        index=index, settings=settings)
    assert "drones" in subject.unknowns.words and "get" in phrasing.unknowns.words
    assert subject.unknowns.weight > 1.5 * phrasing.unknowns.weight > 0
    assert subject.refused and not phrasing.refused
    known = retrieve("How can the private sector help prevent trafficking?", index=index, settings=settings)
    assert known.unknowns.words == [] and known.unknowns.weight == 0.0 and not known.refused


@pytest.mark.slow
@pytest.mark.parametrize(("filters", "check"), [
    (Filters(kinds=[Kind.lesson]), lambda p: p.kind == Kind.lesson),
    (Filters(doc_ids=["unodc-2022-mexico-tip-cluster-evaluation-brief"]), lambda p: p.doc_id.startswith("unodc")),
    (Filters(organisations=["IOM Development Fund"]), lambda p: p.organisation == "IOM Development Fund"),
    (Filters(years=[2011]), lambda p: p.year == 2011),
    (Filters(countries=["Mexico"]), lambda p: "Mexico" in p.countries),
    (Filters(languages=["nn"]), lambda p: p.language == "nn"),
])
def test_each_filter_applies_inside_both_searches(seeded, filters, check):
    settings, index = seeded
    from assistant.retrieval.search import keyword_search, vector_search

    question = "How should IOM projects work with the private sector and government against menneskehandel?"
    for hits in (keyword_search(question, index=index, k=20, filters=filters),
                 vector_search(question, index=index, embedder="e5", k=20, filters=filters)):
        assert hits and all(check(h.passage) for h in hits)
    assert len(vector_search(question, index=index, embedder="e5", k=20, filters=filters)) >= min(
        20, sum(check(p) for p in index.keyword.passages))  # filtered inside: k results, not k minus dropped ones


@pytest.mark.slow
def test_batch_json_contract(seeded, tmp_path):
    settings, _ = seeded
    questions = tmp_path / "q.txt"
    questions.write_text("How can we engage the apparel private sector on TiP?\n\nWho won the 2018 FIFA World Cup?\n")
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--data-dir", str(settings.data_dir), "--embedder", "e5",
         "search", "--batch", str(questions), "--json", "-k", "3"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["query"] for r in lines] == ["How can we engage the apparel private sector on TiP?",
                                           "Who won the 2018 FIFA World Cup?"]
    first, second = lines
    assert first["refused"] is False and len(first["passages"]) == 3
    assert set(first["passages"][0]) == {"id", "text", "doc_id", "title", "section", "kind", "page", "score"}
    stored = {p.id: p.text for p in SearchIndex.open(settings).keyword.passages}
    assert all(stored[p["id"]] == p["text"] for p in first["passages"])  # the text as stored and quoted
    assert second == {"query": "Who won the 2018 FIFA World Cup?", "refused": True, "passages": []}


def test_where_pairs_become_filters():
    from assistant.cli_query import parse_where

    f = parse_where(["kind=lesson", "year=2021", "country=Mexico", "doc=a", "doc=b"])
    assert f.kinds == [Kind.lesson] and f.years == [2021] and f.countries == ["Mexico"] and f.doc_ids == ["a", "b"]
    with pytest.raises(SystemExit, match="key=value"):
        parse_where(["colour=red"])

