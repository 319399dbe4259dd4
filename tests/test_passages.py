"""Passages: structure beats size, sizes and overlap, offsets, metadata, language, no furniture."""

from __future__ import annotations

import re
from functools import cache

import pytest

from fixtures_docs import DEVFUND, NORAD, PUEBLA, UNODC, corpus_doc, make_pdf, text_doc
from ingest.clean import clean_document
from ingest.lang import split_sentences
from ingest.load import load_file
from ingest.models import Kind
from ingest.passages import make_passages
from ingest.settings import IngestSettings
from ingest.structure import normalise, parse_blocks

SETTINGS = IngestSettings()
ALL = (PUEBLA, DEVFUND, NORAD, UNODC)


@cache
def passages_of(name: str):
    doc = corpus_doc(name)
    return doc, make_passages(doc, parse_blocks(doc.text), settings=SETTINGS)


def test_each_puebla_lesson_is_its_own_lesson_passage():
    _, passages = passages_of(PUEBLA)
    lessons = [p for p in passages if p.kind is Kind.lesson]
    assert len(lessons) == 5
    for n, passage in enumerate(lessons, 1):
        assert passage.text.startswith(f"Lesson {n}. Brief description: ")
        assert passage.fields["lesson"] == f"Lesson {n}" and passage.fields["recommendation"]
        assert f"Recommendation: {passage.fields['recommendation']}" in passage.text
        assert passage.organisation == "IOM" and passage.year == 2021 and passage.countries == ["Mexico"]
    assert "open up a collaborative space between civil society organization" in lessons[2].text


def test_devfund_recommendations_are_one_passage_each():
    _, passages = passages_of(DEVFUND)
    key = [p for p in passages if p.section == "1. EXECUTIVE SUMMARY > Key Recommendations"
           and p.kind is Kind.recommendation]
    six = [p for p in passages if p.section == "6. RECOMMENDATIONS" and p.kind is Kind.recommendation]
    assert len(key) == 9 and len(six) == 9
    assert key[-1].text == "Develop contingency plan for activities susceptible to changing political contexts of countries"
    assert six[0].text.startswith("Advance interagency and regional coordination for CT/PX activities: This review")


@pytest.mark.parametrize("number", [3, 4, 24])
def test_tilraading_items_are_one_passage_each(number):
    _, passages = passages_of(NORAD)
    hits = [p for p in passages if f"Tilråding {number} " in p.text]
    assert len(hits) == 1
    assert hits[0].kind is Kind.recommendation and hits[0].text.startswith(f"Tilråding {number} om at IOM")
    assert hits[0].language == "nn"


def test_annex_rows_are_table_row_passages_with_column_names():
    _, passages = passages_of(DEVFUND)
    rows = [p for p in passages if p.kind is Kind.table_row and p.section == "Annex 2: List of Projects"]
    assert len(rows) == 17
    assert all({"Funding Year", "Project Code", "Project Title", "Region"} <= set(p.fields) for p in rows)
    assert "Project Code: CT.1061" in rows[9].text and "Benefiting Member States: Kazakhstan" in rows[9].text


@pytest.mark.parametrize("name", ALL)
def test_no_passage_is_furniture(name):
    _, passages = passages_of(name)
    for passage in passages:
        assert "17 route des Morillons" not in passage.text
        assert passage.text != "International Organization for Migration (IOM) The UN Migration Agency"
        assert not re.search(r"Sincerely|Tel: \+41|hq@iom\.int|Click or tap|handwritten signature", passage.text)
        assert not re.fullmatch(r"[\d\s/.-]+", passage.text)


@pytest.mark.parametrize("name", ALL)
def test_only_front_matter_lacks_a_section(name):
    _, passages = passages_of(name)
    first_with_section = min(p.start for p in passages if p.section)
    assert all(p.start < first_with_section for p in passages if not p.section)


@pytest.mark.parametrize("name", ALL)
def test_text_relates_to_offsets(name):
    doc, passages = passages_of(name)
    for passage in passages:
        span = normalise(doc.text[passage.start:passage.end])
        if passage.kind is Kind.lesson:
            assert all(value in span for value in passage.fields.values())
        elif passage.kind is Kind.table_row:
            assert all(v in span or v in doc.text[:passage.start] for v in passage.fields.values())
        else:
            assert passage.text == span
            for s, e in split_sentences(passage.text):
                assert passage.text[s:e] in normalise(doc.text)


@pytest.mark.parametrize("name", ALL)
def test_metadata_ids_and_sizes(name):
    doc, passages = passages_of(name)
    assert len({p.id for p in passages}) == len(passages)
    assert all(p.id.startswith(doc.doc_id + ":") for p in passages)
    again = make_passages(doc, parse_blocks(doc.text), settings=SETTINGS)
    assert [p.id for p in again] == [p.id for p in passages]  # stable
    for passage in passages:
        assert passage.title == doc.meta.title and passage.doc_type == doc.meta.doc_type.value
        assert passage.text == " ".join(passage.text.split())
        if passage.kind not in (Kind.lesson, Kind.table_row):
            assert len(passage.text.split()) <= SETTINGS.max_words


def test_norad_language_is_detected_per_passage():
    _, passages = passages_of(NORAD)
    by_section = {p.section: p.language for p in passages}
    assert by_section["2. Sentrale funn og konklusjonar"] == "nn"
    assert by_section["Letter: Dear Mr. Eidhammer"] == "en"
    assert by_section["Annexure > 2. IOM's Activities – Design and Implementation > Needs Assessments"] == "en"
    _, unodc = passages_of(UNODC)
    assert {p.language for p in unodc} == {"en"}


def test_short_paragraphs_merge_and_short_items_stay_alone():
    paragraphs = [f"Paragraph {n} notes that the shelter in district {n} was full most of the year." for n in range(8)]
    text = "# 1. Context\n\n" + "\n\n".join(paragraphs) + "\n\n# 2. Recommendations\n\n- Fund shelters.\n- Train police.\n"
    doc = text_doc(text)
    passages = make_passages(doc, parse_blocks(doc.text), settings=SETTINGS)
    context = [p for p in passages if p.section == "1. Context"]
    assert len(context) == 1 and context[0].text.count("Paragraph") == 8 and context[0].kind is Kind.text
    recs = [p for p in passages if p.kind is Kind.recommendation]
    assert [p.text for p in recs] == ["Fund shelters.", "Train police."]


def test_long_section_splits_at_sentences_with_overlap():
    sentences = [f"Sentence {n} explains in plain words how the referral mechanism worked in region {n}." for n in range(60)]
    doc = text_doc("# Findings\n\n" + " ".join(sentences))
    settings = IngestSettings(target_words=60, max_words=90, min_words=20, overlap_sentences=1)
    passages = make_passages(doc, parse_blocks(doc.text), settings=settings)
    assert len(passages) > 5
    for passage in passages:
        assert passage.kind is Kind.finding and passage.section == "Findings"
        assert re.match(r"Sentence \d+ ", passage.text) and passage.text.endswith(".")  # whole sentences only
        assert len(passage.text.split()) <= settings.max_words
    for left, right in zip(passages, passages[1:]):
        last = left.text.rsplit("Sentence ", 1)[1]
        assert right.text.startswith("Sentence " + last)  # one sentence of overlap
    covered = " ".join(p.text for p in passages)
    assert all(s in covered for s in sentences)


def test_sentence_splitter_respects_abbreviations():
    text = "Mr. Eidhammer met IOM staff, e.g. in Geneva. The report (p. 39) was clear. Hans P. Melby agreed."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Mr. Eidhammer met IOM staff, e.g. in Geneva.", "The report (p. 39) was clear.", "Hans P. Melby agreed."]


def test_a_full_stop_inside_brackets_closed_soon_after_ends_no_sentence():
    text = ("Two projects (CT. 0938 and CT.1168) rated the impact as five out of five. Three projects (see the annex. "
            "It lists them all, with their budgets, donors, regions and the years when they closed) did not.")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Two projects (CT. 0938 and CT.1168) rated the impact as five out of five.", "Three projects (see the annex.",
        "It lists them all, with their budgets, donors, regions and the years when they closed) did not."]


def test_pdf_passages_carry_page_numbers(tmp_path):
    doc = clean_document(load_file(make_pdf(tmp_path / "r.pdf"), catalog={}, max_bytes=10_000_000))
    passages = make_passages(doc, parse_blocks(doc.text), settings=SETTINGS)
    pages = {p.text.split()[0]: p.page for p in passages}
    assert pages["Fund"] == 2 and pages["Interviews"] == 3
    assert [p.kind for p in passages if p.section == "RECOMMENDATIONS"] == [Kind.recommendation] * 2


def _recommendation_doc(explanation_sentences: int):
    explanation = " ".join(f"Point {n} explains why the referral guidance matters in district {n}." for n in
                           range(explanation_sentences))
    return text_doc("# Recommendations\n\nThese recommendations follow the findings.\n\n"
                    f"Recommendation 1: Publish the referral guidance.\n{explanation}\n\n"
                    "Train the focal points every year.\n\nRecommendation 2: Fund shelters.\n")


def test_a_recommendation_longer_than_max_words_is_one_passage_up_to_the_item_cap():
    doc = _recommendation_doc(40)  # ~440 words: over max_words, under item_max_words
    settings = IngestSettings(target_words=120, max_words=200, item_max_words=600)
    passages = make_passages(doc, parse_blocks(doc.text), settings=settings)
    recs = [p for p in passages if p.kind is Kind.recommendation]
    assert [p.text.split(":")[0] for p in recs] == ["Recommendation 1", "Recommendation 2"]
    assert recs[0].text.endswith("Train the focal points every year.") and "continues" not in recs[0].fields
    assert [p.kind for p in passages if p.section == "Recommendations"][0] is Kind.text  # the introduction


def test_beyond_the_item_cap_the_parts_of_a_recommendation_point_to_its_first():
    doc = _recommendation_doc(60)
    settings = IngestSettings(target_words=60, max_words=90, min_words=20, item_max_words=200)
    recs = [p for p in make_passages(doc, parse_blocks(doc.text), settings=settings) if p.kind is Kind.recommendation]
    first, *rest, last = recs
    assert first.text.startswith("Recommendation 1:") and len(first.text.split()) <= 200 and rest
    assert all(p.fields["continues"] == first.id for p in rest)
    assert last.text == "Recommendation 2: Fund shelters." and "continues" not in last.fields
    assert sum("continues" not in p.fields for p in recs) == 2


def test_a_first_heading_restating_the_title_leaves_the_section_path():
    doc = text_doc("# NIGERIA: STRENGTHENING ASSISTANCE FOR RETURNEES IN COMMUNITIES OF ORIGIN\n\n"
                   "Prepared by the regional office in June.\n\n## EFFECTIVENESS\n\n"
                   "The concert reached more than a thousand young people in the city.\n")
    doc = doc.model_copy(update={"meta": doc.meta.model_copy(update={
        "title": "Final evaluation: Nigeria - Strengthening Assistance for Returnees"})})
    sections = [p.section for p in make_passages(doc, parse_blocks(doc.text), settings=SETTINGS)]
    # alone, the title heading is the only path there is; above another heading, the citation's title says it
    assert sections == ["NIGERIA: STRENGTHENING ASSISTANCE FOR RETURNEES IN COMMUNITIES OF ORIGIN", "EFFECTIVENESS"]
    other = doc.model_copy(update={"meta": doc.meta.model_copy(update={"title": "Review of shelters in Peru"})})
    assert [p.section for p in make_passages(other, parse_blocks(other.text), settings=SETTINGS)][1] == (
        "NIGERIA: STRENGTHENING ASSISTANCE FOR RETURNEES IN COMMUNITIES OF ORIGIN > EFFECTIVENESS")
