"""Stock llama-index on the benchmark's passages, measured in a fresh process so its memory is its own.

Three modes, each printing one JSON object:
- `ingest --texts T.json`: VectorStoreIndex over TextNodes of those texts, embedded by the same model through
  evals.quality.baselines.EmbedderAdapter (llama-index's own batching): passages/s.
- `query --export D --queries Q.json --persist P`: VectorStoreIndex (in memory, SimpleVectorStore) over nodes
  carrying the stored vectors; retriever latency p50/p95 with the benchmark filters as MetadataFilters; then
  persisted to P (time and size on disk); peak RSS.
- `startup --persist P --queries Q.json --t0 T`: load the persisted index and retrieve once: start-up time to
  the first result, load time, peak RSS.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from evals.bench.corpus import bench_filters
from evals.bench.probe import peak_rss_mb, percentiles, timed
from ingest.models import Filters, Passage

TOP_K = 5


def _setup():
    from llama_index.core import Settings as LlamaSettings

    from evals.quality.baselines import EmbedderAdapter
    from ingest.embed import get_embedder

    LlamaSettings.llm = None  # MockLLM: nothing touches the network
    model = EmbedderAdapter(get_embedder("e5", threads=2))
    LlamaSettings.embed_model = model
    return model


def to_metadata_filters(filters: Filters | None):
    """The benchmark's Filters as llama-index MetadataFilters (organisation, year, country)."""
    from llama_index.core.vector_stores import FilterOperator, MetadataFilter, MetadataFilters

    if filters is None or filters.is_empty():
        return None
    parts = []
    if filters.organisations:
        parts.append(MetadataFilter(key="organisation", value=filters.organisations, operator=FilterOperator.IN))
    if filters.years:
        parts.append(MetadataFilter(key="year", value=filters.years, operator=FilterOperator.IN))
    if filters.countries:
        parts.append(MetadataFilter(key="countries", value=filters.countries, operator=FilterOperator.ANY))
    return MetadataFilters(filters=parts)


def nodes_for(passages: list[Passage], vectors: np.ndarray | None):
    """TextNodes with the passage text, the filterable metadata and (when given) the stored vector."""
    from llama_index.core.schema import TextNode

    nodes = []
    for i, p in enumerate(passages):
        meta = {"doc_id": p.doc_id, "organisation": p.organisation, "year": p.year, "countries": p.countries,
                "kind": p.kind.value}
        nodes.append(TextNode(id_=p.id, text=p.text, metadata=meta,
                              embedding=None if vectors is None else vectors[i].tolist(),
                              excluded_embed_metadata_keys=list(meta), excluded_llm_metadata_keys=list(meta)))
    return nodes


def ingest(texts: list[str]) -> dict:
    """Stock ingestion of `texts`: embedding in llama-index's batches plus the in-memory insert."""
    from llama_index.core import VectorStoreIndex
    from llama_index.core.schema import TextNode

    model = _setup()
    nodes = [TextNode(text=t) for t in texts]
    start, cpu = time.perf_counter(), time.process_time()
    VectorStoreIndex(nodes, embed_model=model, show_progress=False)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"passages": len(texts), "seconds": seconds, "passages_per_s": len(texts) / seconds,
            "passages_per_cpu_s": len(texts) / cpu}


def query(export: Path, queries: list[str], persist: Path, *, repeats: int) -> dict:
    """Build from the exported passages and vectors, time retrieval per filter, persist."""
    from llama_index.core import VectorStoreIndex

    model = _setup()
    lines = (export / "passages.jsonl").read_text(encoding="utf-8").splitlines()
    passages = [Passage.model_validate_json(line) for line in lines]
    vectors = np.load(export / "vectors.npy")
    start = time.perf_counter()
    nodes = nodes_for(passages, vectors)
    index = VectorStoreIndex(nodes, embed_model=model, show_progress=False)
    out: dict = {"build_s": time.perf_counter() - start, "passages": len(passages)}
    for label, filters in bench_filters().items():
        retriever = index.as_retriever(similarity_top_k=TOP_K, filters=to_metadata_filters(filters))
        retriever.retrieve(queries[0])
        out[f"search_{label}"] = percentiles(
            [t for q in queries for t in timed(lambda q=q: retriever.retrieve(q), repeats=repeats)])
    out["peak_rss_mb"] = peak_rss_mb()
    start = time.perf_counter()
    index.storage_context.persist(persist_dir=str(persist))
    out["persist_s"] = time.perf_counter() - start
    out["disk_mb"] = sum(f.stat().st_size for f in persist.rglob("*") if f.is_file()) / 2**20
    return out


def startup(persist: Path, queries: list[str], *, t0: float) -> dict:
    """Load the persisted index and retrieve once, as a restarted stock app would."""
    from llama_index.core import StorageContext, load_index_from_storage

    model = _setup()
    start = time.perf_counter()
    index = load_index_from_storage(StorageContext.from_defaults(persist_dir=str(persist)), embed_model=model)
    load_s = time.perf_counter() - start
    index.as_retriever(similarity_top_k=TOP_K).retrieve(queries[0])
    return {"startup_to_first_answer_s": time.time() - t0, "load_s": load_s, "peak_rss_mb": peak_rss_mb()}


def main(argv: list[str] | None = None) -> int:
    """Command line of the baseline process."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["ingest", "query", "startup"])
    parser.add_argument("--texts", type=Path)
    parser.add_argument("--export", type=Path)
    parser.add_argument("--queries", type=Path)
    parser.add_argument("--persist", type=Path)
    parser.add_argument("--t0", type=float, default=0.0)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    queries = json.loads(args.queries.read_text(encoding="utf-8")) if args.queries else []
    if args.mode == "ingest":
        result = ingest(json.loads(args.texts.read_text(encoding="utf-8")))
    elif args.mode == "query":
        result = query(args.export, queries, args.persist, repeats=args.repeats)
    else:
        result = startup(args.persist, queries, t0=args.t0)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
