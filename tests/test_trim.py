"""Cutting a sentence too long to quote whole: at a boundary, keeping the clauses that answer, verbatim."""

from __future__ import annotations

from answer_helpers import retrieval_of
from assistant.answer.compose import compose_answer
from assistant.answer.trim import best_window, trim_span
from ingest.settings import AnswerSettings, Settings
from ingest_helpers import make_passage

# one sentence of 70 words: a concession first, what was found after the comma
LONG = ("While most staff and partners are fully committed to protecting information about the people they serve, "
        "and while there is a strong framework for data protection (including data security and data sharing), "
        "the evaluation still found several instances where personal data was transferred by email and over other "
        "channels which were not secure, and information-sharing processes that are vulnerable to attack or to "
        "security breaches in the field offices.")


def test_trim_span_prefers_sentence_then_clause_boundaries():
    text = "One two three four five six. Seven eight nine, ten eleven twelve thirteen fourteen fifteen."
    start, end, cut = trim_span(text, 0, len(text), 10)
    assert cut and text[start:end] == "One two three four five six."
    text = "Alpha beta gamma delta epsilon zeta, eta theta iota kappa lambda mu nu xi omicron."
    start, end, cut = trim_span(text, 0, len(text), 10)
    assert cut and text[start:end] == "Alpha beta gamma delta epsilon zeta"
    assert trim_span(text, 0, len(text), 60) == (0, len(text), False)


def test_best_window_keeps_the_clauses_that_score_highest():
    def rate(runs: list[str]) -> list[float]:
        return [float("personal data was transferred" in run) for run in runs]

    start, end, opened, cut = best_window(LONG, 0, len(LONG), 30, score=rate)
    quote = LONG[start:end]
    assert opened and quote.startswith("the evaluation still found") and "personal data was transferred" in quote
    assert len(quote.split()) <= 30 and cut


def test_best_window_keeps_the_head_on_a_tie_and_short_sentences_whole():
    flat = best_window(LONG, 0, len(LONG), 30, score=lambda runs: [1.0] * len(runs))
    assert flat[:3] == (*trim_span(LONG, 0, len(LONG), 30)[:2], False)
    assert best_window(LONG, 0, len(LONG), 80, score=lambda runs: [0.0] * len(runs)) == (0, len(LONG), False, False)


def test_a_long_sentence_is_quoted_from_the_clause_that_answers_with_ellipses_outside():
    passage = make_passage("data-evaluation", 0, LONG + " Data are not always shared back with communities.")
    retrieval = retrieval_of("Was personal data sent over channels that are not secure?", [passage])
    answer = compose_answer(retrieval.query, retrieval, settings=Settings(answer=AnswerSettings(max_quote_words=30)))
    quote = answer.citations[0].quote
    assert quote in passage.text and quote.startswith("the evaluation still found")
    assert f"… {' '.join(quote.split())} … [1]" in answer.answer
