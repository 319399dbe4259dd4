"""One benchmark point measured in a fresh process, as a user's `lessons serve` would see it.

`python -m evals.bench.probe --data-dir D --queries Q.json --t0 T` prints one JSON object: start-up time to
the first answer (from T, the parent's clock before it spawned us), what `SearchIndex.open` spends loading
(BM25 + metadata, the dense matrix, document names), warm `search` (`assistant.retrieval.search.retrieve`) latency
p50/p95 for each benchmark filter and warm `ask` (`assistant.answer.chat.answer_question`, no LLM), the per-stage split
of a query (with Chroma's own filtered query as a reference the dense matrix replaces), and peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np

from evals.bench.corpus import bench_filters


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


@contextmanager
def timing(out: dict, key: str, owner: object, name: str) -> Iterator[None]:
    """While inside, add the seconds of every call of `owner.name` (a module's function or a class's
    classmethod) to out[key]."""
    original, fn = vars(owner)[name], getattr(owner, name)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            out[key] = out.get(key, 0.0) + time.perf_counter() - start

    setattr(owner, name, staticmethod(wrapper) if isinstance(owner, type) else wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def probe(data_dir: Path, queries: list[str], *, t0: float, repeats: int) -> dict:
    """Every serving-side figure for the index in `data_dir` (see the module docstring)."""
    import assistant.retrieval.search as search
    import ingest.snapshot.build as snapshot_build
    from assistant.answer.chat import answer_question
    from ingest.settings import Settings
    from ingest.snapshot.dense import DenseMatrix

    out: dict = {"import_s": time.time() - t0}
    settings = Settings(data_dir=data_dir, embedders=["e5"], threads=2, llm=None)
    start = time.perf_counter()
    with ExitStack() as patches:  # the parts of SearchIndex.open, timed where it calls them
        patches.enter_context(timing(out, "bm25_metadata_load_s", snapshot_build, "load_or_build_keyword"))
        patches.enter_context(timing(out, "dense_matrix_load_s", DenseMatrix, "load_or_build"))
        patches.enter_context(timing(out, "document_names_s", snapshot_build, "load_or_build_names"))
        index = search.SearchIndex.open(settings)
    out["open_s"] = time.perf_counter() - start
    answer = answer_question(queries[0], index=index, settings=settings)
    out["startup_to_first_answer_s"] = time.time() - t0
    out["first_answer_cited"] = bool(answer.citations)
    out["peak_rss_startup_mb"] = peak_rss_mb()
    out["passages"] = len(index.keyword.passages)

    for q in queries[:3]:  # warm-up: caches, masks, pages
        for filters in bench_filters().values():
            search.retrieve(q, index=index, settings=settings, filters=filters)
    for label, filters in bench_filters().items():
        out[f"search_{label}"] = percentiles([t for q in queries for t in timed(
            lambda q=q: search.retrieve(q, index=index, settings=settings, filters=filters), repeats=repeats)])
    out["ask"] = percentiles([t for q in queries for t in timed(
        lambda q=q: answer_question(q, index=index, settings=settings), repeats=repeats)])
    out["stages"] = stage_split(index, queries)
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def stage_split(index, queries: list[str]) -> dict[str, dict[str, float]]:
    """Milliseconds of each stage of `retrieve` alone (query embedding, BM25, sparse when searched, the dense
    matrix) per filter, and Chroma's own `where`-filtered HNSW query as a reference (not on the query path)."""
    from assistant.retrieval import search
    from ingest.snapshot import dense as dense_matrix

    cfg, embedder, dense = index.settings.search, index.embedders["e5"], index.dense["e5"]
    queries = queries[:8]
    vectors = [embedder.embed_query(q) for q in queries]
    stages = {"embed_query": percentiles([t for q in queries for t in timed(lambda q=q: embedder.embed_query(q))])}
    sparse = cfg.use_sparse and hasattr(embedder, "sparse_query") and index.keyword.sparse is not None
    if sparse:  # the same condition as in retrieve
        terms = [embedder.sparse_query(q) for q in queries]
        stages["sparse_query"] = percentiles([t for q in queries for t in timed(lambda q=q: embedder.sparse_query(q))])
    for label, filters in bench_filters().items():
        stages[f"bm25_{label}"] = percentiles([t for q in queries for t in timed(
            lambda q=q: search.keyword_search(q, index=index, k=cfg.candidates, filters=filters))])
        if sparse:
            stages[f"sparse_{label}"] = percentiles([t for qi, qv in terms for t in timed(
                lambda qi=qi, qv=qv: index.keyword.sparse_search(qi, qv, k=cfg.candidates, filters=filters))])
        stages[f"dense_{label}"] = percentiles([t for v in vectors for t in timed(
            lambda v=v: dense_matrix.nearest(dense, v, k=cfg.candidates, filters=filters))])
        stages[f"chroma_where_query_{label}"] = percentiles([t for v in vectors for t in timed(
            lambda v=v: index.store.vector_query("e5", v, k=cfg.candidates, filters=filters))])
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
