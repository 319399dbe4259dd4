"""Recommendations of the real reports in ../shared/real-reports: exactly one recommendation passage per
recommendation, as counted by hand against the files (evals/quality/STRUCTURE.md), each opening with that
recommendation's own number or label; a long item's later parts (`fields["continues"]`) are not counted again."""

from __future__ import annotations

import re

import pytest

from ingest_helpers import REAL_REPORTS, prepare_real
from ingest.models import Kind

# file -> how each of its recommendation passages opens, in order (counted by hand)
_NUMBERED = r"\d{1,2}\. "
OPENINGS = {
    "IOM_2022_Niger_MIRAA-III_Final_Evaluation_Report.pdf": [_NUMBERED] * 41,  # 19 in the summary + 22
    "IOM_2022_Italy_LANMD_Final_Evaluation_Report.pdf": ["RECOMMENDATION:? To "] * 8,
    "IOM_2024_AAP_Central_Evaluation_Report.pdf": [rf"Recommendation {n}: " for n in range(1, 10)],
    "IOM_2020_Niger_IDEE_Final_External_Evaluation_FR.pdf": [rf"Niveau: .* \| Recommandations: {n}\. "
                                                             for n in range(1, 13)],
    "IOM_2020_Niger_IDEE_Evaluation_Brief_FR.pdf": [rf"{n}\. " for n in range(1, 13)],
    "IOM_2021_Nigeria_Returnees_Safe_Migration_Internal_Evaluation.pdf": [rf"Recommendation {n}\.? [A-Z]"
                                                                          for n in list(range(1, 10)) * 2],
    "IOM_2022_Italy_LANMD_Evaluation_Brief.pdf": [rf"{n}\. To " for n in range(1, 8)],  # headings set in colour
    "IOM_2024_AAP_Evaluation_Brief.pdf": [rf"{n}\. " for n in range(1, 6)],
    "IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Evaluation_Brief_FR.pdf": [rf"{n}\. " for n in range(1, 21)],
    "IOM_2022_Italy_LANMD_Management_Response_Matrix.pdf": ["Evaluation recomm[ae]ndation"] * 8,
    "IOM_2022_Niger_MIRAA-III_Management_Response_Matrix.pdf": ["EVALUATION RECOMMENDATION"] * 6,
    "IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Management_Response_FR.pdf": ["Evaluation recomm[ae]ndation"] * 19,
    "IOM_2024_AAP_Management_Response.docx": ["Evaluation recomm[ae]ndation"] * 9,
}
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800),
              pytest.mark.skipif(not REAL_REPORTS.is_dir(), reason="no ../shared/real-reports")]


@pytest.fixture(scope="module")
def prepared() -> dict:
    return prepare_real(OPENINGS)


@pytest.mark.parametrize("name", sorted(OPENINGS))
def test_one_passage_per_recommendation_counted_by_hand(prepared, name):
    _, passages = prepared[name]
    recommendations = [p for p in passages if p.kind is Kind.recommendation and "continues" not in p.fields]
    openings = OPENINGS[name]
    assert len(recommendations) == len(openings), [p.text[:60] for p in recommendations]
    for passage, opening in zip(recommendations, openings):
        assert re.match(opening, passage.text, re.IGNORECASE), (opening, passage.text[:120])


def test_a_recommendation_holds_its_follow_up_activities_and_not_the_section_introduction(prepared):
    _, passages = prepared["IOM_2024_AAP_Central_Evaluation_Report.pdf"]
    by_number = {m.group(1): p for p in passages if (m := re.match(r"Recommendation (\d): ", p.text))}
    assert "Develop and conduct an AAP training-of-trainer initiative." in by_number["7"].text
    assert by_number["8"].text.endswith("possibly through a transparent, open selection process.")
    intro = next(p for p in passages if p.text.startswith("IOM should be mindful of the fact"))
    assert intro.kind is Kind.text


def test_a_summary_item_wrapped_round_a_box_is_one_passage(prepared):
    _, passages = prepared["IOM_2022_Niger_MIRAA-III_Final_Evaluation_Report.pdf"]
    wrapped = [p for p in passages if "These guards are very often more in contact" in p.text]
    assert len(wrapped) == 2 and all(p.text.startswith("1. Communication with beneficiaries") for p in wrapped)
