"""Management-response matrices on small generated files: one recommendation passage per evaluation recommendation
(its actions merged over table rows and a page break, a header row repeated on the next page read once), the
response normalised from its own words in several languages, and the filter on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.cli_query import parse_where
from ingest.clean import clean_document
from ingest.embed import DIM
from ingest.load import load_file
from ingest.matrix import matrix_blocks, normalise_response
from ingest.models import CatalogEntry, Document, Filters, Kind
from ingest.passages import make_passages
from ingest.records import filters_to_where
from ingest.settings import IngestSettings
from ingest.snapshot.columns import MetadataColumns
from ingest.store import open_store
from ingest.structure import normalise, parse_blocks

REC1 = ("Evaluation recommendation 1: Train the border officials of every district on the identification and "
        "referral of victims of trafficking, with refresher courses each year and a manual they keep.")
ACTIONS = 30  # enough rows to run the first recommendation's table over a page break


def _passages(path: Path):
    doc = clean_document(load_file(path, catalog={}, max_bytes=10_000_000))
    return doc, make_passages(doc, parse_blocks(doc.text), settings=IngestSettings())


@pytest.fixture(scope="module")
def pdf_matrix(tmp_path_factory) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 8, "Management response matrix", new_x="LMARGIN", new_y="NEXT")
    header = ("Key actions", "Timeframe or deadline", "Responsible unit(s)")
    with pdf.table(col_widths=(90, 40, 60), first_row_as_headings=True, repeat_headings=1) as table:
        table.row().cell(REC1, colspan=3)  # the table's first row: repeated at the top of the next page
        table.row().cell("Management response (Accept/Partially Accept/Reject): Accepted. The training unit will "
                         "schedule the courses.", colspan=3)
        for row in [header] + [(f"1.{k} Hold training session {k} for the officials of district {k}",
                                f"Q{k % 4 + 1} 2025", "Training unit") for k in range(1, ACTIONS + 1)]:
            cells = table.row()
            for text in row:
                cells.cell(text)
        table.row().cell("Evaluation recommendation 2: Publish the referral directory online.", colspan=3)
        table.row().cell("Management response (Accept/Partially Accept/Reject): Rejected. The budget does not "
                         "allow it.", colspan=3)
        for row in (header, ("2.1 N/A", "N/A", "N/A")):
            cells = table.row()
            for text in row:
                cells.cell(text)
    path = tmp_path_factory.mktemp("pdf") / "matrix.pdf"
    pdf.output(str(path))
    return path


@pytest.fixture(scope="module")
def docx_matrix(tmp_path_factory) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("Matriz de respuesta de la gerencia", level=1)
    table = document.add_table(rows=0, cols=3)

    def row(*cells: str) -> None:
        added = table.add_row().cells
        if len(cells) == 1:
            added[0].merge(added[2])
        for cell, text in zip(added, cells):
            cell.text = text

    row("Recomendación 1: Fortalecer la coordinación con las autoridades locales de cada provincia.")
    row("Dirigida a: Equipo del proyecto", "Prioridad: Alta")
    row("Respuesta de la gerencia: Aceptada. El equipo reforzará la coordinación.")
    row("Acciones clave", "Plazo", "Unidad responsable")
    row("1.1 Crear un comité local", "2025", "Equipo del proyecto")
    row("1.2 Celebrar reuniones trimestrales", "2026", "Unidad de seguimiento")
    row("Recomendación 2: Mejorar el seguimiento de los casos remitidos.")
    row("Respuesta de la gerencia: Parcialmente aceptada. Falta financiación para una parte.")
    row("Recomendación 3: Abrir una oficina en la capital.")
    row("Respuesta de la gerencia: Rechazada. No es pertinente.")
    path = tmp_path_factory.mktemp("docx") / "matriz.docx"
    document.save(str(path))
    return path


def test_pdf_matrix_gives_one_passage_per_recommendation_over_a_page_break(pdf_matrix):
    doc, passages = _passages(pdf_matrix)
    recommendations = [p for p in passages if p.kind is Kind.recommendation]
    assert [p.fields["number"] for p in recommendations] == ["1", "2"]
    first, second = recommendations
    assert first.page == 1 and doc.page_at(first.end) == 2  # one passage across the page break
    assert all(f"1.{k} Hold training session {k} " in first.fields["actions"] for k in range(1, ACTIONS + 1))
    assert first.fields["response"] == "accepted" and second.fields["response"] == "not accepted"
    assert first.text.count("Evaluation recommendation 1") == 1  # the header repeated on page 2 is read once
    assert "recommendation 2" not in first.text and "Publish" not in first.text
    assert second.fields["actions"] == "2.1 N/A" and "Train the border" not in second.text
    assert "Management response (Accept/Partially Accept/Reject): Rejected." in second.text


def test_docx_matrix_fields_in_spanish(docx_matrix):
    doc, passages = _passages(docx_matrix)
    recommendations = [p for p in passages if p.kind is Kind.recommendation]
    assert [p.fields["response"] for p in recommendations] == ["accepted", "partially accepted", "not accepted"]
    first = recommendations[0].fields
    assert first["addressed_to"] == "Equipo del proyecto" and first["priority"] == "Alta"
    assert first["actions"] == "1.1 Crear un comité local 1.2 Celebrar reuniones trimestrales"
    assert first["deadline"] == "2025 2026" and first["responsible"] == "Equipo del proyecto Unidad de seguimiento"
    text = normalise(doc.text)
    for passage in recommendations:  # every value read from one cell is the document's own text
        for name in ("recommendation", "response_text", "addressed_to", "priority"):
            assert passage.fields.get(name, "") in text, name
        assert passage.text.startswith(f"Recomendación {passage.fields['number']}: ")


@pytest.mark.parametrize(("wording", "expected"), [
    ("Recommendation accepted. The project will ...", "accepted"),
    ("Partially accepted as some actions are ongoing", "partially accepted"),
    ("Rejected. This is already in place; accepted practice", "not accepted"),
    ("Accepté. L'équipe renforcera la coordination.", "accepted"),
    ("Partiellement accepté : le budget manque.", "partially accepted"),
    ("Recommandation rejetée.", "not accepted"),
    ("Aceptada", "accepted"), ("Parcialmente aceptada", "partially accepted"), ("Rechazada", "not accepted"),
    ("Rekommendationen accepteras delvis.", "partially accepted"), ("Rekommendationen godkänns.", "accepted"), ("Delvis godkänd", "partially accepted"),
    ("Tilrådinga er akseptert.", "accepted"), ("Avvist: ikkje relevant", "not accepted"),
    ("The project has already developed a workplan.", ""),
])
def test_response_normalised_from_its_words(wording, expected):
    assert normalise_response(wording) == expected


def test_recommendations_without_a_management_response_are_no_matrix():
    text = ("# Recommendations\n\nRecommendation 1: Train staff.\n\nRecommendation 2: Fund shelters.\n\n"
            "Recommendation 3: Share data.\n")
    assert matrix_blocks(text) == []
    assert [b.kind for b in parse_blocks(text)] == [Kind.recommendation] * 3


def test_where_response_takes_any_languages_wording():
    assert parse_where(["response=accepted"]).responses == ["accepted"]
    assert parse_where(["response=Rechazada", "response=partiellement accepté"]).responses == \
        ["not accepted", "partially accepted"]
    with pytest.raises(SystemExit):
        parse_where(["response=maybe"])
    assert filters_to_where(Filters(responses=["accepted"])) == {"response": {"$in": ["accepted"]}}


def test_filter_on_the_response_in_every_search(docx_matrix, tmp_settings):
    doc, passages = _passages(docx_matrix)
    doc = doc.model_copy(update={"meta": CatalogEntry(title="Matriz")})
    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="test", dim=DIM)
    vectors = np.random.default_rng(0).normal(size=(len(passages), DIM)).astype(np.float32)
    store.replace_document(doc, passages, {"e5": vectors / np.linalg.norm(vectors, axis=1, keepdims=True)})
    for wanted in ("accepted", "partially accepted", "not accepted"):
        filters = Filters(responses=[wanted])
        got = store.vector_query("e5", vectors[0], k=len(passages), filters=filters)
        assert [p.fields["number"] for p, _ in got] == [p.fields["number"] for p in passages
                                                       if p.fields.get("response") == wanted]
        assert len(got) == 1 and all(filters.matches(p) for p, _ in got)
        assert MetadataColumns(passages).mask(filters).tolist() == [filters.matches(p) for p in passages]


def test_numbered_recommendations_wrapped_over_table_lines_are_one_row_each():
    from ingest.tables import table_blocks

    rows = ["Niveau\tRecommandations", "Stratégie\t\t1. Améliorer le ciblage des", "\t\tbénéficiaires ;",
            "\t\t2. Renforcer la communication ;", "\t\t(3) mois de différé ;", "Suivi\t3. Prévoir des moyens ;"]
    lines, offset = [], 0
    for row in rows:
        lines.append((offset, row))
        offset += len(row) + 1
    blocks = table_blocks(lines, ["Recommandations"])
    assert [b.fields["Recommandations"] for b in blocks] == [
        "1. Améliorer le ciblage des bénéficiaires ;", "2. Renforcer la communication ; (3) mois de différé ;",
        "3. Prévoir des moyens ;"]
    assert [b.fields["Niveau"] for b in blocks] == ["Stratégie", "Stratégie", "Suivi"]
    assert {b.kind for b in blocks} == {Kind.recommendation}


def test_stacked_labels_give_the_addressees_not_a_priority_and_a_form_stamp_is_left_out():
    text = ("EVALUATION RECOMMENDATION A - Communication\n\n1. Reinforce communication with migrants.\n\n"
            "Recommendation to:\n\nPriority level (1 to 3): donors\n\nIOM Offices.\n\n"
            "Management response (Accept/Partially Accept/Reject): Accepted. Videos will be made for\n\n"
            "Template Version: 08/2022 the transit centres.\n\n"
            "EVALUATION RECOMMENDATION B - Staff\n\n1. Counsel the staff.\n\nRecommendation to: senior management\t"
            "Priority level (1 to 3): 1 - 2\nManagement response: Accepted.\n")
    first, second = matrix_blocks(text)
    assert first.fields["addressed_to"] == "donors IOM Offices." and "priority" not in first.fields
    assert first.fields["response_text"] == "Accepted. Videos will be made for the transit centres."
    assert "Template" not in first.text
    assert second.fields["addressed_to"] == "senior management" and second.fields["priority"] == "1 - 2"
