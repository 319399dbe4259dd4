"""The four real management-response matrices in ../shared/real-reports: one recommendation passage per evaluation
recommendation (counts checked by hand against the files), each holding only its own recommendation and carrying a
`response`; the filter response=accepted keeps only accepted ones."""

from __future__ import annotations

import re

import pytest

from ingest_helpers import REAL_REPORTS, prepare_real
from ingest.clean import FORM_STAMP
from ingest.models import Filters, Kind
from ingest.structure import normalise

# file -> recommendation numbers, and the responses as the file words them (read by hand; "" = it says none)
MATRICES = {
    "IOM_2022_Italy_LANMD_Management_Response_Matrix.pdf": (
        [str(n) for n in range(1, 9)],
        ["accepted", "", "partially accepted", "not accepted", "accepted", "partially accepted", "not accepted",
         "accepted"]),
    "IOM_2022_Niger_MIRAA-III_Management_Response_Matrix.pdf": (list("ABCDEF"), ["accepted"] * 6),
    "IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Management_Response_FR.pdf": (
        [str(n) for n in range(1, 20)], ["accepted"] * 4 + ["partially accepted"] + ["accepted"] * 14),
    "IOM_2024_AAP_Management_Response.docx": ([str(n) for n in range(1, 10)], ["accepted"] * 9),
}
pytestmark = [pytest.mark.slow, pytest.mark.skipif(not REAL_REPORTS.is_dir(), reason="no ../shared/real-reports")]


@pytest.fixture(scope="module")
def matrices() -> dict:
    return prepare_real(MATRICES)


@pytest.mark.parametrize("name", sorted(MATRICES))
def test_one_passage_per_recommendation_with_its_response(matrices, name):
    doc, passages = matrices[name]
    numbers, responses = MATRICES[name]
    recommendations = [p for p in passages if p.kind is Kind.recommendation]
    assert [p.fields["number"] for p in recommendations] == numbers
    assert [p.fields["response"] for p in recommendations] == responses
    text = normalise(FORM_STAMP.sub(" ", doc.text))  # a value is a run of the text, a form's footer aside
    for passage in recommendations:
        others = [n for n in numbers if n != passage.fields["number"]]
        label = re.compile(rf"evaluation\s+recomm[ae]ndation\s*#?\s*({'|'.join(others)})\b", re.IGNORECASE)
        assert not label.search(passage.text), passage.text[:200]  # no other recommendation's text in it
        assert passage.fields["recommendation"] in text and passage.fields.get("response_text", "") in text
        assert passage.fields.get("actions") or passage.fields.get("response_text")


def test_filter_on_the_response_keeps_only_accepted(matrices):
    everything = [p for _, passages in matrices.values() for p in passages]
    accepted = [p for p in everything if Filters(responses=["accepted"]).matches(p)]
    expected = sum(responses.count("accepted") for _, responses in MATRICES.values())
    assert len(accepted) == expected and {p.kind for p in accepted} == {Kind.recommendation}
    assert {p.fields["response"] for p in accepted} == {"accepted"}


def test_addressees_are_no_priority_and_the_form_footer_is_left_out(matrices):
    _, miraa = matrices["IOM_2022_Niger_MIRAA-III_Management_Response_Matrix.pdf"]
    fields = {p.fields["number"]: p.fields for p in miraa if p.kind is Kind.recommendation}
    assert fields["B"]["addressed_to"] == "donors IOM Headquarters IOM Offices." and "priority" not in fields["B"]
    assert [fields[n].get("priority") for n in "ADEF"] == ["2-3", "1 -2", "1", "1-2"]
    _, haiti = matrices["IOM-UNDP_2025_Haiti-DR_Binational_Dialogue_Management_Response_FR.pdf"]
    assert not [p.text for p in haiti if re.search(r"template version", p.text, re.IGNORECASE)]
