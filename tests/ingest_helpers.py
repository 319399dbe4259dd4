"""Builders for ingestion tests: passages without the parser, and small corpora written in code."""

from __future__ import annotations

from pathlib import Path

import yaml

from ingest.models import Passage


def make_passage(doc_id: str, position: int, text: str, **fields) -> Passage:
    """A Passage with a stable id, for tests that don't go through the parser."""
    values = {"title": f"Title of {doc_id}", "start": position * 1000, "end": position * 1000 + len(text)}
    values.update(fields)
    return Passage(id=Passage.make_id(doc_id, position, text), doc_id=doc_id, text=text, **values)


def paragraph(topic: str, n: int) -> str:
    """About 35 words on `topic`, different for each n."""
    return (
        f"Finding {n} on {topic}: the team interviewed staff and partners in round {n}. "
        f"{topic.capitalize()} improved where local partners joined early and budgets were predictable, "
        f"while weak coordination delayed results in {n + 2} districts."
    )


def write_doc(folder: Path, name: str, title: str, topics: list[str], *, encoding: str = "utf-8") -> Path:
    """A small report in markdown-like text: a title, then one section per topic with two paragraphs."""
    parts = [f"# {title}", ""]
    for i, topic in enumerate(topics, start=1):
        parts += [f"## {i}. {topic.capitalize()}", "", paragraph(topic, 2 * i), "", paragraph(topic, 2 * i + 1), ""]
    path = folder / name
    folder.mkdir(parents=True, exist_ok=True)
    path.write_bytes("\n".join(parts).encode(encoding))
    return path


def write_catalog(folder: Path, entries: dict[str, dict]) -> Path:
    """corpus/catalog.yaml with the given entries (file name -> CatalogEntry fields)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(entries, allow_unicode=True), encoding="utf-8")
    return path


SMALL_CORPUS = {
    "shelters.txt": ("Shelters for victims of trafficking", ["shelter management", "case referral"],
                     {"organisation": "UNODC", "year": 2022, "countries": ["Mexico"], "doc_type": "evaluation brief"}),
    "hotline.txt": ("A national hotline for migrants", ["hotline operation", "data protection"],
                    {"organisation": "IOM", "year": 2020, "countries": ["Nigeria", "Ghana"], "doc_type": "review"}),
    "training.txt": ("Training of border officials", ["training of police", "curriculum design"],
                     {"organisation": "IOM", "year": 2021, "countries": ["Mexico"], "doc_type": "self-evaluation"}),
}


def build_small_corpus(folder: Path) -> Path:
    """Three short documents with a catalog, in `folder`."""
    catalog = {}
    for name, (title, topics, meta) in SMALL_CORPUS.items():
        write_doc(folder, name, title, topics)
        catalog[name] = {"title": title, **meta}
    write_catalog(folder, catalog)
    return folder


REAL_REPORTS = Path(__file__).resolve().parents[1].parent / "shared" / "real-reports"


def prepare_real(names) -> dict:
    """file name -> (cleaned Document, passages) for real reports of ../shared/real-reports, with their catalog."""
    from ingest.catalog import read_catalog_with_problems
    from ingest.pipeline import _prepare
    from ingest.settings import Settings

    catalog, _ = read_catalog_with_problems(REAL_REPORTS / "catalog.yaml")
    return {name: _prepare(REAL_REPORTS / name, catalog, Settings()) for name in names}
