"""Fixture passages for the recommendation tracker: one evaluation with a report and its management-response
matrix, two documents without an evaluation id, and vectors that put recommendations saying the same thing
together (a topic direction plus a little noise), written straight into a store when a test needs an index."""

from __future__ import annotations

import numpy as np

from ingest.embed import DIM
from ingest.models import CatalogEntry, Document, Kind, Passage
from ingest.settings import Settings
from ingest.store import open_store
from ingest_helpers import make_passage

EVALUATION = "shelters-2021"
DOCS = {  # doc_id -> catalog fields
    "shelter-report": {"title": "Final evaluation of the shelter programme", "organisation": "ACME", "year": 2021,
                       "countries": ["Mexico"], "evaluation": EVALUATION, "doc_type": "evaluation"},
    "shelter-mr": {"title": "Management response to the shelter evaluation", "organisation": "ACME", "year": 2021,
                   "countries": ["Mexico"], "evaluation": EVALUATION, "doc_type": "management response"},
    "hotline-review": {"title": "Review of the national hotline", "organisation": "Beta", "year": 2019,
                       "countries": ["Nigeria"], "doc_type": "review"},
    "memo": {"title": "Oppfølgingsnotat", "organisation": "Gamma", "year": 2011, "countries": ["Norway"],
             "doc_type": "memo", "languages": ["nn"]},
}
# (doc_id, kind, text, fields, topic): passages of one topic say the same thing
ROWS = [
    ("shelter-report", Kind.finding, "Shelters lost trained staff every year because grants were annual.", {}, "f"),
    ("shelter-report", Kind.recommendation,
     "Recommendation 1: Fund shelters for at least three years so that trained staff can be retained.", {}, "fund"),
    ("shelter-report", Kind.recommendation,
     "Recommendation 2: Train prosecutors together with labour inspectors on victim identification.", {}, "train"),
    ("shelter-mr", Kind.table_row, "Recommendation 1 | accepted | multi-year grants agreed",
     {"recommendation": "Recommendation 1", "response": "accepted", "actions": "Multi-year grants agreed",
      "status": "completed", "addressed_to": "Ministry of Social Development"}, "mr1"),
    ("shelter-mr", Kind.table_row, "Joint training of prosecutors and labour inspectors | not accepted",
     {"recommendation": "Joint training of prosecutors and labour inspectors", "response": "not accepted",
      "status": "closed"}, "train"),
    ("shelter-mr", Kind.table_row, "Recommendation 3: Publish yearly data on identified victims | partially accepted",
     {"recommendation": "Recommendation 3: Publish yearly data on identified victims",
      "response": "partially accepted", "status": "ongoing"}, "data"),
    ("hotline-review", Kind.recommendation, "Give shelters multi-year funding so that their staff stay.", {}, "fund"),
    ("hotline-review", Kind.recommendation, "Run the hotline in the languages migrants speak.", {}, "hotline"),
    ("memo", Kind.recommendation, "Krisesentra bør få fleirårig finansiering slik at personalet blir verande.", {},
     "fund"),
]


def tracker_passages() -> list[Passage]:
    """The fixture passages, with their documents' catalog metadata and a section each."""
    out = []
    for position, (doc_id, kind, text, fields, _) in enumerate(ROWS):
        meta = DOCS[doc_id]
        out.append(make_passage(
            doc_id, position, text, kind=kind, fields=fields, title=meta["title"], organisation=meta["organisation"],
            year=meta["year"], countries=meta["countries"], evaluation=meta.get("evaluation", ""),
            section="4. Recommendations", page=position + 2, language=meta.get("languages", ["en"])[0],
            themes=["funding"] if ROWS[position][4] == "fund" else [],
        ))
    return out


def tracker_vectors(passages: list[Passage], *, noise: float = 0.05) -> dict[str, np.ndarray]:
    """Unit vectors: one direction per topic, a little noise per passage."""
    rng = np.random.default_rng(7)
    topics = {topic: rng.normal(size=DIM) for *_, topic in ROWS}
    out = {}
    for passage, (*_, topic) in zip(passages, ROWS, strict=True):
        v = topics[topic] / np.linalg.norm(topics[topic]) + noise * rng.normal(size=DIM) / np.sqrt(DIM)
        out[passage.id] = (v / np.linalg.norm(v)).astype(np.float32)
    return out


def write_tracker_index(settings: Settings) -> list[Passage]:
    """The fixture passages and vectors written into the store `settings` point at (e5 collection)."""
    from ingest.embed import model_identity

    passages = tracker_passages()
    vectors = tracker_vectors(passages)
    store = open_store(settings)
    store.ensure_collection("e5", model=model_identity("e5"), dim=DIM)
    for doc_id, meta in DOCS.items():
        mine = [p for p in passages if p.doc_id == doc_id]
        doc = Document(doc_id=doc_id, path=f"/corpus/{doc_id}.txt", sha256=doc_id, text="",
                       meta=CatalogEntry(**meta))
        store.replace_document(doc, mine, {"e5": np.stack([vectors[p.id] for p in mine])})
    return passages
