"""Ingestion throughput: the whole pipeline against the bare embedding model, per embedder.

For each embedder, ingest the corpus into a fresh temporary data directory and report passages
per second for the whole pipeline (load, clean, parse, cut, embed, write to Chroma), then time the
bare model on the same passage texts with the same batching (per document, length-sorted batches
of settings.ingest.batch_size) and print the ratio. Also prints passages by kind and the mean
passage length in characters. Models are loaded before timing; load times are printed apart.

    .venv/bin/python -m evals.bench.ingest_throughput [--corpus DIR] [--embedders e5,minilm]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ingest.embed import get_embedder  # noqa: E402
from ingest.pipeline import embedding_text, ingest_paths  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.sparse import sparse_enabled  # noqa: E402
from ingest.store import open_store  # noqa: E402


def measure(name: str, corpus: Path, base: Settings) -> dict:
    """Pipeline and bare-model throughput for one embedder on `corpus`."""
    start = time.perf_counter()
    embedder = get_embedder(name, threads=base.threads)
    load_s = time.perf_counter() - start
    embedder.embed_passages(["warm-up run, not timed"])
    with tempfile.TemporaryDirectory(prefix="lessons-throughput-") as tmp:
        settings = base.model_copy(update={"data_dir": Path(tmp), "embedders": [name]})
        summary = ingest_paths([corpus], settings=settings, progress=False)
        passages = open_store(settings).all_passages()
    texts = [embedding_text(p) for p in passages]
    start = time.perf_counter()  # the model at its best: every passage in one call, length-sorted batches
    embedder.embed_passages(texts, batch_size=base.ingest.batch_size)
    bare_s = time.perf_counter() - start
    sparse_s = 0.0
    if sparse_enabled(settings):  # the pipeline also made e5's sparse vectors: so does the bare model
        start = time.perf_counter()
        embedder.sparse_passages(texts, batch_size=base.ingest.batch_size)
        sparse_s = time.perf_counter() - start
    bare_s += sparse_s
    n = len(passages)
    return {
        "embedder": name,
        "model": embedder.model,
        "load_s": load_s,
        "passages": n,
        "failed": summary.failed,
        "pipeline_s": summary.seconds,
        "pipeline_pps": n / summary.seconds,
        "bare_s": bare_s,
        "bare_sparse_s": sparse_s,
        "bare_pps": n / bare_s,
        "kinds": Counter(p.kind.value for p in passages),
        "mean_chars": sum(len(p.text) for p in passages) / max(1, n),
        "mean_embedded_chars": sum(len(t) for t in texts) / max(1, n),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the measurement and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None, help="folder to ingest (default: settings.corpus_dir)")
    parser.add_argument("--embedders", default="e5,minilm", help="comma-separated embedder names")
    args = parser.parse_args(argv)
    base = Settings()
    corpus = (args.corpus or base.corpus_dir).resolve()
    results = [measure(name.strip(), corpus, base) for name in args.embedders.split(",") if name.strip()]

    print(f"corpus: {corpus}  (threads={base.threads}, batch_size={base.ingest.batch_size})")
    header = f"{'embedder':<8} {'passages':>8} {'pipeline s':>10} {'pipeline p/s':>12} {'bare s':>8} {'bare p/s':>9} " \
             f"{'ratio':>6} {'load s':>7}"
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r["pipeline_pps"] / r["bare_pps"]
        print(f"{r['embedder']:<8} {r['passages']:>8} {r['pipeline_s']:>10.2f} {r['pipeline_pps']:>12.1f} "
              f"{r['bare_s']:>8.2f} {r['bare_pps']:>9.1f} {ratio:>6.2f} {r['load_s']:>7.2f}")
    first = results[0]
    sparse = ", ".join(f"{r['embedder']} {r['bare_sparse_s']:.1f} s" for r in results)
    print("ratio = pipeline passages/s / bare model passages/s (1.00 = the model is the whole cost); bare = one call "
          f"over all passages, plus e5's sparse pass when the pipeline makes sparse vectors (of bare s: {sparse})")
    for r in results:
        print(f"{r['embedder']}: {r['model']}")
        for path, reason in r["failed"]:
            print(f"  FAILED {path}: {reason}")
    print(f"passages by kind: {dict(first['kinds'].most_common())}")
    print(f"mean passage length: {first['mean_chars']:.0f} characters "
          f"({first['mean_embedded_chars']:.0f} as embedded, with the section path)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
