"""Coverage check: pure scoring pieces, then verdicts over the real e5 index of the seed corpus."""

from __future__ import annotations

import pytest

from app_server import seeded_settings
from assistant.answer.coverage import containment, evidence_score, split_lines, verdict
from assistant.answer.types import Hit
from ingest.models import Passage
from ingest.settings import CoverageSettings

COPIED = [  # lines taken from the seed documents' recommendations and lessons
    "Improve the design of interventions, by investigating more profoundly the problem matter before the design "
    "is done, conducting a deeper risk analysis and developing better indicators of impact.",
    "Formulate a project sustainability plan prior to project closure to ensure outcomes can be sustained.",
    "Capacity building through trainer of trainers programmes is better than through direct training workshops "
    "because of the high rotation of personnel in institutions.",
]
PARAPHRASED = [  # the same ideas in other words
    "Because staff in institutions change often, training trainers leaves more lasting results than running workshops.",
    "Before a project ends, plan how its results will be kept going once funding stops.",
]
UNRELATED = [
    "Replace the office printers with a leasing contract before the next fiscal year.",
    "The cafeteria menu should offer more vegetarian options on Fridays.",
]
NEW_ON_TOPIC = [  # about trafficking, but nothing in the seed reports says it
    "Use drones to monitor remote border crossings for smuggling activity.",
    "Train airline cabin crew to recognise signs of trafficking on international flights.",
]


def _hit(text: str, dense: float | None) -> Hit:
    passage = Passage(id="d:1", doc_id="d", title="T", text=text, start=0, end=len(text))
    return Hit(passage=passage, score=1.0, scores={} if dense is None else {"dense_e5": dense})


def test_split_lines_drops_bullets_numbers_and_blanks() -> None:
    text = "- first finding\n\n  2. second one\n* third\n(a) fourth\nplain line\n   \n"
    assert split_lines(text) == ["first finding", "second one", "third", "fourth", "plain line"]


def test_containment_counts_content_words() -> None:
    passage = "Projects should formulate sustainability plans before closure."
    assert containment("formulate a sustainability plan", passage) == 1.0
    assert containment("buy new printers", passage) == 0.0
    assert containment("the of and", passage) == 0.0  # no content words


def test_evidence_score_blends_dense_and_containment() -> None:
    t = CoverageSettings(dense_weight=0.5)
    score, dense, contained = evidence_score("sustainability plans", _hit("Write sustainability plans.", 0.8), thresholds=t)
    assert (dense, contained) == (0.8, 1.0) and score == pytest.approx(0.9)
    keyword_only, _, _ = evidence_score("sustainability plans", _hit("Write plans.", None), thresholds=t)
    assert keyword_only == pytest.approx(0.5)


def test_verdict_thresholds() -> None:
    t = CoverageSettings(covered=0.8, partly=0.6)
    assert [verdict(s, thresholds=t) for s in (0.95, 0.8, 0.7, 0.6, 0.3)] == [
        "covered", "covered", "partly covered", "partly covered", "new",
    ]


@pytest.fixture(scope="module")
def index_and_settings(tmp_path_factory):
    """A SearchIndex over an ingested copy of the seed corpus (e5)."""
    from assistant.retrieval.search import SearchIndex

    settings = seeded_settings(tmp_path_factory.mktemp("coverage"))
    return SearchIndex.open(settings), settings


@pytest.mark.slow
def test_copied_lines_are_covered_with_verbatim_evidence(index_and_settings) -> None:
    from assistant.answer.coverage import check_coverage

    index, settings = index_and_settings
    rows = check_coverage(COPIED, index=index, settings=settings)
    passages = {p.id: p for p in index.store.all_passages()}
    assert [r.line for r in rows] == COPIED
    for row in rows:
        assert row.verdict == "covered", row
        assert row.quote and row.quote in passages[row.passage_id].text
        assert row.title and row.year


@pytest.mark.slow
def test_paraphrases_are_not_new_and_new_lines_are(index_and_settings) -> None:
    from assistant.answer.coverage import check_coverage

    index, settings = index_and_settings
    para = check_coverage(PARAPHRASED, index=index, settings=settings)
    other = check_coverage(UNRELATED + NEW_ON_TOPIC, index=index, settings=settings)
    assert all(r.verdict != "new" for r in para), para
    assert all(r.verdict == "new" for r in other), other
    assert min(r.score for r in para) > max(r.score for r in other)
    assert para[0].doc_id.startswith("unodc-2022")  # the trainer-of-trainers lesson


def test_verdicts_are_named_in_the_language_of_the_pasted_lines(index_and_settings) -> None:
    from assistant.answer.coverage import check_coverage

    index, settings = index_and_settings
    english = check_coverage(COPIED[:1], index=index, settings=settings)
    spanish = check_coverage(["Mejorar el diseño de las intervenciones investigando más a fondo el problema antes "
                              "de diseñarlas y desarrollando mejores indicadores de impacto."],
                             index=index, settings=settings)
    assert english[0].verdict_label == english[0].verdict == "covered"
    assert spanish[0].verdict_label in {"ya tratado", "tratado en parte", "nuevo"}
    assert spanish[0].verdict_label != spanish[0].verdict
