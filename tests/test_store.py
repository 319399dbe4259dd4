"""The Chroma store: exact round trip, manifest after writes, filters inside the vector query, model changes."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.embed import DIM
from ingest.models import CatalogEntry, Document, Filters, Kind
from ingest.records import filters_to_where
from ingest.store import open_store
from ingest_helpers import make_passage

MODEL = "test-model v1"


def unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=DIM).astype(np.float32)
    return v / np.linalg.norm(v)


def doc(doc_id: str, *, sha: str = "sha-1", title: str | None = None) -> Document:
    meta = CatalogEntry(title=title or f"Title of {doc_id}", organisation="IOM", year=2020)
    return Document(doc_id=doc_id, path=f"/corpus/{doc_id}.txt", sha256=sha, text="...", meta=meta)


# Six passages over three documents with every metadata shape: no year, several countries, pages, fields.
PASSAGES = [
    make_passage("a", 0, "Shelter staff need training.", organisation="IOM", year=2020, countries=["Mexico"],
                 kind=Kind.lesson, fields={"lesson": "train staff", "context": "shelters"}, page=3,
                 section="5. Findings > 5.1 Shelters"),
    make_passage("a", 1, "Referral worked well.", organisation="IOM", year=2020, countries=["Mexico", "Guatemala"],
                 kind=Kind.finding),
    make_passage("b", 0, "Hotline data were protected.", organisation="UNODC", year=2022, countries=["Nigeria"],
                 kind=Kind.recommendation, language="en"),
    make_passage("b", 1, "Tilråding 1: styrk samarbeidet.", organisation="UNODC", year=2022, countries=["Norway"],
                 kind=Kind.recommendation, language="nn"),
    make_passage("c", 0, "No year on this one.", organisation="Norad", year=None, countries=[], kind=Kind.text),
    make_passage("c", 1, "A table row.", organisation="Norad", year=None, countries=["Mexico"], kind=Kind.table_row,
                 fields={"Country": "Mexico", "Result": "good"}),
]
VECTORS = {p.id: unit(i) for i, p in enumerate(PASSAGES)}


@pytest.fixture
def store(tmp_settings):
    s = open_store(tmp_settings)
    s.ensure_collection("e5", model=MODEL, dim=DIM)
    for doc_id in ("a", "b", "c"):
        ps = [p for p in PASSAGES if p.doc_id == doc_id]
        s.replace_document(doc(doc_id), ps, {"e5": np.stack([VECTORS[p.id] for p in ps])})
    return s


def test_passages_round_trip_exactly(store):
    assert store.all_passages() == sorted(PASSAGES, key=lambda p: (p.doc_id, p.start, p.id))


def test_manifest_records_documents_and_models(store):
    manifest = store.manifest()
    assert list(manifest) == ["a", "b", "c"]
    assert manifest["a"].passages == 2 and manifest["a"].sha256 == "sha-1"
    assert manifest["a"].models == {"e5": MODEL}
    assert manifest["a"].meta.title == "Title of a"


def test_nearest_vector_comes_first_with_cosine_similarity(store):
    target = PASSAGES[2]
    hits = store.vector_query("e5", VECTORS[target.id], k=3)
    assert hits[0][0] == target
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert hits[1][1] < 0.5  # random unit vectors are nearly orthogonal
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(doc_ids=["b"]),
        Filters(organisations=["IOM", "Norad"]),
        Filters(years=[2022]),
        Filters(countries=["Mexico"]),
        Filters(countries=["Nigeria", "Guatemala"]),
        Filters(languages=["nn"]),
        Filters(kinds=[Kind.recommendation, Kind.lesson]),
        Filters(countries=["Mexico"], kinds=[Kind.finding, Kind.table_row], organisations=["IOM", "Norad"]),
        Filters(years=[2020], languages=["nn"]),  # nothing matches
    ],
)
def test_vector_query_applies_filters_inside_the_search(store, filters):
    expected = {p.id for p in PASSAGES if filters.matches(p)}
    # k=1 for the passage that is *least* similar to the query among the matches: a post-filter would miss it
    query = -VECTORS[PASSAGES[0].id]
    got = store.vector_query("e5", query, k=len(PASSAGES), filters=filters)
    assert {p.id for p, _ in got} == expected
    top1 = store.vector_query("e5", query, k=1, filters=filters)
    assert len(top1) == min(1, len(expected)) and all(filters.matches(p) for p, _ in top1)


def test_where_clause_shapes():
    assert filters_to_where(None) is None and filters_to_where(Filters()) is None
    assert filters_to_where(Filters(doc_ids=["a"])) == {"doc_id": {"$in": ["a"]}}
    where = filters_to_where(Filters(countries=["Mexico", "Chile"], kinds=[Kind.lesson]))
    assert where == {"$and": [{"kind": {"$in": ["lesson"]}},
                              {"$or": [{"country:Mexico": True}, {"country:Chile": True}]}]}


def test_replacing_a_document_removes_its_old_passages(store):
    before = store.fingerprint()
    new = make_passage("a", 0, "Completely new text.", organisation="IOM", year=2020)
    store.replace_document(doc("a", sha="sha-2"), [new], {"e5": unit(99)[None, :]})
    ids = {p.id for p in store.all_passages()}
    assert new.id in ids and not ids & {PASSAGES[0].id, PASSAGES[1].id}
    assert store.manifest()["a"].sha256 == "sha-2" and store.manifest()["a"].passages == 1
    assert store.fingerprint() != before
    assert store.stats()["embedders"]["e5"]["records"] == 5


def test_delete_document_removes_manifest_entry_and_vectors(store):
    before = store.fingerprint()
    store.delete_document("b")
    assert "b" not in store.manifest()
    assert all(p.doc_id != "b" for p in store.all_passages())
    assert all(p.doc_id != "b" for p, _ in store.vector_query("e5", VECTORS[PASSAGES[2].id], k=6))
    assert store.stats()["embedders"]["e5"]["records"] == 4
    assert store.fingerprint() != before


def test_half_written_document_is_invisible(store):
    store.client.get_collection("documents").delete(ids=["c"])  # as if killed before the manifest write
    assert all(p.doc_id != "c" for p in store.all_passages())
    hits = store.vector_query("e5", VECTORS[PASSAGES[4].id], k=6)
    assert hits and all(p.doc_id != "c" for p, _ in hits)


def test_model_change_drops_the_old_vectors(store):
    assert store.ensure_collection("e5", model=MODEL, dim=DIM) is False
    assert store.stats()["embedders"]["e5"]["records"] == 6
    assert store.ensure_collection("e5", model="test-model v2", dim=DIM) is True
    assert store.collection_model("e5") == "test-model v2"
    assert store.stats()["embedders"]["e5"]["records"] == 0


def test_replace_needs_a_collection_and_matching_vectors(tmp_settings):
    s = open_store(tmp_settings)
    p = make_passage("x", 0, "text")
    with pytest.raises(KeyError, match="ensure_collection"):
        s.replace_document(doc("x"), [p], {"e5": unit(1)[None, :]})
    s.ensure_collection("e5", model=MODEL, dim=DIM)
    with pytest.raises(ValueError, match="2 vectors for 1 passages"):
        s.replace_document(doc("x"), [p], {"e5": np.stack([unit(1), unit(2)])})
    assert s.manifest() == {}


def test_a_second_client_sees_the_same_index(store, tmp_settings):
    other = open_store(tmp_settings)
    assert other.fingerprint() == store.fingerprint()
    assert len(other.all_passages()) == len(PASSAGES)


def test_stats_report_documents_kinds_models_and_location(store, tmp_settings):
    stats = store.stats()
    assert stats["location"] == str(tmp_settings.chroma_dir)
    assert stats["passages"] == 6 and stats["by_document"] == {"a": 2, "b": 2, "c": 2}
    assert stats["by_kind"]["recommendation"] == 2 and stats["by_kind"]["lesson"] == 1
    assert stats["embedders"]["e5"] == {"model": MODEL, "dim": DIM, "records": 6}
    assert [d["title"] for d in stats["documents"]] == ["Title of a", "Title of b", "Title of c"]


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` server on a free port; yields its URL."""
    import shutil
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    exe = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [exe, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.server
def test_server_mode_uses_the_same_code_path(chroma_server, tmp_settings):
    settings = tmp_settings.model_copy(update={"chroma_url": chroma_server})
    s = open_store(settings)
    assert s.location == chroma_server
    s.ensure_collection("e5", model=MODEL, dim=DIM)
    ps = [p for p in PASSAGES if p.doc_id == "a"]
    s.replace_document(doc("a"), ps, {"e5": np.stack([VECTORS[p.id] for p in ps])},
                       sparse=[sparse_of(i) for i in range(len(ps))])
    again = open_store(settings)  # a second client (as another process would be) sees the manifest and vectors
    assert list(again.manifest()) == ["a"]
    assert again.all_passages() == ps
    assert [again.sparse_vectors()[p.id][0].tolist() for p in ps] == [sparse_of(i)[0].tolist() for i in range(2)]
    hits = again.vector_query("e5", VECTORS[ps[1].id], k=1, filters=Filters(kinds=[Kind.finding]))
    assert hits[0][0] == ps[1] and hits[0][1] == pytest.approx(1.0, abs=1e-4)
    assert not tmp_settings.chroma_dir.exists()  # nothing written to the local disk store


def sparse_of(seed: int, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = rng.choice(16384, size=n, replace=False).astype(np.int32)
    return idx, rng.uniform(0.01, 4.0, size=n).astype(np.float32)


def test_sparse_vectors_round_trip_in_the_e5_records(store, tmp_settings):
    from ingest.sparse import decode_sparse, encode_sparse

    ps = [p for p in PASSAGES if p.doc_id == "b"]
    sparse = [sparse_of(1), (np.zeros(0, np.int32), np.zeros(0, np.float32))]  # a text may have no latent term
    store.replace_document(doc("b"), ps, {"e5": np.stack([VECTORS[p.id] for p in ps])}, sparse=sparse)
    for s in (store, open_store(tmp_settings)):  # also as another process sees it
        got = s.sparse_vectors()
        assert set(got) == {p.id for p in ps}  # documents written without sparse vectors have none
        for p, (idx, val) in zip(ps, sparse, strict=True):
            np.testing.assert_array_equal(got[p.id][0], idx)
            np.testing.assert_allclose(got[p.id][1], val, rtol=1e-3)  # float16 weights
            assert got[p.id][0].dtype == np.int32 and got[p.id][1].dtype == np.float32
        passages, vectors = s.passages_and_sparse()
        assert passages == s.all_passages() == sorted(PASSAGES, key=lambda p: (p.doc_id, p.start, p.id))
        assert vectors.keys() == got.keys()
    assert decode_sparse(encode_sparse(sparse[0]))[0].tolist() == sparse[0][0].tolist()
    store.delete_document("b")
    assert store.sparse_vectors() == {}


def test_sparse_vectors_must_match_the_passages(store):
    from ingest.sparse import encode_sparse

    ps = [p for p in PASSAGES if p.doc_id == "a"]
    vecs = {"e5": np.stack([VECTORS[p.id] for p in ps])}
    with pytest.raises(ValueError, match="one per passage"):
        store.replace_document(doc("a"), ps, vecs, sparse=[sparse_of(1)])
    with pytest.raises(ValueError, match="outside"):
        encode_sparse((np.array([16384]), np.array([1.0], np.float32)))
