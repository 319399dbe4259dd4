"""The lessons brief: headings by kind, each quote with a real Word footnote read back with python-docx."""

from __future__ import annotations

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import qn

from assistant.answer.types import Answer, Citation
from assistant.evidence.brief import (brief_markdown, items_from_answer, items_from_passages, items_from_rows,
                                      write_brief)
from assistant.evidence.footnotes import footnote_texts
from assistant.evidence.tracker import build_rows
from ingest.settings import TrackerSettings
from tracker_helpers import tracker_passages, tracker_vectors


def _footnotes_part(document):
    """The footnotes part found through the package, as Word finds it (relationship from the main part)."""
    [part] = [rel.target_part for rel in document.part.rels.values() if rel.reltype == RT.FOOTNOTES]
    assert part.partname == "/word/footnotes.xml"
    assert part.content_type.endswith("wordprocessingml.footnotes+xml")
    return parse_xml(part.blob)


def test_passages_brief_has_a_heading_per_kind_and_a_footnote_per_quote(tmp_path):
    passages = tracker_passages()[:3]  # a finding and two recommendations of one report
    path = write_brief("Shelter evidence", items_from_passages(passages), tmp_path / "brief.docx")

    document = docx.Document(str(path))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings == ["Recommendations", "Findings"]
    references = document.element.body.findall(".//" + qn("w:footnoteReference"))
    assert len(references) == 3
    notes = {int(n.get(qn("w:id"))): n for n in _footnotes_part(document).findall(qn("w:footnote"))}
    texts = footnote_texts(document)
    for ref in references:  # every mark in the body points at a footnote that names its source
        note_id = int(ref.get(qn("w:id")))
        assert note_id in notes and note_id in texts
    first = passages[1]  # the first quote under "Recommendations"
    note = texts[int(references[0].get(qn("w:id")))]
    assert first.title in note and f'section "{first.section}"' in note
    assert f"p. {first.page}" in note and str(first.year) in note
    quote_paragraph = [p for p in document.paragraphs if first.text in p.text][0]
    assert quote_paragraph._p.find(".//" + qn("w:footnoteReference")) is not None  # the mark follows its quote


def test_answer_brief_quotes_the_citations(tmp_path):
    answer = Answer(question="How to keep shelter staff?", answer="Fund shelters for years [1].", citations=[
        Citation(n=1, passage_id="d:1", doc_id="d", title="Shelter evaluation", section="5. Lessons", page=7,
                 quote="Fund shelters for years.", year=2020, kind="lesson", organisation="ACME")])
    path = write_brief(answer.question, items_from_answer(answer), tmp_path / "a.docx", intro=answer.answer)
    document = docx.Document(str(path))
    assert [p.text for p in document.paragraphs if p.style.name == "Heading 1"] == ["Lessons learned"]
    assert list(footnote_texts(document).values()) == [
        'Shelter evaluation (ACME), section "5. Lessons", p. 7, 2020.']


def test_recommendation_brief_shows_management_response(tmp_path):
    passages = tracker_passages()
    rows = build_rows(passages, tracker_vectors(passages), TrackerSettings())
    answered = [r for r in rows if r.response == "accepted"]
    items = items_from_rows(answered, {p.id: p for p in passages})
    document = docx.Document(str(write_brief("Accepted", items, tmp_path / "r.docx")))
    assert any("Management response: accepted" in p.text and "Status: completed" in p.text
               for p in document.paragraphs)
    assert len(footnote_texts(document)) == 1

    markdown = brief_markdown("Accepted", items)
    assert "## Recommendations" in markdown and "[^1]: Final evaluation of the shelter programme" in markdown


def test_chat_button_gets_the_last_answers_brief():
    from types import SimpleNamespace

    from assistant.web.briefs import last_answer_docx, passages_docx

    assert last_answer_docx([])["interactive"] is False
    answer = Answer(question="Shelter funding?", answer="Fund them [1].", citations=[
        Citation(n=1, passage_id="d:1", doc_id="d", title="Doc", section="4. Recommendations", page=3,
                 quote="Fund them.", year=2019, kind="recommendation")])
    update = last_answer_docx([SimpleNamespace(answer=answer)])
    assert update["interactive"] is True and update["value"].endswith("lessons-shelter-funding.docx")
    assert footnote_texts(docx.Document(update["value"])) == {2: 'Doc, section "4. Recommendations", p. 3, 2019.'}
    cell = passages_docx("Funding x Mexico", tracker_passages()[1:2])  # what a map cell hands over
    assert "Final evaluation of the shelter programme" in footnote_texts(docx.Document(str(cell)))[2]
