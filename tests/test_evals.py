"""Tests of the evaluation: gold matching, the gold set itself, metrics and an end-to-end run (baselines:
test_baselines.py)."""

from __future__ import annotations

import math

import pytest
import yaml

from evals.quality.harness import GOLD_PATH, ablation_variants, main
from evals.quality.metrics import (
    GoldItem,
    QueryOutcome,
    calibrate_threshold,
    fold,
    hit_at,
    is_relevant,
    load_gold,
    ndcg,
    reciprocal_rank,
    refusal_scores,
    select,
    summarize,
)
from evals.quality.refusal_fit import fit_unknown_penalty, refusals
from evals.quality.report import EvalReport
from ingest.settings import PROJECT_ROOT, RefusalCutoffs, Settings

CORPUS = PROJECT_ROOT / "corpus"


# ---------------------------------------------------------------- gold matching

def test_fold_normalises_case_whitespace_quotes_and_dashes():
    assert fold("  The  “Blue\tHeart”\n Campaign ") == 'the "blue heart" campaign'
    assert fold("IOM’s ‘buy responsibly’ label") == "iom's 'buy responsibly' label"
    assert fold("2015 – 2019 — long‑term") == "2015 - 2019 - long-term"
    assert fold("ÅRLEGE tildelingar") == "årlege tildelingar"


def test_is_relevant_matches_any_phrase_after_folding():
    passage = "Lesson 2.\nPrivate  sector engagement requires to design\ndifferentiation strategy – to approach “them”."
    assert is_relevant(passage, ["nothing here", "private sector engagement requires to design differentiation strategy"])
    assert is_relevant(passage, ['strategy - to approach "them"'])
    assert not is_relevant(passage, ["public sector engagement requires"])
    assert not is_relevant(passage, [])
    assert not is_relevant(passage, ["   "])


# ---------------------------------------------------------------- the gold set

@pytest.fixture(scope="module")
def gold() -> list[GoldItem]:
    return load_gold(GOLD_PATH)


def test_gold_set_meets_the_required_counts(gold):
    assert len(gold) >= 70
    assert sum(i.lang != "en" for i in gold) >= 12
    assert sum(not i.answerable for i in gold) >= 10
    assert {i.role for i in gold} == {"designer", "trainer", "evaluator"}
    for split in ("test", "tuning"):
        part = select(gold, split)
        assert len(part) >= 0.4 * len(gold)
        assert {i.role for i in part} == {"designer", "trainer", "evaluator"}
        assert sum(i.lang != "en" for i in part) >= 6
        assert sum(not i.answerable for i in part) >= 5
    assert {i.lang for i in gold} >= {"en", "es", "nn"}


def test_every_gold_phrase_occurs_in_the_corpus_file_it_names(gold):
    corpus = {p.stem: fold(p.read_text(encoding="utf-8")) for p in CORPUS.glob("*.txt")}
    for item in gold:
        if not item.answerable:
            assert not item.gold and not item.docs, item.id
            continue
        assert item.docs and set(item.docs) <= set(corpus), item.id
        for phrase in item.gold:
            assert 8 <= len(phrase.split()) <= 20, (item.id, phrase)
            assert any(fold(phrase) in corpus[stem] for stem in item.docs), (item.id, phrase)


def test_cross_language_items_exist(gold):
    corpus = {p.stem: p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    memo = next(stem for stem in corpus if stem.startswith("norad"))
    nynorsk = fold(corpus[memo].split("International Organization for Migration (IOM)")[0])
    english_to_nynorsk = [i for i in gold if i.lang == "en" and any(fold(p) in nynorsk for p in i.gold)]
    spanish_or_norwegian_to_english = [
        i for i in gold if i.lang in ("es", "no") and any(fold(p) not in nynorsk for p in i.gold)
    ]
    assert len(english_to_nynorsk) >= 5
    assert len(spanish_or_norwegian_to_english) >= 5


def test_gold_items_are_validated(tmp_path):
    with pytest.raises(ValueError):
        GoldItem(id="x", question="q", lang="en", role="trainer", split="test", answerable=True)
    with pytest.raises(ValueError):
        GoldItem(id="x", question="q", lang="en", role="trainer", split="test", answerable=False, gold=["a b"])
    item = {"id": "a", "question": "q", "lang": "en", "role": "designer", "split": "test", "answerable": False}
    path = tmp_path / "gold.yaml"
    path.write_text(yaml.safe_dump([item, item]), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_gold(path)
    with pytest.raises(ValueError):
        select([], "dev")


# ---------------------------------------------------------------- metrics

def test_ranking_metrics_on_known_rankings():
    flags = [False, True, False, True]
    assert hit_at(flags, 1) == 0.0 and hit_at(flags, 2) == 1.0
    assert reciprocal_rank(flags) == 0.5
    assert reciprocal_rank([False] * 3 + [True], k=3) == 0.0
    expected = (1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3))
    assert ndcg(flags, n_relevant=2) == pytest.approx(expected)
    assert ndcg([True, True], n_relevant=2) == pytest.approx(1.0)
    assert ndcg([False], n_relevant=0) == 0.0


def _outcome(i: int, *, answerable: bool, best: float, refused: bool = False, flags=(True,), weight: float = 0.0,
             names: tuple[str, ...] = ()) -> QueryOutcome:
    return QueryOutcome(id=str(i), split="tuning", role="trainer", lang="en", answerable=answerable,
                        flags=list(flags) if answerable else [False], n_relevant=1, refused=refused,
                        best_score=best, chars_top5=[100], ms=2.0, unknown_weight=weight, unknown_names=list(names))


def test_refusal_scores_and_summary():
    outcomes = [
        _outcome(1, answerable=True, best=0.9, flags=(False, True)),
        _outcome(2, answerable=True, best=0.5, refused=True),
        _outcome(3, answerable=False, best=0.4, refused=True),
        _outcome(4, answerable=False, best=0.85),
    ]
    assert refusal_scores([o.refused for o in outcomes], [o.answerable for o in outcomes]) == (0.5, 0.5, 0.5)
    assert refusal_scores([False, False], [True, False]) == (None, 0.0, 0.0)
    s = summarize(outcomes)
    assert (s.n, s.answerable, s.hit1, s.hit5, s.mrr10) == (4, 2, 0.5, 1.0, 0.75)
    assert s.chars_top5 == 100 and s.ms == 2.0


def test_calibrated_threshold_separates_when_it_can():
    outcomes = [_outcome(i, answerable=True, best=b) for i, b in enumerate([0.8, 0.9, 0.85])]
    outcomes += [_outcome(10 + i, answerable=False, best=b) for i, b in enumerate([0.6, 0.7])]
    t = calibrate_threshold(outcomes)
    assert 0.7 < t <= 0.8
    assert all((o.best_score < t) == (not o.answerable) for o in outcomes)


def test_unknown_penalty_fit_takes_the_middle_of_the_best_interval():
    settings = RefusalCutoffs(threshold=0.80, threshold_named=0.87, unknown_word_penalty=0.1)
    outcomes = [
        _outcome(1, answerable=True, best=0.86, weight=0.06),   # kept while penalty < 1.0
        _outcome(2, answerable=True, best=0.90),                # never refused
        _outcome(3, answerable=False, best=0.83, weight=0.10),  # refused once penalty > 0.3
        _outcome(4, answerable=False, best=0.85, weight=0.10),  # refused once penalty > 0.5
        _outcome(5, answerable=False, best=0.84, names=("Japan",)),  # the named rule refuses it at any penalty
    ]
    fit = fit_unknown_penalty(outcomes, cutoffs=settings)
    assert (fit.low, fit.high) == pytest.approx((0.5, 1.0)) and fit.penalty == pytest.approx(0.75)
    assert fit.f1 == 1.0 and fit.threshold == 0.80
    chosen = refusals(outcomes, cutoffs=settings.model_copy(update={"unknown_word_penalty": fit.penalty}))
    assert chosen == [False, False, True, True, True]
    lower = refusals(outcomes, cutoffs=settings.model_copy(update={"unknown_word_penalty": 0.4}))
    assert lower == [False, False, True, False, True]


def test_unknown_penalty_fit_prefers_refusing_less_on_ties():
    settings = RefusalCutoffs(threshold=0.80, threshold_named=0.87, unknown_word_penalty=0.1)
    outcomes = [_outcome(1, answerable=True, best=0.9), _outcome(2, answerable=False, best=0.7),
                _outcome(3, answerable=True, best=0.84, weight=0.1)]  # refusing it can only cost
    fit = fit_unknown_penalty(outcomes, cutoffs=settings)
    assert fit.low == 0.0 and fit.high == pytest.approx(0.4) and fit.penalty == pytest.approx(0.2)


def test_pooled_fit_moves_the_threshold_to_keep_an_answerable_question_just_under_it():
    from evals.quality.refusal_fit import fit_threshold_and_penalty

    settings = RefusalCutoffs(threshold=0.80, threshold_named=0.87, unknown_word_penalty=0.1)
    outcomes = [_outcome(1, answerable=True, best=0.795), _outcome(2, answerable=True, best=0.90),
                _outcome(3, answerable=False, best=0.75), _outcome(4, answerable=False, best=0.70)]
    fit = fit_threshold_and_penalty(outcomes, cutoffs=settings, grid=[0.74, 0.76, 0.78, 0.80, 0.82])
    assert fit.thresholds_as_good == [0.76, 0.78] and fit.threshold == 0.78 and fit.penalty.f1 == 1.0
    assert refusals(outcomes, cutoffs=settings.model_copy(update={"threshold": fit.threshold})) == [
        False, False, True, True]


def test_ablation_variants_change_one_thing_each():
    base = Settings(embedders=["e5"])
    variants = dict(ablation_variants(base))
    assert len(variants) == len(ablation_variants(base))
    assert variants["ablation: BM25 only"].search.use_dense is False
    assert variants["ablation: dense only"].search.use_keyword is False
    assert variants["ablation: embedders=minilm"].embedders == ["minilm"]
    assert variants["ablation: fusion, no second stage"].search.second_stage is False
    assert base.search.use_dense and base.search.second_stage  # the original is untouched


# ---------------------------------------------------------------- end to end

DOCS = {
    "shelters.txt": "Evaluation of shelters for victims\n\n## Findings\n\n"
    "The evaluation found that strengthening the network of shelters for victims of trafficking helped victims "
    "take part in judicial processes and testify against traffickers. Shelter staff received training on the "
    "victim centred approach and on self-care policies. Partnerships with local organisations were praised.\n",
    "campaigns.txt": "Review of awareness campaigns\n\n## Good practices\n\n"
    "A mobile phone application was developed to raise awareness of safe migration among young people in "
    "Central Asia, and the training module for police was translated into three local languages. Public service "
    "announcements used popular local faces so that the message resonated across the country.\n",
}


@pytest.mark.slow
def test_eval_end_to_end_on_a_small_corpus(tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    items = [
        {"id": "a1", "question": "Did safe houses help victims testify in court?", "lang": "en", "role": "evaluator",
         "split": "test", "answerable": True, "gold": ["helped victims take part in judicial processes and testify"]},
        {"id": "a2", "question": "¿Hubo alguna aplicación móvil para la migración segura?", "lang": "es",
         "role": "trainer", "split": "tuning", "answerable": True,
         "gold": ["A mobile phone application was developed to raise awareness of safe migration"]},
        {"id": "u1", "question": "Give me a recipe for chocolate cake", "lang": "en", "role": "trainer",
         "split": "test", "answerable": False},
        {"id": "u2", "question": "Who won the 2018 football world cup?", "lang": "en", "role": "designer",
         "split": "tuning", "answerable": False},
    ]
    gold = tmp_path / "gold.yaml"
    gold.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("LESSONS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("LESSONS_CORPUS_DIR", str(corpus))
    out = tmp_path / "RESULTS.md"

    details = tmp_path / "report.json"
    assert main(["--split", "all", "--gold", str(gold), "--out", str(out), "--json", str(details), "--embedder", "e5"]) == 0

    text = out.read_text(encoding="utf-8")
    assert text.strip() in capsys.readouterr().out
    assert "lessons eval --split all" in text and "CPU cores" in text
    rows = [line for line in text.splitlines() if line.startswith("| Lessons") or line.startswith("| stock")
            or line.startswith("| BM25")]
    assert len(rows) >= 6  # three systems in the main and the calibrated-refusal tables
    lessons_row = next(line for line in rows if line.startswith("| Lessons"))
    cells = [c.strip() for c in lessons_row.strip("|").split("|")]
    assert float(cells[3]) == 1.0  # hit@5: both answerable questions find their passage
    assert (tmp_path / "data" / "eval").is_dir()
    report = EvalReport.model_validate_json(details.read_text(encoding="utf-8"))
    assert [s.kind for s in report.systems] == ["lessons", "baseline", "baseline"]
    assert {o.id for o in report.systems[0].outcomes} == {"a1", "a2", "u1", "u2"}


@pytest.mark.slow
def test_batch_retrieve_yields_one_retrieval_per_question(tmp_path):
    from assistant.retrieval.search import SearchIndex
    from evals.quality.harness import batch_retrieve, prepare_index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "shelters.txt").write_text(DOCS["shelters.txt"], encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus, embedders=["e5"])
    target = prepare_index(settings, [("Lessons", settings)])
    settings = settings.model_copy(update={"data_dir": target})
    results = list(batch_retrieve(["shelters for victims", "", "  ", "training"], index=SearchIndex.open(settings),
                                  settings=settings, k=3))
    assert [r.query for r in results] == ["shelters for victims", "training"]
    assert all(len(r.hits) >= 1 for r in results)


def test_answer_judge_counts_a_told_absence_apart_from_a_refusal():
    from assistant.answer.types import Answer, Citation
    from evals.quality.answers import AnswerResult, judge, to_markdown

    quote = "Shelters need stable funding."
    cite = Citation(n=1, passage_id="p1", doc_id="d", title="T", quote=quote)
    docs, passages = {"d": fold("Intro. " + quote)}, {"p1": quote}
    edge = GoldItem(id="u1", question="What did the shelters in Fiji need?", lang="en", role="evaluator",
                    split="test", answerable=False)
    fine = GoldItem(id="a1", question="What do shelters need?", lang="en", role="evaluator", split="test",
                    answerable=True, gold=["shelters need stable funding"])
    told = judge(edge, Answer(question=edge.question, answer="The reports say nothing about Fiji. [1]",
                              citations=[cite], absent=["Fiji"]), passages=passages, documents=docs)
    refused = judge(edge, Answer(question=edge.question, answer="No evidence.", refused=True, absent=["Fiji"]),
                    passages=passages, documents=docs)
    plain = judge(fine, Answer(question=fine.question, answer=f"{quote} [1]", citations=[cite]),
                  passages=passages, documents=docs)
    assert told.told_absent and not told.refused and not refused.told_absent
    assert plain.gold_in_answer and plain.gold_first and plain.verbatim == 1 and not plain.told_absent
    cells = AnswerResult(label="x", outcomes=[told, plain]).row().strip("| ").split(" | ")
    assert cells[-3:] == ["0%", "100%", "0%"]  # refusal recall, refused or told absent, answerable told absent
    table = to_markdown([AnswerResult(label="x", outcomes=[told, plain])], split="each",
                        splits={"u1": "tuning", "a1": "test"})
    rows = [line for line in table.splitlines() if line.startswith("| x")]
    assert [r.split(" | ")[0] for r in rows] == ["| x [test]", "| x [tuning]", "| x [all]"]
    assert rows[0].split(" | ")[1] == "100%" and rows[1].split(" | ")[1] == "—"  # gold in answer: test has it
