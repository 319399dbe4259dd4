"""The dense path (ingest/snapshot/dense.py, used by assistant.retrieval.search.vector_search) returns what
Chroma's own filtered query returns, and only passages of the snapshot it was loaded with."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from assistant.retrieval.search import vector_search
from ingest.embed import DIM
from ingest.models import CatalogEntry, Document, Filters, Kind
from ingest.snapshot.build import open_snapshot, snapshot_folder
from ingest.snapshot.columns import MetadataColumns
from ingest.snapshot.dense import DenseMatrix
from ingest.store import open_store
from ingest_helpers import make_passage

ORGS = ["IOM", "UNODC", "Norad"]
COUNTRIES = ["Mexico", "Nigeria", "Norway", "Ghana"]
KINDS = [Kind.lesson, Kind.recommendation, Kind.finding, Kind.text]


def _passages(doc_id: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        out.append(make_passage(
            doc_id, i, f"Passage {i} of {doc_id} about shelters, referral and hotline number {rng.integers(1000)}.",
            organisation=ORGS[(seed + i) % 3], year=[2019, 2020, None][i % 3], kind=KINDS[i % 4],
            countries=sorted({COUNTRIES[i % 4], COUNTRIES[(i * 7 + seed) % 4]}), language=["en", "nn"][i % 2],
        ))
    return out


class StubEmbedder:
    """Returns a fixed query vector (the tests are about search, not embedding)."""

    name, dim = "e5", DIM

    def __init__(self, vector: np.ndarray) -> None:
        self.vector = vector

    def embed_query(self, text: str) -> np.ndarray:
        return self.vector


@pytest.fixture
def index(tmp_settings):
    from assistant.retrieval.search import SearchIndex

    store = open_store(tmp_settings)
    store.ensure_collection("e5", model="stub", dim=DIM)
    rng = np.random.default_rng(0)
    for d in range(4):
        ps = _passages(f"doc{d}", 30, d)
        vecs = rng.normal(size=(len(ps), DIM)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        meta = CatalogEntry(title=f"Doc {d}", organisation=ORGS[d % 3])
        store.replace_document(Document(doc_id=f"doc{d}", path=f"/c/doc{d}.txt", sha256=str(d), text="", meta=meta),
                               ps, {"e5": vecs})
    query = rng.normal(size=DIM).astype(np.float32)
    embedders = {"e5": StubEmbedder(query / np.linalg.norm(query))}
    return SearchIndex(settings=tmp_settings, store=store, embedders=embedders,
                       snapshot=open_snapshot(store, tmp_settings, embedders=embedders))


FILTERS = [
    Filters(organisations=["UNODC"]), Filters(years=[2019]), Filters(countries=["Mexico", "Ghana"]),
    Filters(kinds=[Kind.lesson, Kind.finding], languages=["nn"]), Filters(doc_ids=["doc2"], years=[2020]),
    Filters(organisations=["Nobody"]), Filters(countries=["Atlantis"]),
]


@pytest.mark.parametrize("filters", FILTERS)
def test_columns_mask_equals_filters_matches(index, filters):
    mask = MetadataColumns(index.keyword.passages).mask(filters)
    assert mask.tolist() == [filters.matches(p) for p in index.keyword.passages]


def test_no_filter_means_no_mask(index):
    assert MetadataColumns(index.keyword.passages).mask(Filters()) is None


@pytest.mark.parametrize("filters", [None, *FILTERS])
def test_same_passages_as_chromas_own_query(index, filters):
    vector = index.embedders["e5"].embed_query("")
    expected = index.store.vector_query("e5", vector, k=10, filters=filters)
    got = vector_search("q", index=index, embedder="e5", k=10, filters=filters)
    assert [h.passage for h in got] == [p for p, _ in expected]
    assert [h.scores["dense_e5"] for h in got] == pytest.approx([s for _, s in expected], abs=1e-4)


def test_matrix_is_saved_per_fingerprint_and_read_back(index, tmp_settings):
    folder = snapshot_folder(tmp_settings, index.keyword.fingerprint)
    built = DenseMatrix.load_or_build(index.store, index.keyword, embedder="e5", folder=folder)
    path = tmp_settings.data_dir / "snapshot" / index.keyword.fingerprint / "e5.npy"
    assert path.is_file()
    again = DenseMatrix.load_or_build(index.store, index.keyword, embedder="e5", folder=folder)
    assert isinstance(again.matrix, np.memmap) and np.array_equal(np.asarray(again.matrix), np.asarray(built.matrix))


def test_passages_outside_the_snapshot_are_never_returned(index):
    """A document written after the keyword snapshot (or half written) stays invisible until a refresh."""
    extra = _passages("late", 5, 9)
    index.store.replace_document(
        Document(doc_id="late", path="/c/late.txt", sha256="x", text="", meta=CatalogEntry(title="Late")),
        extra, {"e5": np.tile(index.embedders["e5"].vector, (5, 1))},  # the nearest vectors of all
    )
    hits = vector_search("q", index=index, embedder="e5", k=10)
    assert len(hits) == 10 and not any(h.passage.doc_id == "late" for h in hits)
    assert index.refresh()
    hits = vector_search("q", index=index, embedder="e5", k=10)
    assert [h.passage.doc_id for h in hits[:5]] == ["late"] * 5


def test_every_combination_of_two_filters_agrees_with_matches(index):
    columns = MetadataColumns(index.keyword.passages)
    for a, b in itertools.combinations(FILTERS[:5], 2):
        merged = Filters(**{k: getattr(a, k) or getattr(b, k) for k in Filters.model_fields})
        assert columns.mask(merged).tolist() == [merged.matches(p) for p in index.keyword.passages]
