"""The ingestion pipeline end to end on small corpora written in code (real parser, real e5, real Chroma)."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from ingest import pipeline, write
from ingest.embed import model_identity
from ingest.progress import ProgressTracker
from ingest.models import Filters
from ingest.pipeline import ingest_paths
from ingest.snapshot.build import load_or_build_keyword
from ingest.store import open_store
from ingest_helpers import SMALL_CORPUS, write_catalog, write_doc


def ingest(paths, settings, **kwargs):
    return ingest_paths([*paths], settings=settings, progress=False, **kwargs)


def passage_ids(settings, doc_id=None):
    return {p.id for p in open_store(settings).all_passages() if doc_id is None or p.doc_id == doc_id}


def no_models(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded although nothing needed embedding")

    monkeypatch.setattr(write, "get_embedder", refuse)


def test_corpus_ingests_with_catalog_metadata(small_corpus, tmp_settings):
    summary = ingest([small_corpus], tmp_settings)
    assert summary.ok and (summary.added, summary.updated, summary.skipped, summary.deleted) == (3, 0, 0, 0)
    assert summary.documents == 3 and summary.passages >= 6 and summary.passages_per_second > 0
    store = open_store(tmp_settings)
    manifest = store.manifest()
    assert sorted(manifest) == ["hotline", "shelters", "training"]
    assert sum(r.passages for r in manifest.values()) == summary.passages == len(store.all_passages())
    hotline = [p for p in store.all_passages() if p.doc_id == "hotline"]
    assert {(p.organisation, p.year, tuple(p.countries)) for p in hotline} == {("IOM", 2020, ("Nigeria", "Ghana"))}
    assert manifest["hotline"].meta.title == SMALL_CORPUS["hotline.txt"][0]
    assert manifest["hotline"].models == {"e5": model_identity("e5")}


def test_unchanged_corpus_does_no_work_and_loads_no_model(small_corpus, tmp_settings, monkeypatch):
    ingest([small_corpus], tmp_settings)
    fingerprint = open_store(tmp_settings).fingerprint()
    no_models(monkeypatch)
    again = ingest([small_corpus], tmp_settings)
    assert (again.added, again.updated, again.skipped, again.deleted, again.passages) == (0, 0, 3, 0, 0)
    assert again.ok and open_store(tmp_settings).fingerprint() == fingerprint


def test_changed_document_is_replaced(small_corpus, tmp_settings):
    ingest([small_corpus], tmp_settings)
    old_hotline, old_shelters = passage_ids(tmp_settings, "hotline"), passage_ids(tmp_settings, "shelters")
    write_doc(small_corpus, "hotline.txt", "A national hotline for migrants", ["call volumes", "staff turnover"])
    summary = ingest([small_corpus], tmp_settings)
    assert (summary.added, summary.updated, summary.skipped) == (0, 1, 2)
    new_hotline = passage_ids(tmp_settings, "hotline")
    assert new_hotline and not new_hotline & old_hotline
    assert passage_ids(tmp_settings, "shelters") == old_shelters
    texts = " ".join(p.text for p in open_store(tmp_settings).all_passages() if p.doc_id == "hotline")
    assert "staff turnover" in texts and "data protection" not in texts


def test_catalog_change_updates_metadata(small_corpus, tmp_settings):
    ingest([small_corpus], tmp_settings)
    entries = {name: {"title": t, **meta} for name, (t, _, meta) in SMALL_CORPUS.items()}
    entries["training.txt"]["year"] = 2019
    write_catalog(small_corpus, entries)
    summary = ingest([small_corpus], tmp_settings)
    assert (summary.updated, summary.skipped) == (1, 2)
    years = {p.year for p in open_store(tmp_settings).all_passages() if p.doc_id == "training"}
    assert years == {2019}


def test_deleted_document_is_removed_only_with_its_folder(small_corpus, tmp_path, tmp_settings):
    other = tmp_path / "other"
    write_doc(other, "memo.txt", "A memo", ["follow-up"])
    ingest([small_corpus, other], tmp_settings)
    (small_corpus / "training.txt").unlink()
    untouched = ingest([other], tmp_settings)  # another folder: training stays
    assert untouched.deleted == 0 and "training" in open_store(tmp_settings).manifest()
    summary = ingest([small_corpus], tmp_settings)
    assert summary.deleted == 1 and summary.skipped == 2
    store = open_store(tmp_settings)
    assert sorted(store.manifest()) == ["hotline", "memo", "shelters"]
    assert all(p.doc_id != "training" for p in store.all_passages())
    assert store.stats()["embedders"]["e5"]["records"] == len(store.all_passages())


def test_renamed_file_moves_the_document(small_corpus, tmp_settings):
    ingest([small_corpus], tmp_settings)
    (small_corpus / "training.txt").rename(small_corpus / "training-2021.txt")
    summary = ingest([small_corpus], tmp_settings)
    assert (summary.added, summary.deleted, summary.skipped) == (1, 1, 2) and not summary.duplicates
    assert sorted(open_store(tmp_settings).manifest()) == ["hotline", "shelters", "training-2021"]


def test_bad_inputs_are_reported_and_the_rest_ingests(tmp_path, tmp_settings):
    folder = tmp_path / "mixed"
    write_doc(folder, "good.txt", "A good report", ["victim assistance", "return and reintegration"])
    write_doc(folder, "legacy.txt", "Café évaluation — 5 € per day", ["café workers’ rights"], encoding="cp1252")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage without xref")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "huge.txt").write_text("word " * 5000, encoding="utf-8")  # 25 kB, over the 0.02 MB limit below
    (folder / "table.xlsx").write_bytes(b"PK\x03\x04 not really a spreadsheet")
    settings = tmp_settings.model_copy(update={"ingest": tmp_settings.ingest.model_copy(update={"max_file_mb": 0.02})})
    summary = ingest([folder], settings)
    failed = {os.path.basename(path): reason for path, reason in summary.failed}
    assert set(failed) == {"empty.txt", "broken.pdf", "binary.txt", "huge.txt", "table.xlsx"}
    assert "empty" in failed["empty.txt"]
    assert "corrupt" in failed["broken.pdf"] or "unreadable" in failed["broken.pdf"]
    assert "binary" in failed["binary.txt"]
    assert "too large" in failed["huge.txt"]
    assert "unsupported" in failed["table.xlsx"]
    assert not summary.ok and summary.added == 2
    legacy = " ".join(p.text for p in open_store(settings).all_passages() if p.doc_id == "legacy")
    assert "café workers’ rights" in legacy.lower() and "\ufffd" not in legacy


def test_a_bad_new_version_keeps_the_indexed_one(small_corpus, tmp_settings):
    ingest([small_corpus], tmp_settings)
    before = open_store(tmp_settings)
    old_record, old_ids = before.manifest()["shelters"], passage_ids(tmp_settings, "shelters")
    (small_corpus / "shelters.txt").write_bytes(b"")
    summary = ingest([small_corpus], tmp_settings)
    assert [os.path.basename(p) for p, _ in summary.failed] == ["shelters.txt"]
    assert open_store(tmp_settings).manifest()["shelters"] == old_record
    assert passage_ids(tmp_settings, "shelters") == old_ids


def test_duplicate_content_is_reported_and_ingested_once(small_corpus, tmp_settings):
    shutil.copy(small_corpus / "hotline.txt", small_corpus / "hotline-copy.txt")
    summary = ingest([small_corpus], tmp_settings)
    assert summary.added == 3 and summary.ok
    # neither was indexed before: the first by name is kept ("-" sorts before ".")
    assert [(os.path.basename(a), os.path.basename(b)) for a, b in summary.duplicates] == [
        ("hotline.txt", "hotline-copy.txt")
    ]
    assert len([d for d in open_store(tmp_settings).manifest() if d.startswith("hotline")]) == 1
    assert ingest([small_corpus], tmp_settings).duplicates == summary.duplicates  # stable choice on rerun


def test_an_indexed_file_that_becomes_a_copy_is_dropped(small_corpus, tmp_settings):
    ingest([small_corpus], tmp_settings)
    shutil.copy(small_corpus / "shelters.txt", small_corpus / "training.txt")
    summary = ingest([small_corpus], tmp_settings)
    assert summary.deleted == 1 and summary.skipped == 2
    assert [os.path.basename(p) for p, _ in summary.duplicates] == ["training.txt"]
    assert sorted(open_store(tmp_settings).manifest()) == ["hotline", "shelters"]


def test_same_document_id_from_two_files_is_refused(tmp_path, tmp_settings):
    folder = tmp_path / "c"
    write_doc(folder, "report.txt", "Report in text", ["shelters"])
    write_doc(folder, "report.md", "Report in markdown", ["hotlines"])
    summary = ingest([folder], tmp_settings)
    assert summary.added == 1
    assert len(summary.failed) == 1 and "already used by" in summary.failed[0][1]


def test_missing_path_is_reported(tmp_path, tmp_settings, small_corpus):
    summary = ingest([small_corpus, tmp_path / "nowhere"], tmp_settings)
    assert summary.added == 3 and summary.failed == [(str(tmp_path / "nowhere"), "no such file or folder")]


def test_an_index_made_by_an_earlier_parser_is_read_again(small_corpus, tmp_settings, monkeypatch):
    first = ingest([small_corpus], tmp_settings)
    monkeypatch.setattr(pipeline, "PARSER_VERSION", pipeline.PARSER_VERSION + 1)
    summary = ingest([small_corpus], tmp_settings)
    assert (summary.updated, summary.skipped, summary.passages) == (3, 0, first.passages)


def test_model_change_triggers_re_embedding(small_corpus, tmp_settings):
    first = ingest([small_corpus], tmp_settings)
    store = open_store(tmp_settings)
    col = store.client.get_collection("passages_e5")
    col.modify(metadata={**col.metadata, "model": "an older e5 build"})  # as if written by another model
    summary = ingest([small_corpus], tmp_settings)
    assert (summary.updated, summary.skipped, summary.passages) == (3, 0, first.passages)
    store = open_store(tmp_settings)
    assert store.collection_model("e5") == model_identity("e5")
    assert store.stats()["embedders"]["e5"]["records"] == first.passages


def test_search_filters_after_ingest(small_corpus, tmp_settings, e5_embedder):
    ingest([small_corpus], tmp_settings)
    store = open_store(tmp_settings)
    keyword = load_or_build_keyword(store, tmp_settings)
    hits = keyword.search("hotline operation", k=10)
    assert hits[0][0].doc_id == "hotline"
    assert {p.doc_id for p, _ in keyword.search("operation training shelter", k=10,
                                                 filters=Filters(countries=["Mexico"]))} == {"shelters", "training"}
    q = e5_embedder.embed_query("how were police officers trained?")
    assert store.vector_query("e5", q, k=1)[0][0].doc_id == "training"
    only = store.vector_query("e5", q, k=5, filters=Filters(organisations=["UNODC"]))
    assert only and {p.doc_id for p, _ in only} == {"shelters"}


def test_passages_get_sparse_vectors_and_toggling_them_re_ingests(small_corpus, tmp_settings, e5_embedder):
    off = tmp_settings.model_copy(update={"search": tmp_settings.search.model_copy(update={"use_sparse": False})})
    first = ingest([small_corpus], off)
    store = open_store(off)
    assert store.sparse_vectors() == {} and load_or_build_keyword(store, off).sparse is None
    on = ingest([small_corpus], tmp_settings)  # the default: an index without sparse vectors is refreshed
    assert (on.updated, on.skipped, on.passages) == (3, 0, first.passages)
    store = open_store(tmp_settings)
    vectors, passages = store.sparse_vectors(), store.all_passages()
    assert set(vectors) == {p.id for p in passages}
    assert all(0 < len(idx) <= 256 and (val > 0).all() for idx, val in vectors.values())
    idx, val = e5_embedder.sparse_passages([pipeline.embedding_text(passages[0])])[0]  # same recipe, same text
    stored = dict(zip(*vectors[passages[0].id], strict=True))
    # int8 activations are scaled per batch, so the passage alone (not among its batchmates) moves its weakest
    # terms a little: the heavy ones are the same, with about the same weights
    heavy = idx[:64].tolist()
    assert len(set(stored) & set(heavy)) >= 58
    assert np.median([abs(stored[i] / v - 1) for i, v in zip(heavy, val) if i in stored]) < 0.05
    keyword = load_or_build_keyword(store, tmp_settings)
    assert keyword.sparse is not None and keyword.sparse.shape[0] == len(keyword.passages)
    assert ingest([small_corpus], tmp_settings).skipped == 3  # computed once
    back = ingest([small_corpus], off)
    assert (back.updated, back.skipped) == (3, 0) and open_store(off).sparse_vectors() == {}


def test_progress_goes_to_stderr(small_corpus, tmp_settings, capfd):
    ingest_paths([small_corpus], settings=tmp_settings, progress=True)
    err = capfd.readouterr().err
    assert "reading" in err and "embedding" in err and "indexed hotline:" in err


@pytest.mark.slow
def test_adding_an_embedder_embeds_everything_with_it(small_corpus, tmp_settings, minilm_embedder):
    first = ingest([small_corpus], tmp_settings)
    both = tmp_settings.model_copy(update={"embedders": ["e5", "minilm"]})
    summary = ingest([small_corpus], both)
    assert (summary.updated, summary.skipped) == (3, 0)
    store = open_store(both)
    assert store.stats()["embedders"]["minilm"]["records"] == first.passages
    assert store.manifest()["hotline"].models == {"e5": model_identity("e5"), "minilm": model_identity("minilm")}
    q = minilm_embedder.embed_query("telephone line for migrants")
    assert store.vector_query("minilm", q, k=1)[0][0].doc_id == "hotline"
    assert ingest([small_corpus], both).skipped == 3


def test_documents_are_embedded_in_groups_and_written_one_by_one(small_corpus, tmp_settings, monkeypatch):
    """One model call for the whole small corpus; a store failure on one document leaves the others indexed."""
    from ingest.embed import get_embedder
    from ingest.store import Store

    e5 = get_embedder("e5", threads=tmp_settings.threads, runtime=tmp_settings.ingest.e5_runtime)  # the write's one
    calls = []
    method = "encode_passages" if hasattr(e5, "encode_passages") else "embed_passages"  # one pass, or dense alone
    real_embed, real_replace = getattr(e5, method), Store.replace_document
    monkeypatch.setattr(e5, method, lambda texts, **kw: calls.append(len(texts)) or real_embed(texts, **kw))

    def replace(self, doc, *args, **kwargs):
        if doc.doc_id == "hotline":
            raise OSError("disk full")
        return real_replace(self, doc, *args, **kwargs)

    monkeypatch.setattr(Store, "replace_document", replace)
    summary = ingest([small_corpus], tmp_settings)
    assert len(calls) == 1 and calls[0] > summary.passages == len(passage_ids(tmp_settings))  # hotline's too
    assert [os.path.basename(p) for p, _ in summary.failed] == ["hotline.txt"] and "disk full" in summary.failed[0][1]
    assert sorted(open_store(tmp_settings).manifest()) == ["shelters", "training"] and summary.added == 2


def test_groups_cut_at_the_passage_count():
    docs = [(f"d{i}", [object()] * n) for i, n in enumerate([3, 2, 4, 1, 1])]
    assert [[d for d, _ in g] for g in write.groups(docs, passages=5)] == [["d0", "d1"], ["d2", "d3"], ["d4"]]
    assert [len(g) for g in write.groups(docs, passages=1)] == [1, 1, 1, 1, 1]


def test_pipeline_reports_its_progress_to_a_tracker(small_corpus, tmp_settings):
    seen = []
    tracker = ProgressTracker(on_change=seen.append)
    summary = ingest_paths([small_corpus], settings=tmp_settings, progress=False, tracker=tracker)
    done = tracker.snapshot()
    assert done.stage == "done" and done.files == done.files_read == 3
    assert done.passages_embedded == done.passages == summary.passages and done.documents_indexed == summary.added
    stages = [s.stage for s in seen]
    assert stages.index("reading") < stages.index("embedding") < stages.index("done")
    embedded = [s.passages_embedded for s in seen if s.stage == "embedding"]
    assert embedded == sorted(embedded) and embedded[-1] == summary.passages
