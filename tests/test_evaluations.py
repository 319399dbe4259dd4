"""One evaluation, several files: the `evaluation` id derived from shared project codes and title words when the
catalog gives none, and stamped on the store's documents and passages (also those indexed by an earlier run)."""

from __future__ import annotations

import json
from argparse import Namespace
from io import StringIO

import numpy as np

from assistant.cli_docs import run_passages
from ingest.embed import DIM
from ingest.evaluations import derive_evaluations, stamp_evaluations
from ingest.models import CatalogEntry, Document
from ingest.store import open_store
from ingest_helpers import make_passage


def entry(title: str, year: int = 2022, countries=("Italy",), **more) -> CatalogEntry:
    return CatalogEntry(title=title, year=year, countries=list(countries), organisation="IOM Italy", **more)


ENTRIES = {
    "brief": entry("Evaluation Brief: Local Authorities Network for Migration and Development"),
    "report": entry("Final Evaluation: Local Authorities Network for Migration and Development"),
    "matrix": entry("Management follow-up response matrix: LANMD"),
    "other-year": entry("Final evaluation of LANMD phase 1", year=2019),
    "elsewhere": entry("Management response matrix: LANMD", countries=("Niger",)),
    "fr-brief": entry("Résumé d'évaluation : dialogue binational Haïti - République dominicaine", year=2025,
                      countries=("Haiti", "Dominican Republic")),
    "fr-matrix": entry("Management Response and Action Plan Matrix: binational dialogue project", year=2025,
                       countries=("Haiti", "Dominican Republic")),
    "unrelated": entry("Final Evaluation: Strengthening shelters for survivors"),
    "catalogued": entry("Evaluation Brief: Strengthening shelters for survivors", evaluation="shelters-2022"),
}


def test_files_of_one_evaluation_share_an_id():
    got = derive_evaluations(ENTRIES)
    assert got["brief"] == got["report"] == got["matrix"] == "lanmd-2022"  # a code, and the initials of a title
    assert got["fr-brief"] == got["fr-matrix"] == "binational-dialogue-2025"  # two distinctive title words
    assert "other-year" not in got and "elsewhere" not in got and "unrelated" not in got  # no group of one
    assert got["catalogued"] == "shelters-2022"  # the catalog's own id wins


def test_document_type_words_never_make_an_evaluation():
    got = derive_evaluations({"a": entry("Final Internal Evaluation: Migration project report"),
                              "b": entry("Final Internal Evaluation Report of the migration project")})
    assert got == {}


def test_stamped_on_documents_and_passages_already_indexed(tmp_settings):
    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="test", dim=DIM)

    def add(doc_id: str) -> None:
        passages = [make_passage(doc_id, k, f"Passage {k} of {doc_id}.") for k in range(3)]
        doc = Document(doc_id=doc_id, path=f"/c/{doc_id}.pdf", sha256=doc_id, text="", meta=ENTRIES[doc_id])
        store.replace_document(doc, passages, {"e5": np.ones((3, DIM), dtype=np.float32) / DIM ** 0.5})

    add("report")
    add("unrelated")
    assert stamp_evaluations(store) == {}  # nothing to link yet
    add("matrix")  # a later run brings the management response
    assert stamp_evaluations(store) == {"report": "lanmd-2022", "matrix": "lanmd-2022"}
    assert {p.doc_id: p.evaluation for p in store.all_passages()} == \
        {"report": "lanmd-2022", "matrix": "lanmd-2022", "unrelated": ""}
    assert {p.doc_id: p.evaluation for p, _ in store.vector_query("e5", np.ones(DIM), k=9)} == \
        {"report": "lanmd-2022", "matrix": "lanmd-2022", "unrelated": ""}
    stamped = store.passage_collections()["e5"].get(where={"evaluation": "lanmd-2022"})["ids"]
    assert len(stamped) == 6  # the metadata key a `where` reads is stamped too
    documents = {d["doc_id"]: d["evaluation"] for d in store.stats()["documents"]}
    assert documents == {"matrix": "lanmd-2022", "report": "lanmd-2022", "unrelated": ""}
    assert stamp_evaluations(store) == {}  # idempotent
    out = StringIO()
    run_passages(Namespace(doc="matrix", json=True), tmp_settings, out=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 3 and {row["evaluation"] for row in rows} == {"lanmd-2022"}
