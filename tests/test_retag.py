"""Themes in the store: exact round trip, the theme where-filter, and re-tagging from stored vectors."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from ingest.embed import DIM
from ingest.models import CatalogEntry, Document, Filters
from ingest.retag import passages_with_vectors, retag_store
from ingest.records import filters_to_where
from ingest.store import open_store
from ingest_helpers import make_passage
from theme_helpers import SHIPPED, flat_tagger

SETTINGS = {"weight_keyword": 0.03, "keyword_cap": 2, "weight_section": 0.0, "threshold": 0.025}
PASSAGES = [
    make_passage("a", 0, "Shelters gave survivors psychosocial support.", themes=["victim_assistance"]),
    make_passage("a", 1, "Women and girls were consulted.", themes=["gender", "protection"]),
    make_passage("b", 0, "The budget came from two donors."),
]


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture
def store(tmp_settings):
    s = open_store(tmp_settings)
    for name in ("e5", "minilm"):  # re-tagging must reach every collection
        s.ensure_collection(name, model=f"{name}-test", dim=DIM)
    for doc_id in ("a", "b"):
        ps = [p for p in PASSAGES if p.doc_id == doc_id]
        doc = Document(doc_id=doc_id, path=f"/c/{doc_id}.txt", sha256="s", text="...", meta=CatalogEntry(title=doc_id))
        vectors = np.stack([unit(PASSAGES.index(p)) for p in ps])
        s.replace_document(doc, ps, {"e5": vectors, "minilm": vectors}, themes="stamp-0")
    return s


def ids(store, name: str, filters: Filters) -> set[str]:
    return {p.id for p, _ in store.vector_query(name, unit(0), k=10, filters=filters)}


def test_themes_round_trip_and_filter_inside_the_vector_search(store):
    assert store.all_passages() == PASSAGES
    assert ids(store, "e5", Filters(themes=["gender"])) == {PASSAGES[1].id}
    assert ids(store, "e5", Filters(themes=["gender", "victim_assistance"])) == {PASSAGES[0].id, PASSAGES[1].id}
    assert ids(store, "e5", Filters(themes=["funding"])) == set()
    assert store.manifest()["a"].themes == "stamp-0"
    assert filters_to_where(Filters(themes=["gender", "children"])) == {
        "$or": [{"theme:gender": True}, {"theme:children": True}]}


def test_stored_vectors_come_back_in_passage_order(store):
    passages, vectors = passages_with_vectors(store)
    assert passages == PASSAGES
    assert np.allclose(vectors, np.stack([unit(i) for i in range(3)]), atol=1e-6)


def test_retagging_rewrites_themes_everywhere_without_embedding(store, tmp_path):
    before = store.fingerprint()
    tagger, _ = flat_tagger(dim=DIM, **SETTINGS)
    report = retag_store(store, tagger)
    got = {p.id: p.themes for p in store.all_passages()}
    assert got == {PASSAGES[0].id: ["victim_assistance"], PASSAGES[1].id: ["gender"],
                   PASSAGES[2].id: ["funding"]}  # "budget" and "donors"
    assert report.passages == 3 and report.changed == 2 and report.by_theme["gender"] == 1
    for name in ("e5", "minilm"):
        assert ids(store, name, Filters(themes=["protection"])) == set()  # the dropped flag is gone
        assert ids(store, name, Filters(themes=["funding"])) == {PASSAGES[2].id}
    assert {r.themes for r in store.manifest().values()} == {report.stamp} and store.fingerprint() != before

    edited = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    edited["themes"] = [t for t in edited["themes"] if t["id"] != "funding"]  # a user removes a theme
    path = tmp_path / "themes.yaml"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    second = retag_store(store, flat_tagger(path, dim=DIM, **SETTINGS)[0])
    assert second.changed == 1 and second.stamp != report.stamp
    assert ids(store, "e5", Filters(themes=["funding"])) == set()
    assert store.all_passages()[2].themes == []
