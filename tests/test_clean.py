"""Cleaning: furniture removed, markup stripped, split lines and cells rejoined, pages remapped."""

from __future__ import annotations

import re

import pytest

from fixtures_docs import DEVFUND, NORAD, PDF_HEADER, PUEBLA, UNODC, corpus_doc, make_pdf, text_doc
from ingest.clean import clean_document, inline_clean, is_boilerplate
from ingest.load import load_file

LETTERHEAD_LINES = [
    "International Organization for Migration (IOM)",
    "The UN Migration Agency",
    "Organisation internationale pour les migrations (OIM)",
    "Organización Internacional para las Migraciones (OIM)",
    "Headquarters:",
]


@pytest.mark.parametrize("name", [PUEBLA, DEVFUND, NORAD, UNODC])
def test_no_letterhead_address_or_markup_survives(name):
    text = corpus_doc(name).text
    lines = {line.strip() for line in text.split("\n")}
    for furniture in LETTERHEAD_LINES:
        assert furniture not in lines
    for fragment in ("17 route des Morillons", "Tel: +41", "hq@iom.int", "<b>", "</b>", "<sup>", "**", "<input",
                     "Click or tap here", "\n\n\n"):
        assert fragment not in text
    assert not re.search(r"[¹²³⁴⁵⁶⁷⁸⁹]", text)
    assert not re.search(r"\.{4,}", text)  # table-of-contents dot leaders


def test_puebla_recommendation_cell_continues_across_the_page_header():
    text = corpus_doc(PUEBLA).text
    assert ("Recommendation\tIt is important to identify collaboration barriers and promote, prior to any collective "
            "work, integration activities to break this inertia. In this case, the communication campaign #Manos "
            "Dignas open up a collaborative space between civil society organization and private sector. But "
            "engaging private sector with government represent an existing challenge.") in text.split("\n")
    assert "The second phase, included special sessions targeting needs, realities, roles" in text
    assert "--\t---" not in text
    assert "guidelines, a self-evaluation" in text  # footnote marker "guidelines¹" removed
    assert "IOM Monitoring and Evaluation Guidelines. IOM. Geneva" not in text  # footnote body dropped


def test_norad_letter_is_stripped_of_closing_signature_and_rejoined():
    text = corpus_doc(NORAD).text
    for gone in ("Sincerely", "handwritten signature", "Irena Vojackova-Sollorano", "Asbjorn Eidhammer",
                 "P.O. Box 8034", "0900530-117", "EVAL 20/4-11"):
        assert gone not in text
    assert "IOM bør nytte ekspertisen som finst i andre organisasjonar" in text
    assert "systematisk bruk av ressurssentera for migrantar" in text
    assert "what the CTU itself could achieve, and did not aspire" in text  # resumed after the footnote list
    assert "Dear Mr. Eidhammer," in text


def test_devfund_toc_dropped_and_paragraphs_rejoined_across_footnotes():
    text = corpus_doc(DEVFUND).text
    assert "## Contents" not in text and "Annex 2: List of Evaluated Projects" not in text
    assert "Assistance to Vulnerable Migrants (AVM) Unit oversees protection and assistance for victims" in text
    assert "exchange of information and best practices; improved coordination" in text
    assert "IOM, Glossary on Migration" not in text
    assert "— vulnerability" not in text and "context, vulnerability is the limited capacity" in text
    assert "Figure 1: Proportion" not in text  # captions of figures that are not in the text


def test_unodc_keeps_labelled_url_drops_back_cover():
    text = corpus_doc(UNODC).text
    assert "Full report:\nhttps://www.unodc.org/unodc/en/evaluation/reports_year_2022.html" in text
    assert "unodc-ies@un.org" not in text and "<https://www.unodc.org/evaluation>" not in text
    assert "Poster elaborated by LPOMEX" not in text and "Map 1:" not in text
    assert "budget of $752,110.31 USD" in text  # markdown escape "\\$" undone


def test_inline_clean_strips_markup():
    assert inline_clean("<b>1. EXECUTIVE SUMMARY</b>") == "1. EXECUTIVE SUMMARY"
    assert inline_clean("- **Impact:** Strengthen *the* work") == "- Impact: Strengthen the work"
    assert inline_clean("need”.<sup>6</sup> Within") == "need”. Within"
    assert inline_clean("the 3<sup>rd</sup> Evaluation") == "the 3rd Evaluation"
    assert inline_clean("guidelines¹, a self-evaluation") == "guidelines, a self-evaluation"
    assert inline_clean("an area of 20 m² was") == "an area of 20 m² was"
    assert inline_clean("[the handbook](https://x.org/a.pdf) says") == "the handbook says"
    assert inline_clean("- *Tilråding 3* om at IOM") == "- Tilråding 3 om at IOM"
    assert inline_clean("• bullet text") == "- bullet text"
    assert inline_clean("R&amp;D and C&A Foundation") == "R&D and C&A Foundation"


def test_a_form_version_stamp_set_inside_a_line_leaves_the_document_text():
    """A page footer that reading order put inside a line of a form: quotes of the line must match the text."""
    assert inline_clean("Template Version: 08/2022 initiatives similaires, pour") == "initiatives similaires, pour"
    assert inline_clean("Formulaire version 3.1 les recommandations") == "les recommandations"
    assert inline_clean("a new version of the template was issued") == "a new version of the template was issued"


@pytest.mark.parametrize("line", ["14/5", "0900530-119", "Page 3 of 12", "Sincerely,", "EVAL 20/4-11", "v",
                                  "Página 3 de 12", "unodc-ies@un.org",
                                  "Internet: <http://www.iom.int>", "* * * * *"])
def test_boilerplate_lines(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", ["MAIN FINDINGS", "Recommendation 3: that IOM continues.", "UNODC 2022 report",
                                  "International Organization for Migration (IOM)",
                                  "International Organization for Migration (IOM) relies on the following"])
def test_content_lines_are_not_boilerplate(line):
    assert not is_boilerplate(line)


def test_running_header_and_footer_repeated_across_pages_are_dropped():
    bodies = ["Shelters were underfunded.", "Inspectors were trained well.", "Referral was slow.",
              "Survivors were consulted."]
    pages = [f"Acme Review 2021\n\nParagraph {n}: {body}\n\n{n} | Page" for n, body in enumerate(bodies, 1)]
    raw = "\n\n\n".join(pages)
    starts = [raw.index(p) for p in pages]
    doc = clean_document(text_doc(raw, page_starts=starts))
    assert "Acme Review 2021" not in doc.text and "| Page" not in doc.text
    assert doc.text.count("Paragraph") == 4
    for n in range(1, 5):
        assert doc.page_at(doc.text.index(f"Paragraph {n}:")) == n


def test_hyphenated_words_are_rejoined_but_real_hyphens_kept():
    doc = clean_document(text_doc("The pro-\ngramme supported counter-\ntrafficking units in every coun-\ntry."))
    assert "programme supported counter-trafficking units in every country." in doc.text


def test_pdf_pages_remapped_after_cleaning(tmp_path):
    raw = load_file(make_pdf(tmp_path / "r.pdf"), catalog={}, max_bytes=10_000_000)
    doc = clean_document(raw)
    assert PDF_HEADER not in doc.text and "Page 1 of 3" not in doc.text
    assert "but remained uneven in the northern provinces" in doc.text  # sentence split by the page break
    assert len(doc.page_starts) == 3
    assert doc.page_at(doc.text.index("Fund shelters")) == 2
    assert doc.page_at(doc.text.index("Interviews were held")) == 3
    assert doc.page_at(doc.text.index("The programme trained")) == 1
