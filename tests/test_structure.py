"""Structure: heading paths, lesson tables, list items, table rows, kinds."""

from __future__ import annotations

from functools import cache

import pytest

from fixtures_docs import DEVFUND, NORAD, PUEBLA, UNODC, corpus_doc
from ingest.models import Kind
from ingest.structure import is_list_item, normalise, parse_blocks


@cache
def blocks_of(name: str):
    doc = corpus_doc(name)
    return doc, parse_blocks(doc.text)


def find(blocks, fragment):
    hits = [b for b in blocks if fragment in b.text]
    assert hits, fragment
    return hits[0]


def test_markdown_sections_nest_by_numbering():
    _, blocks = blocks_of(DEVFUND)
    challenge = find(blocks, "Some of the most prominent challenges encountered by the projects include a lack")
    assert challenge.section == ["5. FINDINGS", "5.8 Challenges"] and challenge.kind is Kind.challenge
    assert find(blocks, "Figure 4 shows the total proportion").section == ["5. FINDINGS", "5.2 Budget"]
    assert find(blocks, "proportionally fewer number of PX").section == ["1. EXECUTIVE SUMMARY", "Key Findings"]
    assert find(blocks, "How could they have been avoided?").section[0] == "Annex 1: Questionnaire"


def test_plain_text_headings_are_recognised():
    _, unodc = blocks_of(UNODC)
    assert find(unodc, "It was learned that working with social organizations").section == ["LESSONS LEARNED"]
    assert find(unodc, "It was learned that working with social organizations").kind is Kind.lesson
    assert find(unodc, "is a good practice for prosecuting").kind is Kind.good_practice
    assert find(unodc, "Both interventions were highly relevant").kind is Kind.finding
    _, norad = blocks_of(NORAD)
    assert find(norad, "Evalueringa omfattar norsk støtte").section == ["1. Bakgrunn og føremål"]
    assert find(norad, "hovudstyrken i arbeidet").kind is Kind.finding
    assert find(norad, "renewed emphasis is placed on the value of comprehensive needs").section == [
        "Annexure", "2. IOM's Activities – Design and Implementation", "Needs Assessments"]
    assert find(norad, "Recommendation 24: that IOM strengthens").section == ["Letter: Dear Mr. Eidhammer"]


def test_puebla_lesson_table_gives_one_block_per_lesson():
    doc, blocks = blocks_of(PUEBLA)
    lessons = [b for b in blocks if b.kind is Kind.lesson]
    assert [b.fields["lesson"] for b in lessons] == [f"Lesson {n}" for n in range(1, 6)]
    for block in lessons:
        assert set(block.fields) == {"lesson", "description", "context", "targeted_users", "challenges",
                                     "recommendation"}
        span = normalise(doc.text[block.start:block.end])
        assert all(value in span for value in block.fields.values())
    third = lessons[2]
    assert third.fields["recommendation"].endswith(
        "#Manos Dignas open up a collaborative space between civil society organization and private sector. "
        "But engaging private sector with government represent an existing challenge.")
    assert lessons[1].text.startswith("Lesson 2. Brief description: Private sector engagement requires")
    assert "Recommendation: Identify a topic of interest" in lessons[1].text


def test_a_rating_grid_mentioning_context_and_recommendations_is_a_table_not_lessons():
    """A quality-assessment tool: a few of its item labels name a lesson's fields, most do not."""
    rows = ["ITEMS\tELEMENTS\tRATING (0-5) & COMMENTS", "ES1\tExplanation of the intervention background\t",
            "ES2\tPurpose and objectives of the evaluation\t", "ES3\tMethodology and limitations\t",
            "Context\tSocio-economic and political context of the intervention\t",
            "Recommendations\tRecommendations are clear and addressed to a user\t",
            "Lessons learned\tLessons learned are generalizable beyond the intervention\t",
            "Target groups\tBeneficiaries and target groups are described\t",
            "ES4\tSummary of all evaluation findings\t", "ES5\tConclusions follow from the findings\t",
            "Annexes\tTerms of reference and tools are annexed\t"]
    blocks = parse_blocks("2. Meta-evaluation tool\n\n" + "\n".join(rows) + "\n")
    assert blocks and not any(b.kind is Kind.lesson for b in blocks)
    assert any("Socio-economic and political context" in b.text and not b.text.startswith("Context:") for b in blocks)


def test_recommendation_items_are_one_block_each():
    _, blocks = blocks_of(DEVFUND)
    key = [b for b in blocks if b.section[-1:] == ["Key Recommendations"] and b.kind is Kind.recommendation]
    assert len(key) == 9 and key[0].text == "Advance interagency and regional coordination for CT/PX activities"
    six = [b for b in blocks if b.section == ["6. RECOMMENDATIONS"] and b.kind is Kind.recommendation]
    assert len(six) == 9
    assert six[4].text.startswith("Formulate a project sustainability plan")
    assert "accomplished by coordinating with local and government" in six[4].text  # rejoined after page break
    findings = [b for b in blocks if b.section[-1:] == ["Key Findings"] and b.kind is Kind.finding]
    assert len(findings) >= 10


@pytest.mark.parametrize("number", [3, 4, 24])
def test_tilraading_items_are_recommendation_blocks(number):
    _, blocks = blocks_of(NORAD)
    hits = [b for b in blocks if b.text.startswith(f"Tilråding {number} ")]
    assert len(hits) == 1 and hits[0].kind is Kind.recommendation


def test_annex_project_list_rows_keep_column_names():
    _, blocks = blocks_of(DEVFUND)
    rows = [b for b in blocks if b.kind is Kind.table_row and b.section == ["Annex 2: List of Projects"]]
    assert len(rows) == 17
    assert list(rows[0].fields) == ["Funding Year", "Project Code", "Project Title", "Benefiting Member States",
                                    "Region", "Funding (USD)", "Duration (months)"]
    assert rows[0].fields["Project Code"] == "CT.0887" and rows[0].fields["Funding (USD)"] == "130000"
    assert rows[-1].text.startswith("Funding Year: 2018 | Project Code: PX.0009 | Project Title: Enhancing")


def test_row_spanning_cells_are_filled_down_and_captions_name_the_table():
    _, blocks = blocks_of(DEVFUND)
    row = find(blocks, "Region: Asia & Oceania | Number of projects: 2")
    assert row.fields == {"Year": "2015", "Region": "Asia & Oceania", "Number of projects": "2"}
    assert row.section[-1] == "Table 1: Regional distribution of CT/PX projects, per year (2015 to 2019)"


def test_questionnaire_is_plain_text_without_form_filler():
    _, blocks = blocks_of(DEVFUND)
    questionnaire = [b for b in blocks if b.section[:1] == ["Annex 1: Questionnaire"]]
    assert questionnaire and all(b.kind in (Kind.text, Kind.table_row) for b in questionnaire)
    assert not any("Click or tap" in b.text for b in blocks)


def test_block_offsets_point_at_their_text():
    for name in (PUEBLA, DEVFUND, NORAD, UNODC):
        doc, blocks = blocks_of(name)
        for block in blocks:
            span = normalise(doc.text[block.start:block.end])
            if block.kind is Kind.table_row:  # a value filled down from a spanning cell sits in a row above
                assert all(v in span or v in doc.text[:block.start] for v in block.fields.values())
                assert sum(v in span for v in block.fields.values()) >= len(block.fields) - 1
            elif block.fields:
                assert all(v in span for v in block.fields.values())
            else:
                assert block.text == span


def test_synthetic_markdown_and_list_detection():
    text = ("# 2. Findings\n\nThe shelters were full.\n\n## 2.1 Good practices\n\n- Survivors led the design of "
            "services.\n- Police and NGOs met monthly.\n\n### Annex A\n\nName\tRole\nAna\tDirector\n")
    blocks = parse_blocks(text)
    assert [b.kind for b in blocks] == [Kind.finding, Kind.good_practice, Kind.good_practice, Kind.table_row]
    assert blocks[1].section == ["2. Findings", "2.1 Good practices"]
    assert blocks[3].section == ["Annex A"] and blocks[3].fields == {"Name": "Ana", "Role": "Director"}
    assert is_list_item(text, blocks[1]) and not is_list_item(text, blocks[0])


def _typed(text: str):
    return [b for b in parse_blocks(text) if b.kind is not Kind.footnote]


def test_a_recommendation_keeps_its_explanation_and_the_section_introduction_is_text():
    blocks = _typed(
        "# 4. Recommendations\n\nThe following recommendations are not listed in the order they should be taken up.\n\n"
        "Recommendation 1: The unit should publish its referral guidance.\nThis responds to the finding on referrals.\n\n"
        "For the follow-up, the following activities should be considered:\n\nTrain the focal points every year.\n\n"
        "Recommendation 2: The unit should fund shelters.\n\nShelters were full most of the year.\n")
    intro, *items = blocks
    assert intro.kind is Kind.text and not intro.item
    assert {b.kind for b in items} == {Kind.recommendation}
    assert [b.item for b in items] == [str(items[0].start)] * 3 + [str(items[3].start)] * 2


def test_the_opening_of_a_section_whose_subsections_hold_numbered_items_is_text():
    blocks = _typed("# Key recommendations\n\nThe overall recommendation of the evaluator is to continue the work.\n\n"
                    "## A - Communication\n\n1. Communication with migrants should be reinforced.\n\n"
                    "- in the transit centres, where guards meet them daily.\n\n2. Translate the videos.\n")
    assert [b.kind for b in blocks] == [Kind.text] + [Kind.recommendation] * 3
    assert blocks[1].item == blocks[2].item != blocks[3].item  # the bullet its text wraps onto is part of item 1


def test_a_section_of_bullets_without_numbers_keeps_each_bullet():
    blocks = _typed("# Recommendations\n\nWe recommend the following.\n\n- Fund shelters.\n- Train police.\n")
    assert [b.kind for b in blocks] == [Kind.recommendation] * 3 and not any(b.item for b in blocks)


@pytest.mark.parametrize("lesson,recommendation", [("Lesson learned #2", "RECOMMENDATION"),
                                                   ("Leçon apprise n° 2", "RECOMMANDATION :"),
                                                   ("Lærdom 2", "Tilråding:")])
def test_bare_label_lines_open_items(lesson, recommendation):
    blocks = _typed(f"# 5. Lessons learned and recommendations\n\nEach lesson is followed by a recommendation.\n\n"
                    f"{lesson}\n\nThe project was too short for the municipalities to act.\n\n"
                    f"{recommendation}\n\nTo plan a longer project.\n\nTo agree on a follow-up plan.\n")
    assert [b.kind for b in blocks] == [Kind.text, Kind.lesson, Kind.recommendation, Kind.recommendation]
    assert blocks[1].text.startswith(lesson) and blocks[2].text.startswith(recommendation)
    assert blocks[2].item == blocks[3].item != blocks[1].item


def test_an_inline_finding_among_analysis_is_its_paragraph_alone():
    blocks = _typed("# 3. Relevance\n\nFinding 4. Gender was well mainstreamed.\n\n"
                    "1.8. Finally, gender equality was a central part of the donor's strategy.\n")
    assert [b.kind for b in blocks] == [Kind.finding, Kind.text] and not blocks[1].item


def test_a_table_caption_is_no_item():
    blocks = _typed("# 4.2 Recommandations\n\nTableau n°10 : Recommandations issues des insuffisances\n\n"
                    "Niveau\tRecommandations\nSuivi\t1. Prévoir des moyens ; 2. Recruter un chargé de suivi.\n")
    assert [b.kind for b in blocks] == [Kind.recommendation] * 2
    assert blocks[0].section[-1].startswith("Tableau n°10")
    caption_alone = _typed("# Recommendations\n\nFigure 3: Recommendations by theme\n\n1. Fund shelters.\n")
    assert [b.kind for b in caption_alone] == [Kind.text, Kind.recommendation]


def test_numbers_run_on_in_one_table_cell_are_one_item_each():
    text = ("# Recommendations\n\nLevel\tRecommendations\n"
            "Monitoring\t9. Plan vehicles for field visits ; 10. Recruit a monitoring officer. 11. Set up tools.\n")
    blocks = _typed(text)
    assert [b.fields["Recommendations"] for b in blocks] == [
        "9. Plan vehicles for field visits ;", "10. Recruit a monitoring officer.", "11. Set up tools."]
    for block in blocks:
        assert block.kind is Kind.recommendation and block.fields["Level"] == "Monitoring"
        assert normalise(text[block.start:block.end]) == block.fields["Recommendations"]


def test_a_capitalised_kind_line_is_a_heading_and_a_bold_first_line_is_not():
    blocks = _typed("# KEY FINDINGS & CONCLUSIONS\n\nThe project was relevant.\n\n### GOOD PRACTICES\n\n"
                    "- Cost sharing improved efficiency.\n\nKEY RECOMMENDATIONS\n\n1. Fund shelters.\n\n"
                    "#### These two scenarios can be described as incremental innovation and\n\n"
                    "‘skip-the-step’. Both require an adapted model.\n")
    assert blocks[2].section == ["KEY RECOMMENDATIONS"] and blocks[2].kind is Kind.recommendation
    assert blocks[1].kind is Kind.good_practice
    assert blocks[3].section == ["KEY RECOMMENDATIONS"] and blocks[3].text.startswith("These two scenarios")


def test_a_heading_in_the_largest_type_is_no_child_of_a_numbered_one_but_a_smaller_one_is():
    text = ("# 1. Executive summary\n\nThe summary paragraph says what the review found overall.\n\n"
            "# Findings on report quality\n\n## 3.1 Overall quality\n\nReports improved on most criteria.\n")
    found = [b for b in parse_blocks(text) if b.kind != "heading"]
    assert found[0].section == ["1. Executive summary"]
    assert found[1].section == ["Findings on report quality", "3.1 Overall quality"]
    # all headings set in one (bold body) type: the numbering is the only structure, unnumbered ones nest under it
    text = "#### 2. CONTEXT\n\n#### Evaluation context\n\nThe project ran in six cities from 2019.\n"
    assert [b for b in parse_blocks(text) if b.kind != "heading"][0].section == ["2. CONTEXT", "Evaluation context"]


def test_a_heading_set_larger_than_a_numbered_one_closes_it_and_its_siblings_keep_its_level():
    text = ("### EXECUTIVE SUMMARY\n\nThe project met most targets.\n\n#### 8 - DATA COLLECTION\n\n"
            "Data are collected but seldom used.\n\n#### KEY RECOMMENDATIONS\n\nKeep funding the centres.\n\n"
            "### BACKGROUND TO THE EVALUATION\n\nThe project began in 2018.\n\n#### CONTEXT ANALYSIS\n\n"
            "Routes through the desert shifted.\n\n### METHODOLOGY\n\nInterviews with forty migrants.\n")
    blocks = parse_blocks(text)
    assert find(blocks, "seldom used").section == ["8 - DATA COLLECTION"]
    assert find(blocks, "began in 2018").section == ["BACKGROUND TO THE EVALUATION"]
    assert find(blocks, "desert shifted").section == ["BACKGROUND TO THE EVALUATION", "CONTEXT ANALYSIS"]
    assert find(blocks, "forty migrants").section == ["METHODOLOGY"]
