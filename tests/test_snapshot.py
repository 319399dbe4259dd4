"""The search snapshot is built when ingestion ends, in one folder per store fingerprint, and search loads it."""

from __future__ import annotations

from ingest.pipeline import ingest_paths
from ingest.snapshot import keyword
from ingest.snapshot.build import snapshot_folder
from ingest.snapshot.names import FILE as NAMES_FILE
from ingest.store import open_store


def test_ingestion_leaves_a_complete_snapshot_that_search_loads_without_rebuilding(small_corpus, tmp_settings,
                                                                                   monkeypatch):
    from assistant.retrieval.search import SearchIndex

    ingest_paths([small_corpus], settings=tmp_settings, progress=False)
    fingerprint = open_store(tmp_settings).fingerprint()
    folder = snapshot_folder(tmp_settings, fingerprint)
    assert {p.name for p in folder.iterdir()} >= {"fingerprint.txt", "passages.jsonl", "e5.npy",
                                                    NAMES_FILE}
    assert [p.name for p in folder.parent.iterdir()] == [fingerprint]  # one fingerprint, nothing half-built

    def no_build(*args, **kwargs):
        raise AssertionError("the snapshot should have been built by the ingestion")

    monkeypatch.setattr(keyword.KeywordIndex, "build", no_build)
    index = SearchIndex.open(tmp_settings)
    assert index.snapshot.fingerprint == fingerprint and len(index.keyword.passages) == len(index.dense["e5"].matrix)
    assert set(index.doc_names) == {"shelters", "hotline", "training"}
