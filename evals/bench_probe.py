"""One benchmark point measured in a fresh process, as a user's `lessons serve` would see it.

`python -m evals.bench_probe --data-dir D --queries Q.json --t0 T` prints one JSON object: start-up time to
the first answer (from T, the parent's clock before it spawned us), BM25 + metadata load time, warm `search`
and `ask` latency (p50/p95) with and without filters, for the shipped dense path and for the proposed one
(assistant.dense_matrix), the per-stage split of a query, and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from evals.bench_corpus import bench_filters


def percentiles(ms: list[float]) -> dict[str, float]:
    """p50 and p95 of a list of milliseconds."""
    return {"p50": float(np.percentile(ms, 50)), "p95": float(np.percentile(ms, 95)), "n": len(ms)}


def timed(fn: Callable[[], object], *, repeats: int = 1) -> list[float]:
    """Milliseconds taken by each of `repeats` calls."""
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB (VmHWM: unlike ru_maxrss, not inherited from the
    parent across fork + exec)."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(data_dir: Path, queries: list[str], *, t0: float, repeats: int) -> dict:
    """Every serving-side figure for the index in `data_dir` (see the module docstring)."""
    import assistant.search as search
    from assistant import dense_matrix
    from assistant.chat import answer_question
    from ingest.settings import Settings

    out: dict = {"import_s": time.time() - t0}
    settings = Settings(data_dir=data_dir, embedders=["e5"], threads=2, llm=None)
    load = search.load_or_build

    def timed_load(*args, **kwargs):  # the manifest fingerprint + BM25 arrays + passages, inside SearchIndex.open
        start = time.perf_counter()
        try:
            return load(*args, **kwargs)
        finally:
            out["bm25_metadata_load_s"] = time.perf_counter() - start

    search.load_or_build = timed_load
    start = time.perf_counter()
    try:
        index = search.SearchIndex.open(settings)
    finally:
        search.load_or_build = load
    out["open_s"] = time.perf_counter() - start
    keyword = index.keyword
    answer = answer_question(queries[0], index=index, settings=settings)
    out["startup_to_first_answer_s"] = time.time() - t0
    out["first_answer_cited"] = bool(answer.citations)
    out["peak_rss_shipped_mb"] = peak_rss_mb()
    out["passages"] = len(keyword.passages)

    shipped = search.vector_search
    variants = {"shipped": shipped, "proposed": dense_matrix.vector_search}
    start = time.perf_counter()
    dense_matrix.dense_for(index, "e5")
    out["proposed_matrix_load_s"] = time.perf_counter() - start
    for name, fn in variants.items():
        search.vector_search = fn
        for q in queries[:3]:  # warm-up: caches, masks, pages
            for filters in bench_filters().values():
                search.retrieve(q, index=index, settings=settings, filters=filters)
        for label, filters in bench_filters().items():
            ms = [t for q in queries for t in timed(
                lambda q=q: search.retrieve(q, index=index, settings=settings, filters=filters), repeats=repeats)]
            out[f"search_{label}_{name}"] = percentiles(ms)
        ms = [t for q in queries for t in timed(lambda q=q: answer_question(q, index=index, settings=settings))]
        out[f"ask_{name}"] = percentiles(ms)
    search.vector_search = shipped
    out["stages"] = stage_split(index, queries)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def stage_split(index, queries: list[str]) -> dict[str, dict[str, float]]:
    """Milliseconds of each stage of a query: embedding, BM25, and each dense path per filter."""
    from assistant import dense_matrix, search

    dense = dense_matrix.dense_for(index, "e5")
    embedder = index.embedders["e5"]
    queries = queries[:8]
    vectors = [embedder.embed_query(q) for q in queries]
    stages: dict[str, dict[str, float]] = {"embed_query": percentiles(
        [t for q in queries for t in timed(lambda q=q: embedder.embed_query(q))])}
    for label, filters in bench_filters().items():
        stages[f"bm25_{label}"] = percentiles([t for q in queries for t in timed(
            lambda q=q: search.keyword_search(q, index=index, k=index.settings.search.candidates, filters=filters))])
        stages[f"chroma_vector_query_{label}"] = percentiles([t for v in vectors for t in timed(
            lambda v=v: index.store.vector_query("e5", v, k=index.settings.search.candidates, filters=filters))])
        stages[f"proposed_dense_{label}"] = percentiles([t for v in vectors for t in timed(
            lambda v=v: dense_matrix.nearest(dense, v, k=index.settings.search.candidates, filters=filters))])
    stages["chroma_manifest"] = percentiles(timed(index.store.manifest, repeats=10))
    return stages


def main(argv: list[str] | None = None) -> int:
    """Command line of the probe process."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True, help="JSON list of questions")
    parser.add_argument("--t0", type=float, required=True, help="the parent's time.time() before spawning")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    queries = json.loads(args.queries.read_text(encoding="utf-8"))
    print(json.dumps(probe(args.data_dir, queries, t0=args.t0, repeats=args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
