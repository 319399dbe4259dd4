"""Synthetic corpora for the benchmark, recombined from the real one so nothing is an exact duplicate.

- `write_documents`: report-shaped .txt files (headings, findings, lessons, recommendation bullets) plus a
  catalog, built from real corpus sentences under fresh document ids, until the real parser cuts them into
  the requested number of passages. These go through the real ingestion pipeline.
- `derive_documents`: store-level documents for the large points: each passage recombines the sentences of a
  real ingested passage (plus one borrowed sentence), and its vector is that passage's real vector with a
  small random perturbation, re-normalised. They are written straight into the Store in batches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import yaml

from ingest.catalog import read_catalog
from ingest.clean import clean_document
from ingest.load import load_file
from ingest.models import CatalogEntry, Document, Filters, Passage
from ingest.passages import make_passages
from ingest.settings import IngestSettings
from ingest.structure import parse_blocks

ORGANISATIONS = ["IOM", "UNODC", "Norad", "ILO", "UNHCR", "UNICEF", "OSCE", "ICMPD"]
COUNTRIES = ["Mexico", "Guatemala", "Nigeria", "Ghana", "Thailand", "Viet Nam", "Ukraine", "Moldova", "Nepal",
             "Bangladesh", "Ethiopia", "Kenya", "Philippines", "Indonesia", "Colombia", "Peru", "Egypt", "Libya",
             "Niger", "Mali", "Senegal", "Cambodia", "Myanmar", "Pakistan", "Afghanistan", "Honduras",
             "El Salvador", "Romania", "Albania", "Global"]
DOC_TYPES = ["evaluation", "review", "evaluation brief", "self-evaluation", "memo"]
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅÁÉÍÓÚÑ])")
_MARKUP = re.compile(r"<[^>]+>|\*\*|__|^[#>\-\s|]+|\t+")
_SECTIONS = {
    "en": ["Findings", "Lessons learned", "Challenges", "Good practices"],
    "nn": ["Funn", "Lærdom", "Utfordringar", "God praksis"],
}
_RECOMMENDATIONS = {"en": "Recommendations", "nn": "Tilrådingar"}


def sentence_pool(corpus_dir: Path) -> dict[str, list[str]]:
    """Sentences of the real corpus by language (8-60 words, mostly letters, markup stripped)."""
    catalog = read_catalog(corpus_dir / "catalog.yaml")
    pool: dict[str, set[str]] = {}
    for name, entry in sorted(catalog.items()):
        language = "nn" if entry.languages[0] in {"nn", "no", "nb"} else "en"
        for line in (corpus_dir / name).read_text(encoding="utf-8").splitlines():
            for sentence in _SPLIT.split(_MARKUP.sub(" ", line).strip()):
                words = sentence.split()
                letters = sum(ch.isalpha() for ch in sentence)
                if 8 <= len(words) <= 60 and letters > 0.7 * len(sentence) and sentence[-1] in ".!?":
                    pool.setdefault(language, set()).add(" ".join(words))
    return {lang: sorted(sentences) for lang, sentences in pool.items()}


def _entry(rng: np.random.Generator, title: str, language: str) -> CatalogEntry:
    countries = sorted({str(c) for c in rng.choice(COUNTRIES, size=int(rng.integers(1, 4)), replace=False)})
    return CatalogEntry(
        title=title, organisation=str(rng.choice(ORGANISATIONS)), year=int(rng.integers(2005, 2025)),
        countries=countries, languages=[language], doc_type=str(rng.choice(DOC_TYPES)),
        source="synthetic benchmark document recombined from corpus/",
    )


def _document_text(rng: np.random.Generator, title: str, sentences: list[str], language: str) -> str:
    """One report: an intro, four themed sections of paragraphs, and a list of recommendations."""
    pick = lambda n: [sentences[int(i)] for i in rng.choice(len(sentences), size=n, replace=False)]  # noqa: E731
    parts = [f"# {title}", "", " ".join(pick(4)), ""]
    for number, heading in enumerate(_SECTIONS[language], start=1):
        parts += [f"## {number}. {heading}", ""]
        for _ in range(int(rng.integers(1, 4))):
            parts += [" ".join(pick(int(rng.integers(3, 8)))), ""]
    parts += [f"## {len(_SECTIONS[language]) + 1}. {_RECOMMENDATIONS[language]}", ""]
    parts += [f"- {s}" for s in pick(int(rng.integers(2, 6)))] + [""]
    return "\n".join(parts)


def count_passages(path: Path, *, catalog: dict[str, CatalogEntry], settings: IngestSettings) -> int:
    """How many passages the real parser cuts a file into."""
    doc = clean_document(load_file(path, catalog=catalog, max_bytes=1 << 30))
    return len(make_passages(doc, parse_blocks(doc.text), settings=settings))


def write_documents(
    folder: Path, *, corpus_dir: Path, passages: int, seed: int, settings: IngestSettings
) -> tuple[list[Path], int]:
    """Write synthetic reports (and catalog.yaml) into `folder` until they hold about `passages` passages;
    returns the files and the exact passage count the parser gives them."""
    rng = np.random.default_rng(seed)
    pool = sentence_pool(corpus_dir)
    languages = sorted(pool)
    weights = np.array([len(pool[lang]) for lang in languages], dtype=float)
    folder.mkdir(parents=True, exist_ok=True)
    catalog: dict[str, CatalogEntry] = {}
    files: list[Path] = []
    total = 0
    while total < passages:
        language = str(rng.choice(languages, p=weights / weights.sum()))
        n = len(files) + 1
        title = f"Synthetic evaluation {n:04d}: {' '.join(pool[language][int(rng.integers(len(pool[language])))].split()[:6])}"
        path = folder / f"bench-{seed}-{n:04d}.txt"
        path.write_text(_document_text(rng, title, pool[language], language), encoding="utf-8")
        catalog[path.name] = _entry(rng, title, language)
        total += count_passages(path, catalog=catalog, settings=settings)
        files.append(path)
    (folder / "catalog.yaml").write_text(
        yaml.safe_dump({k: v.model_dump(mode="json") for k, v in catalog.items()}, allow_unicode=True),
        encoding="utf-8",
    )
    return files, total


def _recombine(rng: np.random.Generator, base: str, donors: list[str]) -> str:
    """About half of the base passage's sentences, the rest (plus one) drawn from donor passages, shuffled:
    derived passages of one base share its gist but are no near-copies of each other."""
    own = _SPLIT.split(base)
    keep = [own[int(i)] for i in rng.choice(len(own), size=max(1, (len(own) + 1) // 2), replace=False)]
    for donor in donors[: len(own) - len(keep) + 1]:
        borrowed = _SPLIT.split(donor)
        keep.append(borrowed[int(rng.integers(len(borrowed)))])
    return " ".join(keep[int(i)] for i in rng.permutation(len(keep)))


def derive_documents(
    base: list[Passage], vectors: np.ndarray, *, total: int, seed: int, per_doc: int = 50, sigma: float = 0.01,
    prefix: str = "syn",
) -> Iterator[tuple[Document, list[Passage], np.ndarray, list[int]]]:
    """Documents of `per_doc` passages (until `total`), each passage derived from a random real passage (whose
    vector it takes, perturbed); every text is unique (fresh doc ids, recombined sentences). Yields
    (document, passages, vectors, the base row each passage came from)."""
    rng = np.random.default_rng(seed)
    seen: set[str] = {p.text for p in base}
    made = 0
    n_doc = 0
    while made < total:
        n_doc += 1
        size = min(per_doc, total - made)
        doc_id = f"{prefix}-{n_doc:06d}"
        picks = rng.integers(len(base), size=size)
        language = base[int(picks[0])].language
        entry = _entry(rng, f"Synthetic evaluation {doc_id}", language)
        passages: list[Passage] = []
        for position, i in enumerate(picks):
            src = base[int(i)]
            donors = lambda: [base[int(j)].text for j in rng.integers(len(base), size=8)]  # noqa: E731
            text = _recombine(rng, src.text, donors())
            while text in seen:
                text = _recombine(rng, src.text, donors())
            seen.add(text)
            start = position * 2000
            passages.append(src.model_copy(update={
                "id": Passage.make_id(doc_id, position, text), "doc_id": doc_id, "title": entry.title,
                "organisation": entry.organisation, "year": entry.year, "countries": entry.countries,
                "doc_type": entry.doc_type, "text": text, "start": start, "end": start + len(text), "page": None,
            }))
        noisy = vectors[picks] + rng.normal(0.0, sigma, size=(size, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        doc = Document(doc_id=doc_id, path=f"/synthetic/{doc_id}.txt", sha256=f"synthetic-{seed}-{doc_id}",
                       text="", meta=entry)
        made += size
        yield doc, passages, noisy.astype(np.float32), [int(i) for i in picks]


def bench_filters() -> dict[str, Filters | None]:
    """The filters every measurement uses: none, one organisation (about 1 in 8 passages), and a year plus a
    country (about 1 in 300)."""
    return {"none": None, "org": Filters(organisations=["UNODC"]),
            "narrow": Filters(years=[2019], countries=["Mexico"])}
