"""Quotes from a management-response row: every cell quotable on its own, the verdict kept with its response."""

from __future__ import annotations

import pytest

from answer_helpers import retrieval_of
from assistant.answer.compose import compose_answer
from assistant.answer.frame import FIELD_NAMES, STRINGS, frame_for
from assistant.answer.pick import pick_quotes
from assistant.answer.quotes import quote_candidates
from ingest.matrix import FIELD_LABELS
from ingest.models import Kind
from ingest.settings import AnswerSettings, Settings
from ingest.tables import LESSON_LABELS
from ingest_helpers import make_passage

RECOMMENDATION = ("The team should enhance and standardize feedback systems. This recommendation relates to many "
                  "findings on duplication of effort across offices")
RESPONSE = ("Unit A accepts the recommendation. The unit is developing a toolkit with practical guidance and will "
            "pilot it in three regions")
ACTIONS = "Finalize the toolkit and translate into Arabic, French and Spanish (2025 subject to funds)"
# as a matrix row is read: labels, then cells that end without a full stop, so one "sentence" runs across them
ROW = (f"Evaluation recommendation # 8: {RECOMMENDATION} | Management response: {RESPONSE} | Key actions: "
       f"{ACTIONS} | Responsible unit(s): Unit A")


def matrix_row(text: str = ROW, **fields: str) -> object:
    values = {"recommendation": RECOMMENDATION, "response_text": RESPONSE, "actions": ACTIONS,
              "responsible": "Unit A", **fields}
    return make_passage("mr", 0, text, kind=Kind.recommendation, fields=values,
                        doc_type="management response")


def response_row(number: str, recommendation: str, written: str, actions: str, **fields: str) -> object:
    """A matrix row as read from a form (`written`: the response cell): each cell after its label, " | " between."""
    text = (f"Evaluation recommendation {number}: {recommendation} | Management response: {written} | "
            f"Key actions: {actions} | Responsible unit(s): Unit A")
    return matrix_row(text, recommendation=recommendation, response_text=written, actions=actions, **fields)


def quote_for(question: str, passage) -> object:
    quote, = pick_quotes(question, [passage], settings=AnswerSettings())
    return quote


def test_a_sentence_running_across_cells_gives_each_cell_as_a_candidate():
    passage = matrix_row()
    usable, regions = quote_candidates(passage)
    quotable = [passage.text[a:z] for a, z in usable]
    assert ACTIONS in quotable  # the cell the sentence ran on into is not lost to the larger one
    assert "The unit is developing a toolkit with practical guidance and will pilot it in three regions" in quotable
    assert all(" | " not in q and not q.startswith(("Key actions", "Management response")) for q in quotable)
    # a short cell value found inside a longer one ("Unit A" opens the response) is placed at its own cell
    where = {name: (a, z) for name, a, z, _ in regions}
    assert passage.text[slice(*where["responsible"])] == "Unit A" and where["responsible"][0] > where["actions"][1]


def test_the_action_asked_for_is_quoted_from_its_cell():
    passage = matrix_row()
    quote, = pick_quotes("Into which languages will the toolkit be translated?", [passage], settings=AnswerSettings())
    assert quote.text.startswith("Finalize the toolkit and translate into Arabic, French and Spanish")
    assert quote.text in passage.text


def test_a_verdict_that_opens_the_response_is_quoted_with_it():
    response = "Accepted. The monitoring plan will be designed with reference to the logframe"
    passage = response_row("8", "To develop a robust monitoring system.", response, "8.1 Design a monitoring plan")
    assert quote_for("How did management respond to the advice on a monitoring plan?", passage).text == response


def test_a_response_cell_holding_only_a_verdict_passes_to_the_actions():
    actions = "1. Engage bilateral partners before the project ends, to fund the activities after it"
    passage = response_row("# 9", "Seek funding from bilateral cooperation after the grant ends.", "accept (Time 1)",
                           actions)
    quote = quote_for("What did management answer to the advice on finding other donors?", passage)
    assert quote.text == actions and quote.field == "actions"


@pytest.mark.parametrize(("question", "lang"), [
    ("¿Qué debería hacer el equipo con los sistemas de retroalimentación?", "es"),
    ("Into which languages will the toolkit be translated?", "en"),
])
def test_a_fields_label_is_in_the_askers_language_and_outside_the_quote(question, lang):
    answer = compose_answer(question, retrieval_of(question, [matrix_row()]), settings=Settings())
    quote = answer.citations[0].quote
    field = next(name for name, value in matrix_row().fields.items() if quote in value)
    label = frame_for(question).field_label(field)
    assert answer.answer.startswith(f"- {label}: “{quote}”")
    assert label == FIELD_LABELS[field] if lang == "en" else label == FIELD_NAMES[lang][FIELD_LABELS[field]]


def test_every_label_structure_adds_has_a_name_in_every_language_of_the_frame():
    labels = set(FIELD_LABELS.values()) | set(LESSON_LABELS.values())
    assert set(FIELD_NAMES) == set(STRINGS) - {"en"}
    assert all(labels <= set(names) for names in FIELD_NAMES.values())


def test_a_question_about_rejected_recommendations_quotes_why_they_were_rejected():
    response = "Rejected. This recommendation is rejected because the budget of the second phase is already set"
    passage = response_row("7", "To combine in-person activities with virtual tools.", response, "N/A",
                           response="not accepted")
    quote = quote_for("Which recommendations did management reject, and why?", passage)
    assert quote.text == response and quote.field == "response_text"
    question = "Which recommendations did management reject, and why?"
    numbered = passage.model_copy(update={"fields": {**passage.fields, "number": "7"}})
    answer = compose_answer(question, retrieval_of(question, [numbered]), settings=Settings())
    assert answer.answer.startswith(f"- Management response (recommendation 7): “{response}”")


def test_a_forms_time_stamp_ends_the_verdict_before_the_reasons():
    response = ("partially accept (Time 1) The recommendation is partially accepted because a dedicated coordination "
                "post for every project may not be feasible.")
    passage = response_row("# 5", "Pool resources across agencies.", response, "1. Coordinate early",
                           response="partially accepted")
    quote = quote_for("Which recommendation did management only partly accept, and why?", passage)
    assert quote.text == response.removeprefix("partially accept (Time 1) ")


def test_a_quote_in_another_language_than_its_document_is_named_by_its_own():
    """A French matrix whose management answered in English: the note names the quote's language."""
    response = "The recommendation is partially accepted because full harmonization across agencies is limited"
    passage = response_row("# 5", "Renforcer la mutualisation des ressources entre les agences.", response,
                           "1. Promouvoir la coordination", response="partially accepted").model_copy(
                               update={"language": "fr"})
    for question, note in (("Which recommendation did management only partly accept, and why?", None),
                           ("¿Qué recomendación aceptó parcialmente la dirección, y por qué?", "(en inglés)")):
        answer = compose_answer(question, retrieval_of(question, [passage]), settings=Settings())
        assert answer.citations[0].quote == response
        assert "French" not in answer.answer and "francés" not in answer.answer
        assert note is None or note in answer.answer
