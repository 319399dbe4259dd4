"""The recommendation tracker on fixture passages: rows, management responses attached by number or meaning,
filters, recurring groups across evaluations, and the `lessons recommendations` JSON lines."""

from __future__ import annotations

import json

import pytest

from assistant.cli import main
from assistant.evidence.recurring import recurring_groups
from assistant.evidence.tracker import build_rows, filter_rows, recommendation_label, row_json
from ingest.models import Filters
from ingest.settings import TrackerSettings
from tracker_helpers import tracker_passages, tracker_vectors, write_tracker_index


@pytest.fixture
def rows_and_inputs():
    passages = tracker_passages()
    vectors = tracker_vectors(passages)
    return build_rows(passages, vectors, TrackerSettings()), {p.id: p for p in passages}, vectors


def _by_text(rows, start: str):
    found = [r for r in rows if r.text.startswith(start)]
    assert len(found) == 1, [r.text for r in rows]
    return found[0]


@pytest.mark.parametrize("text, label", [
    ("Recommendation 3: Publish data", "3"), ("2.1 Fund shelters", "2.1"), ("R4. Train staff", "4"),
    ("Recomendación 5: apoyar", "5"), ("Tilråding 2: Styrk", "2"), ("Fund shelters for 3 years", ""),
    ("2021 was a hard year", ""),
])
def test_recommendation_labels(text, label):
    assert recommendation_label(text) == label


def test_every_recommendation_is_a_row_with_its_metadata(rows_and_inputs):
    rows, passages, _ = rows_and_inputs
    assert len(rows) == 6  # five report recommendations, and the response row no report holds
    assert not any(r.text.startswith("Shelters lost") for r in rows)  # a finding is not tracked
    fund = _by_text(rows, "Recommendation 1")
    assert (fund.doc_id, fund.evaluation, fund.year, fund.countries) == ("shelter-report", "shelters-2021", 2021,
                                                                        ["Mexico"])
    assert fund.themes == ["funding"] and fund.section == "4. Recommendations" and fund.label == "1"


def test_responses_attach_by_number_then_by_meaning(rows_and_inputs):
    rows, passages, _ = rows_and_inputs
    by_number = _by_text(rows, "Recommendation 1")
    assert (by_number.response, by_number.status, by_number.actions) == ("accepted", "completed",
                                                                         "Multi-year grants agreed")
    assert by_number.addressed_to == "Ministry of Social Development"
    assert passages[by_number.response_id].doc_id == "shelter-mr"
    by_meaning = _by_text(rows, "Recommendation 2")  # the matrix row names no number
    assert (by_meaning.response, by_meaning.status) == ("not accepted", "closed")
    only_in_matrix = _by_text(rows, "Recommendation 3")
    assert only_in_matrix.doc_id == "shelter-mr" and only_in_matrix.response == "partially accepted"
    no_evaluation = _by_text(rows, "Give shelters")  # same meaning as recommendation 1, but no shared evaluation
    assert no_evaluation.response is None and no_evaluation.response_id is None


def test_filters_on_passages_response_status_and_evaluation(rows_and_inputs):
    rows, passages, _ = rows_and_inputs
    assert [r.label for r in filter_rows(rows, passages, responses=["not accepted"])] == ["2"]
    assert {r.doc_id for r in filter_rows(rows, passages, responses=["unknown"])} == {"hotline-review", "memo"}
    assert [r.label for r in filter_rows(rows, passages, statuses=["Ongoing"])] == ["3"]
    assert {r.doc_id for r in filter_rows(rows, passages, filters=Filters(countries=["Nigeria"]))} == {"hotline-review"}
    assert len(filter_rows(rows, passages, evaluations=["shelters-2021"])) == 3
    assert len(filter_rows(rows, passages, filters=Filters(themes=["funding"]))) == 3


def test_recurring_groups_span_evaluations(rows_and_inputs):
    rows, _, vectors = rows_and_inputs
    groups = recurring_groups(rows, vectors, threshold=0.9)
    assert len(groups) == 1
    group = groups[0]
    assert group.evaluations == 3 and group.years == [2011, 2019, 2021]
    assert {r.doc_id for r in group.members} == {"shelter-report", "hotline-review", "memo"}
    assert group.min_similarity >= 0.9


def test_recurring_needs_different_evaluations():
    passages = tracker_passages()
    vectors = tracker_vectors(passages)
    # the report's recommendation 2 and its matrix row say the same thing, but within one evaluation
    rows = build_rows(passages, vectors, TrackerSettings(response_similarity=2.0))
    train = [r for r in rows if "rosecutors" in r.text]
    assert len(train) == 2 and len({r.evaluation for r in train}) == 1
    assert recurring_groups(train, vectors, threshold=0.9) == []
    assert len(recurring_groups(rows, vectors, threshold=0.9)) == 1  # only the funding group remains


def test_row_json_keeps_the_contract_keys(rows_and_inputs):
    rows, _, _ = rows_and_inputs
    unanswered = row_json(_by_text(rows, "Give shelters"))
    assert set(unanswered) >= {"id", "doc_id", "title", "evaluation", "year", "countries", "themes", "text"}
    assert "response" not in unanswered and "status" not in unanswered
    answered = row_json(_by_text(rows, "Recommendation 1"))
    assert answered["response"] == "accepted" and answered["status"] == "completed"


def test_cli_prints_one_json_line_per_recommendation(tmp_settings, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LESSONS_DATA_DIR", str(tmp_settings.data_dir))
    write_tracker_index(tmp_settings)
    assert main(["recommendations", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 6
    assert all({"id", "doc_id", "title", "evaluation", "year", "countries", "themes", "text"} <= set(x) for x in lines)
    assert {x["response"] for x in lines if "response" in x} == {"accepted", "not accepted", "partially accepted"}

    assert main(["recommendations", "--json", "--where", "response=accepted", "--where", "country=Mexico"]) == 0
    [only] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert only["text"].startswith("Recommendation 1") and only["status"] == "completed"

    docx_path = tmp_path / "brief.docx"
    assert main(["recommendations", "--recurring", "--json", "--docx", str(docx_path)]) == 0
    [group] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert group["evaluations"] == 3 and group["years"] == [2011, 2019, 2021]
    assert len(group["members"]) == 3 and docx_path.stat().st_size > 0


def test_a_matrix_row_without_an_answer_is_still_a_response_row():
    passages = tracker_passages()
    unanswered = passages[5].model_copy(update={"fields": {"recommendation": "Recommendation 2"},
                                                "doc_type": "management response"})
    rows = build_rows([*passages[:5], unanswered], tracker_vectors(passages), TrackerSettings())
    second = _by_text(rows, "Recommendation 2")  # its number wins over the closer meaning of another row
    assert second.response_id == unanswered.id and second.response is None
    assert not any(r.id == unanswered.id for r in rows)  # attached, not listed as a recommendation of its own
    assert _by_text(rows, "Joint training").response == "not accepted"  # the row it did not take stands alone


def test_a_question_for_rejected_recommendations_draws_the_rows_that_say_so(tmp_settings, e5_embedder, monkeypatch):
    """Each search keeps one candidate here, as a large corpus crowds a short matrix row out of its best:
    the rows with the response the question asks for join the candidates anyway, before the other rows."""
    import tracker_helpers
    from assistant.retrieval.search import SearchIndex, retrieve

    monkeypatch.setattr(tracker_helpers, "tracker_vectors", lambda passages: dict(zip(
        (p.id for p in passages), e5_embedder.embed_passages([p.text for p in passages]))))  # real meaning
    tracker_helpers.write_tracker_index(tmp_settings)
    search = tmp_settings.search.model_copy(update={"candidates": 1})
    settings = tmp_settings.model_copy(update={"search": search})
    index = SearchIndex.open(settings)
    question = "Which recommendations did management reject?"
    responses = [h.passage.fields.get("response") for h in retrieve(question, index=index, settings=settings, k=5).hits]
    assert "not accepted" in responses and responses.index("not accepted") < responses.index("accepted")
    off = settings.model_copy(update={"search": search.model_copy(update={"response_candidates": 0})})
    assert not any(h.passage.fields.get("response") == "not accepted"
                   for h in retrieve(question, index=index, settings=off, k=5).hits)
