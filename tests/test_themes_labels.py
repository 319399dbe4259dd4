"""The hand-labelled theme sample (evals/quality/themes_labels.yaml): it parses, covers every theme in both halves, and
every snippet occurs in its document (the seed corpus or ../shared/real-reports)."""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml

from ingest.models import Kind
from ingest.themes import load_taxonomy
from theme_helpers import SHIPPED

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "evals" / "quality" / "themes_labels.yaml"
FOLDERS = {"corpus": ROOT / "corpus", "real-reports": ROOT.parent / "shared" / "real-reports"}

pytestmark = pytest.mark.slow


def letters(text: str) -> str:
    """Letters and digits only, case-folded: PDF line breaks, hyphens and ligatures do not matter."""
    return "".join(c for c in unicodedata.normalize("NFKC", text).casefold() if c.isalnum())


def document_text(path: Path) -> str:
    if path.suffix == ".pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() or "" for page in PdfReader(path).pages)
    if path.suffix == ".docx":
        import docx

        d = docx.Document(str(path))
        return "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))["passages"]


def test_labels_parse_and_cover_every_theme_in_both_halves(rows):
    ids = set(load_taxonomy(SHIPPED).ids)
    assert len(rows) >= 160
    for row in rows:
        assert row["split"] in {"tuning", "test"} and row["picked"] in {"random", "word_search"}
        assert set(row["themes"]) <= ids and len(row["themes"]) == len(set(row["themes"]))
        assert Kind(row["kind"]) and row["language"] and row["snippet"] and row["text"]
        assert row["file"].split("/")[0] in FOLDERS
    for split in ("tuning", "test"):
        counts = Counter(t for r in rows if r["split"] == split for t in r["themes"])
        assert set(counts) == ids and min(counts.values()) >= 3, counts
    per_doc = Counter((r["doc"], r["split"]) for r in rows)
    for doc in {r["doc"] for r in rows}:  # halves alternate inside each document
        assert abs(per_doc[(doc, "tuning")] - per_doc[(doc, "test")]) <= 1
    assert len({r["doc"] for r in rows if r["file"].startswith("corpus/")}) == 4


def test_every_snippet_occurs_in_its_document(rows):
    texts: dict[str, str] = {}
    missing = []
    for row in rows:
        folder, name = row["file"].split("/", 1)
        path = FOLDERS[folder] / name
        if not path.exists():
            pytest.skip(f"{path} is not here")
        if row["file"] not in texts:
            texts[row["file"]] = letters(document_text(path))
        if letters(row["snippet"]) not in texts[row["file"]]:
            missing.append((row["doc"], row["snippet"][:60]))
        assert len(row["snippet"].split()) >= 8 and letters(row["snippet"]) in letters(row["text"])
    assert missing == []
