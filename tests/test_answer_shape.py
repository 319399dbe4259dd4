"""The answer's shape: a lead of what answers the question, recommendations for "what should we do", the frame in
the asker's language, verbatim table cells, the same evidence cited once."""

from __future__ import annotations

from answer_helpers import (
    DEVFUND,
    corpus_passage,
    devfund_challenges,
    norad_findings,
    puebla_lesson,
    retrieval_of,
    unodc_findings,
    unodc_lessons,
)
from assistant.answer.compose import compose_answer, refusal_answer
from assistant.answer.frame import frame_for
from assistant.answer.pick import asks_what_to_do
from assistant.answer.sources import answer_body
from assistant.retrieval.question import holds_fact
from evals.quality.metrics import fold
from ingest.models import Kind, Passage
from ingest.settings import AnswerSettings, Settings
from ingest.tables import table_blocks

SETTINGS = Settings()


def budget_passage() -> Passage:
    """The Development Fund review's paragraph that gives the share of the budget spent on CT and PX projects."""
    return corpus_passage(DEVFUND, "Figure 4 shows the total proportion", "Meanwhile, Figure 5", kind=Kind.text,
                          section="3. OVERVIEW")


def test_a_factual_question_leads_with_the_passage_holding_the_figure_whatever_the_role():
    question = "What share of the IOM Development Fund budget went to CT and PX projects?"
    retrieval = retrieval_of(question, [budget_passage(), puebla_lesson(2), unodc_lessons(), unodc_findings()])
    for role in (None, "designer", "trainer", "evaluator"):
        answer = compose_answer(question, retrieval, role=role, settings=SETTINGS)
        first = answer.citations[0]
        assert "15 per cent" in first.quote and first.doc_id == DEVFUND.removesuffix(".txt")
        assert answer_body(answer.answer).startswith("- ")  # the lead comes before any heading
        assert "Other relevant passages" not in answer.answer


def test_a_what_should_we_do_question_leads_with_a_recommendation():
    question = "What should we do to involve civil society organisations?"
    assert asks_what_to_do(question) and asks_what_to_do("¿Qué deberíamos hacer?") and asks_what_to_do("Hva bør vi gjøre?")
    lesson = puebla_lesson(4)
    retrieval = retrieval_of(question, [unodc_findings(), lesson, devfund_challenges()])
    answer = compose_answer(question, retrieval, settings=SETTINGS)
    first = answer.citations[0]
    assert first.passage_id == lesson.id and first.quote in lesson.fields["Recommendation"]
    assert answer_body(answer.answer).splitlines()[0].startswith("- Recommendation: “")  # label outside the quote


def test_a_weaker_recommendation_does_not_displace_the_best_hit_of_a_what_should_we_do_question():
    question = "What should we do to involve civil society organisations?"
    lesson = puebla_lesson(4)
    retrieval = retrieval_of(question, [unodc_findings(), devfund_challenges(), lesson])  # scores 1.0, 0.9, 0.8
    answer = compose_answer(question, retrieval, settings=SETTINGS)
    assert answer.citations[0].passage_id == unodc_findings().id


def test_a_spanish_and_a_norwegian_question_get_the_frame_in_their_language():
    spanish = "¿Qué desafíos encontraron los proyectos con el sector privado?"
    answer = compose_answer(spanish, retrieval_of(spanish, [devfund_challenges(), unodc_findings()]), settings=SETTINGS)
    assert "\n\nFuentes:\n" in answer.answer and "Sources:" not in answer.answer
    assert "(en inglés)" in answer.answer  # the quotes stay in the report's language, named
    norwegian = "Hvilke utfordringer hadde prosjektene med privat sektor?"
    answer = compose_answer(norwegian, retrieval_of(norwegian, [devfund_challenges(), norad_findings()]),
                            settings=SETTINGS)
    assert "\n\nKilder:\n" in answer.answer and "(på engelsk)" in answer.answer
    assert answer_body(answer.answer) != answer.answer
    assert refusal_answer("¿Qué dicen sobre la trata en Marte?").answer.startswith("Los informes no contienen")
    assert refusal_answer("Hva sier rapportene om menneskehandel på Mars?").answer.startswith("Rapportene har ikke")


def test_a_quote_from_a_table_row_is_verbatim_in_the_source():
    source = ("Area\tImpact, sustainability and follow up\tResponsible\n"
              "Shelters\tGive continuity to the support for shelters for victims of trafficking after the project ends."
              "\tMinistry of Interior\n")
    offset, lines = 0, []
    for line in source.splitlines(keepends=True):
        lines.append((offset, line.rstrip("\n")))
        offset += len(line)
    block = table_blocks(lines, ["RECOMMENDATIONS"])[0]
    assert block.text.startswith("Area: Shelters | Impact, sustainability and follow up: Give continuity")
    passage = Passage(id="d:1", doc_id="d", title="Brief", text=block.text, start=block.start, end=block.end,
                      kind=block.kind, fields=block.fields, section="RECOMMENDATIONS")
    question = "How to give continuity to the support for shelters?"
    answer = compose_answer(question, retrieval_of(question, [passage]), settings=SETTINGS)
    quote = answer.citations[0].quote
    assert quote.startswith("Give continuity") and fold(quote) in fold(source)
    assert "Impact, sustainability and follow up: “Give continuity" in answer.answer  # header as a label


def test_the_same_evidence_in_two_documents_is_cited_once_with_where_else():
    findings = unodc_findings()
    copy = findings.model_copy(update={"id": "report:1", "doc_id": "report", "title": "Full evaluation report"})
    question = "How relevant were the interventions?"
    answer = compose_answer(question, retrieval_of(question, [findings, copy]), settings=SETTINGS)
    assert len(answer.citations) == 1 and "also in: Full evaluation report" in answer.answer


def test_the_answer_keeps_within_its_budget_and_leaves_weak_passages_out():
    question = "What challenges did projects face?"
    passages = [devfund_challenges(), unodc_findings(), unodc_lessons(), puebla_lesson(1), puebla_lesson(2)]
    settings = Settings(answer=AnswerSettings(answer_chars=400, lead_chars=300))
    answer = compose_answer(question, retrieval_of(question, passages), settings=settings)
    quoted = sum(len(" ".join(c.quote.split())) for c in answer.citations)
    assert quoted <= 400 + len(" ".join(answer.citations[0].quote.split()))
    assert len(answer.citations) < len(passages)


def test_a_question_naming_what_the_reports_never_mention_says_so_before_the_nearest_evidence():
    from assistant.retrieval.refusal import Unknowns

    question = "What should shelters in Brazil do for victims?"
    retrieval = retrieval_of(question, [puebla_lesson(4), unodc_findings()])
    plain = compose_answer(question, retrieval, settings=SETTINGS)
    assert not plain.answer.startswith("The reports say nothing")
    retrieval.unknowns = Unknowns(names=["Brazil"])
    answer = compose_answer(question, retrieval, settings=SETTINGS)
    assert answer.answer.startswith("The reports say nothing about Brazil; the nearest evidence is:\n- ")
    assert answer.absent == ["Brazil"] and plain.absent == []  # what the eval counts as told absent
    assert [c.passage_id for c in answer.citations] == [c.passage_id for c in plain.citations]
    spanish = "¿Qué deberían hacer los albergues en Brasil por las víctimas?"
    retrieval = retrieval_of(spanish, [puebla_lesson(4)])
    retrieval.unknowns = Unknowns(names=["Brasil"])
    assert compose_answer(spanish, retrieval, settings=SETTINGS).answer.startswith(
        "Los informes no dicen nada sobre Brasil")


def test_a_place_the_evidence_found_is_not_about_is_said_before_it_in_the_askers_language():
    from assistant.retrieval.refusal import Unknowns

    question = "¿Qué aprendieron los albergues en Canadá?"
    retrieval = retrieval_of(question, [puebla_lesson(4), unodc_findings()])
    plain = compose_answer(question, retrieval, settings=SETTINGS)
    retrieval.unknowns = Unknowns(not_in_evidence=["Canadá"])
    answer = compose_answer(question, retrieval, settings=SETTINGS)
    assert answer.answer.startswith("Ninguno de los informes encontrados trata de Canadá; la evidencia más cercana")
    assert answer.absent == ["Canadá"] and plain.absent == []
    assert answer.answer.removeprefix(answer.answer.split("\n")[0] + "\n") == plain.answer
    retrieval.unknowns = Unknowns(names=["Perú"], not_in_evidence=["Canadá"])
    lines = compose_answer(question, retrieval, settings=SETTINGS).answer.splitlines()
    assert lines[0].startswith("Los informes no dicen nada sobre Perú") and lines[1].startswith("Ninguno")


def test_evidence_left_out_of_the_text_is_kept_for_the_app_to_show_on_demand():
    from answer_helpers import devfund_synergies, unodc_good_practices

    from assistant.web.render import chat_message

    question = "How should projects engage the private sector?"
    passages = [puebla_lesson(2), devfund_synergies(), puebla_lesson(3), unodc_findings(), unodc_good_practices(),
                devfund_challenges(), unodc_lessons(), norad_findings()]
    tight = SETTINGS.model_copy(update={"answer": AnswerSettings(answer_chars=400, lead_chars=300)})
    answer = compose_answer(question, retrieval_of(question, passages), settings=tight)
    shown = {c.passage_id for c in answer.citations}
    assert answer.more and not shown & {c.passage_id for c in answer.more}
    assert [c.n for c in answer.more] == list(range(len(answer.citations) + 1, len(answer.citations) + 1 + len(answer.more)))
    by_id = {p.id: p for p in passages}
    assert all(c.quote in by_id[c.passage_id].text for c in answer.more)
    assert f"More evidence ({len(answer.more)})" in chat_message(answer, by_id)


def test_a_list_flattened_into_one_line_is_quoted_at_the_item_that_answers():
    from answer_helpers import NORAD

    raw = corpus_passage(NORAD, "- a. they understand", "Comprehensive Programming", kind=Kind.text)
    passage = raw.model_copy(update={"text": " ".join(raw.text.split())})  # the items as ingestion joins them
    question = "What overhead does IOM charge on its projects?"
    answer = compose_answer(question, retrieval_of(question, [passage, unodc_findings()]), settings=SETTINGS)
    first = answer.citations[0]
    assert first.passage_id == passage.id and first.quote in passage.text
    assert first.quote.startswith("IOM is cost effective with its standard 5% overhead")


def test_a_labelled_list_run_into_its_announcing_sentence_is_quoted_at_the_item():
    text = ("The project attained most of its outputs. Some good practices can be derived to sustain the observed "
            "results: Close alignment with frameworks: The alignment with regional strategies was key. "
            "Exit strategy: To be developed at the design phase, it could have made the results last.")
    passage = Passage(id="p", doc_id="d", title="Final evaluation", text=text, start=0, end=len(text))
    question = "Did alignment with regional strategies matter?"
    quote = compose_answer(question, retrieval_of(question, [passage]), settings=SETTINGS).citations[0].quote
    assert quote.startswith("Close alignment with frameworks: The alignment") and "Some good practices" not in quote
    assert quote in text


def test_words_that_only_name_the_report_do_not_choose_the_sentence():
    question = "What did the UNODC evaluation in Mexico conclude about partnerships?"
    answer = compose_answer(question, retrieval_of(question, [unodc_findings()]), settings=SETTINGS)
    quote = answer.citations[0].quote
    assert "Achieved partnerships and cooperation" in quote and not quote.startswith("Both interventions")


def test_a_question_asking_which_countries_or_how_many_quotes_the_sentence_that_holds_them():
    text = ("The evaluation covered the design of the programme and its management in depth. "
            "Field work took place in Bangladesh, Nigeria and Norway. "
            "The programme trained 420 officers and supported 35 shelters over the period.")
    passage = Passage(id="p", doc_id="d", title="Review", text=text, start=0, end=len(text), kind=Kind.finding)
    plain = Settings(answer=AnswerSettings(quote_weights={"expected_fact": 0.0}))

    def first_quote(question: str, settings: Settings) -> str:
        return compose_answer(question, retrieval_of(question, [passage]), settings=settings).citations[0].quote

    where = "Which countries did the evaluation of the programme cover?"
    assert "Field work took place in Bangladesh, Nigeria and Norway." in first_quote(where, SETTINGS)
    assert "Bangladesh" not in first_quote(where, plain)  # the words alone pick the other sentence only
    assert "420 officers" in first_quote("How many did the programme's training reach?", SETTINGS)
    assert holds_fact("Approval can take up to several months.", "duration")
    assert holds_fact("dans les 3 à 6 mois", "duration")
    assert not holds_fact("Approval can take up to several months.", "quantity")
    assert holds_fact("Le projet a couvert le Sénégal.", "place") and not holds_fact("In the region.", "place")
    assert holds_fact("Translate the toolkit into Arabic, French and Spanish", "language")
    assert not holds_fact("The toolkit was translated into practice.", "language")


def test_how_do_we_questions_ask_what_to_do_and_factual_ones_do_not():
    assert asks_what_to_do("How do we get apparel manufacturers interested in working with us?")
    assert asks_what_to_do("¿Cómo podemos involucrar a las empresas textiles?")
    assert asks_what_to_do("Hvordan kan vi styrke samarbeidet?")
    assert not asks_what_to_do("How did the returnee project use a concert?")
    assert not asks_what_to_do("How many jobs did the project create?")


def test_a_question_about_the_management_response_quotes_the_response_labelled_outside_the_quote():
    recommendation = "Provide regular psychological counselling for staff in the transit centres."
    response = "Accepted: the global mental health unit offers counselling to all staff."
    actions = "Sessions scheduled every quarter in each centre."
    text = (f"Evaluation recommendation 1: {recommendation} | Management response: {response} | "
            f"Key actions: {actions}")
    passage = Passage(id="m", doc_id="matrix", title="Management response matrix", text=text, start=0,
                      end=len(text), kind=Kind.recommendation,
                      fields={"recommendation": recommendation, "response_text": response, "actions": actions})
    for question in ("What did management answer to the recommendation on counselling for staff?",
                     "Korleis svarte leiinga på tilrådinga om psykologisk oppfølging av dei tilsette?"):
        answer = compose_answer(question, retrieval_of(question, [passage]), settings=SETTINGS)
        assert answer.citations[0].quote == response
        label = frame_for(question).field_label("response_text")  # "Svaret frå leiinga" in Nynorsk
        assert answer_body(answer.answer).splitlines()[0].startswith(f"- {label}: “Accepted")
    asked = "What was recommended on counselling for staff in transit centres?"
    assert compose_answer(asked, retrieval_of(asked, [passage]), settings=SETTINGS).citations[0].quote == recommendation


def test_advice_is_quoted_at_the_sentence_of_the_recommendation_that_answers():
    recommendation = ("Partners should run participatory diagnostics with local civil society before design. "
                      "Diagnostics should involve youth, women and the authorities of the border areas. "
                      "This could be done 3 to 6 months before any future design phase.")
    text = f"Recommendation 1: {recommendation} | Management response: accepted"
    passage = Passage(id="r", doc_id="matrix", title="Management response matrix", text=text, start=0,
                      end=len(text), kind=Kind.recommendation,
                      fields={"recommendation": recommendation, "response_text": "accepted"})

    def quote(question: str) -> str:
        return compose_answer(question, retrieval_of(question, [passage]), settings=SETTINGS).citations[0].quote

    assert quote("What should we do with local civil society before design?").startswith("Partners should run")
    assert "3 to 6 months" in quote("How long before a new design phase should we run the diagnostics?")


def test_the_line_said_before_the_evidence_counts_in_the_answers_budget():
    from assistant.retrieval.refusal import Unknowns

    question = "What did the evaluations find about shelters in Canada?"
    retrieval = retrieval_of(question, [unodc_findings(), puebla_lesson(4), puebla_lesson(2)])
    plain = compose_answer(question, retrieval, settings=SETTINGS)
    assert len(plain.citations) >= 2
    fitted = Settings(answer=AnswerSettings(answer_chars=len(plain.answer)))
    assert compose_answer(question, retrieval, settings=fitted).answer == plain.answer
    retrieval.unknowns = Unknowns(not_in_evidence=["Canada"])
    edged = compose_answer(question, retrieval, settings=fitted)
    assert edged.answer.startswith("None of the reports found is about Canada")
    assert len(edged.answer) <= len(plain.answer) and len(edged.citations) < len(plain.citations)


def test_an_evaluator_answer_names_each_report_once_and_counts_the_note_in_its_budget():
    passages = [unodc_findings(), unodc_lessons(), devfund_challenges()]
    retrieval = retrieval_of("What did the evaluations find?", passages)
    answer = compose_answer(retrieval.query, retrieval, role="evaluator", settings=SETTINGS)
    lines = [line for line in answer_body(answer.answer).splitlines() if line.startswith("- ")]
    unodc = [c.n for c in answer.citations if c.doc_id.startswith("unodc")]
    assert len(unodc) == 2, answer.answer
    assert sum("Evaluation brief" in line for line in lines) == 1  # the report named at its first quote only
    tight = SETTINGS.model_copy(update={"answer": SETTINGS.answer.model_copy(update={"answer_chars": 700})})
    for role in ("evaluator", None):
        short = compose_answer(retrieval.query, retrieval, role=role, settings=tight)
        assert len(short.answer) <= 700 + len(answer_body(short.answer).splitlines()[0]), role
