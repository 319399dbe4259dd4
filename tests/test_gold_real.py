"""The gold set over the real reports (evals/quality/gold_real.yaml): schema, coverage, and every gold phrase checked
against the text pypdf / python-docx extract from the file it names (so a mistyped or invented phrase fails)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml

from evals.quality.metrics import GoldItem, fold, load_gold, select

ROOT = Path(__file__).resolve().parents[1]
GOLD_REAL = ROOT / "evals" / "quality" / "gold_real.yaml"
REAL_REPORTS = ROOT.parent / "shared" / "real-reports"
OTHER_LANGUAGES = {"fr", "es", "no", "nn", "sv"}

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not REAL_REPORTS.is_dir(), reason=f"real reports not found at {REAL_REPORTS}"),
]


def _report(stem: str) -> Path:
    matches = [p for p in REAL_REPORTS.iterdir() if p.stem == stem and p.suffix.lower() in (".pdf", ".docx")]
    assert len(matches) == 1, f"no single real report named {stem!r}"
    return matches[0]


def _units(path: Path) -> list[str]:
    """The file's text in units a phrase must not cross: PDF pages, DOCX paragraphs and table cells."""
    if path.suffix.lower() == ".pdf":
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(path).pages]
    import docx

    document = docx.Document(str(path))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return [p.text for p in document.paragraphs] + cells


def _variants(text: str) -> set[str]:
    """Folded text with a line-end hyphen kept (compound words) and dropped (split words)."""
    return {fold(re.sub(r"-[ \t]*\n\s*", joiner, text)) for joiner in ("-", "")}


@cache
def folded_units(stem: str) -> tuple[str, ...]:
    return tuple(v for unit in _units(_report(stem)) for v in _variants(unit))


def occurs(phrase: str, stem: str) -> bool:
    needle = fold(phrase)
    return any(needle in unit for unit in folded_units(stem))


@pytest.fixture(scope="module")
def gold() -> list[GoldItem]:
    return load_gold(GOLD_REAL)


@pytest.fixture(scope="module")
def catalog_languages() -> dict[str, set[str]]:
    raw = yaml.safe_load((REAL_REPORTS / "catalog.yaml").read_text(encoding="utf-8"))
    return {Path(name).stem: set(entry["languages"]) for name, entry in raw.items()}


def test_gold_real_has_the_required_counts(gold):
    assert len(gold) >= 70
    assert all(item.id.startswith("r") for item in gold)
    assert sum(item.lang in OTHER_LANGUAGES for item in gold) >= 18
    assert {item.lang for item in gold} <= OTHER_LANGUAGES | {"en"}
    assert sum(not item.answerable for item in gold) >= 12
    assert {item.role for item in gold} == {"designer", "trainer", "evaluator"}


def test_gold_real_splits_are_balanced(gold):
    for split in ("tuning", "test"):
        part = select(gold, split)
        assert 0.4 * len(gold) <= len(part) <= 0.6 * len(gold)
        assert sum(not item.answerable for item in part) >= 5, split
        assert sum(item.lang != "en" for item in part) >= 9, split
        for role in ("designer", "trainer", "evaluator"):
            assert sum(item.role == role for item in part) >= 0.2 * len(part), (split, role)


def test_gold_real_covers_many_documents_without_leaning_on_one(gold):
    stems = {p.stem for p in REAL_REPORTS.iterdir() if p.suffix.lower() in (".pdf", ".docx")}
    per_doc = Counter(stem for item in gold for stem in item.docs)
    assert set(per_doc) <= stems, set(per_doc) - stems
    assert len(per_doc) >= 18
    assert max(per_doc.values()) <= 7, per_doc.most_common(3)


def test_gold_real_asks_across_languages(gold, catalog_languages):
    crossing = [i for i in gold if i.answerable and all(i.lang not in catalog_languages[d] for d in i.docs)]
    assert len(crossing) >= 10, [i.id for i in crossing]
    assert {i.lang for i in crossing} >= {"en", "fr", "es"}


def test_every_gold_phrase_occurs_in_a_document_it_names(gold):
    missing = []
    for item in gold:
        if not item.answerable:
            assert not item.gold and not item.docs, item.id
            continue
        assert item.docs and 1 <= len(item.gold) <= 3, item.id
        for phrase in item.gold:
            assert 8 <= len(phrase.split()) <= 20, (item.id, phrase)
            if not any(occurs(phrase, stem) for stem in item.docs):
                missing.append((item.id, phrase))
        for stem in item.docs:  # a listed document must hold at least one of the phrases
            if not any(occurs(phrase, stem) for phrase in item.gold):
                missing.append((item.id, stem))
    assert not missing


def test_words_named_absent_occur_nowhere(gold):
    seed = [fold(p.read_text(encoding="utf-8")) for p in (ROOT / "corpus").glob("*.txt")]
    stems = sorted({p.stem for p in REAL_REPORTS.iterdir() if p.suffix.lower() in (".pdf", ".docx")})
    texts = seed + [unit for stem in stems for unit in folded_units(stem)]
    checked = 0
    for item in gold:
        if "absent:" not in item.notes:
            continue
        assert not item.answerable, item.id
        for word in item.notes.split("absent:", 1)[1].split("/"):
            assert not any(fold(word) in text for text in texts), (item.id, word)
            checked += 1
    assert checked >= 10


def test_the_phrase_check_rejects_a_wrong_phrase():
    stem = "IOM_2024_AAP_Evaluation_Brief"
    assert occurs("the evaluation largely confirms the findings from the 2023 MOPAN assessment", stem)
    assert not occurs("the evaluation largely confirms the findings from the 2024 MOPAN assessment", stem)
    assert occurs("AAP Unit accepts the recommendation", "IOM_2024_AAP_Management_Response")
