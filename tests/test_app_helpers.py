"""The web app's pure helpers: upload names and refusals, source cards, the Markdown export, feedback lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.feedback import FeedbackRecord, feedback_path, record_feedback
from assistant.answer.types import Answer, Citation
from assistant.web.render import chat_message, export_markdown, source_card
from assistant.web.uploads import UploadMeta, UploadRefused, accept_upload, add_document, parse_year, safe_filename
from ingest.models import Passage
from ingest.settings import Settings


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("Report 2021 (final).pdf", "Report-2021-final.pdf"), ("notes.MD", "notes.md"), ("évaluation.docx", "valuation.docx")],
)
def test_safe_filename_keeps_a_plain_name(raw: str, safe: str) -> None:
    assert safe_filename(raw) == safe


@pytest.mark.parametrize("raw", ["../evil.txt", "a/b.txt", "..\\evil.txt", "..", "/etc/passwd", ""])
def test_safe_filename_refuses_escaping_names(raw: str) -> None:
    with pytest.raises(UploadRefused):
        safe_filename(raw)


def test_parse_year() -> None:
    assert parse_year("") is None
    assert parse_year(" 2021 ") == 2021
    for bad in ("twenty", "1492"):
        with pytest.raises(UploadRefused):
            parse_year(bad)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("big.txt", b"word " * 300_000, "too large"),
        ("tool.exe", b"MZ\x90\x00" * 10, "Unsupported file type .exe"),
        ("broken.pdf", b"%PDF-1.4\n garbage \x00\x01" * 50, "Could not read"),
        ("empty.md", b"", "Could not read"),
    ],
)
def test_add_document_refuses_before_touching_the_corpus(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", ingest={"max_file_mb": 1.0})
    src = tmp_path / name
    src.write_bytes(data)
    with pytest.raises(UploadRefused, match=reason):
        pending = accept_upload(src, file_name=None, meta=UploadMeta(title="T"), settings=settings)
        add_document(pending, settings=settings)
    assert not settings.corpus_dir.exists() and not settings.data_dir.exists()


def _answer() -> tuple[Answer, Passage]:
    passage = Passage(
        id="doc:1", doc_id="doc", title="Review <2020>", organisation="IOM", year=2020, section="5. Findings",
        kind="recommendation", page=4, text="Intro sentence. Engage employers early & often. Closing.", start=0, end=56,
    )
    cite = Citation(
        n=1, passage_id="doc:1", doc_id="doc", title=passage.title, section=passage.section, page=4,
        quote="Engage employers early & often.", organisation="IOM", year=2020, kind="recommendation",
    )
    return Answer(question="How to engage employers?", answer="Engage them early [1].", citations=[cite]), passage


def test_source_card_shows_origin_and_full_passage_escaped() -> None:
    answer, passage = _answer()
    card = source_card(answer.citations[0], passage)
    assert card.startswith("<details class='source-card'")
    assert "Review &lt;2020&gt; — IOM, 2020 · 5. Findings · recommendation · p. 4" in card
    assert "Intro sentence. <mark>Engage employers early &amp; often.</mark> Closing." in card
    assert "\n" not in card  # one line, so Markdown keeps it as a single HTML block
    shown = chat_message(answer, {passage.id: passage})
    assert shown.startswith("Engage them early [1].") and shown.count("<details") == 1


def test_export_markdown_has_answer_and_references() -> None:
    answer, _ = _answer()
    md = export_markdown(answer, role="designer")
    assert md.startswith("# How to engage employers?\n")
    assert "Engage them early [1]." in md
    assert "[1] Review <2020> — IOM, 2020 · 5. Findings · recommendation · p. 4" in md
    assert "> Engage employers early & often." in md


def test_feedback_appends_json_lines(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    for rating in ("up", "down"):
        record_feedback(FeedbackRecord(rating=rating, question="q", answer="a"), settings=settings)
    lines = feedback_path(settings).read_text().splitlines()
    assert [json.loads(line)["rating"] for line in lines] == ["up", "down"]
