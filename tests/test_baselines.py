"""The retrieval baselines the evaluation compares against: BM25 and stock llama-index over stock nodes."""

from __future__ import annotations

import pytest
from llama_index.core.schema import TextNode

from evals.quality.baselines import bm25_baseline, llamaindex_baseline, stock_nodes
from ingest.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"


def test_bm25_baseline_ranks_matching_nodes_and_drops_non_matches():
    nodes = [TextNode(text=t) for t in (
        "Shelters and refuges help victims take part in judicial processes.",
        "The crowdfunding portal did not go live because the payment system was incomplete.",
        "Budget lines and regional distribution of projects.",
    )]
    search = bm25_baseline(nodes, k=10)
    hits = search("Why did the crowdfunding portal fail?")
    assert hits and "crowdfunding" in hits[0][0]
    assert all(score > 0 for _, score in hits) and len(hits) == 1
    assert search("the and of") == []


def test_stock_nodes_read_the_corpus_files_only():
    nodes = stock_nodes(CORPUS)
    names = {node.metadata.get("file_name") for node in nodes}
    assert names == {p.name for p in CORPUS.glob("*.txt")}
    assert len(nodes) > len(names)  # long files are split


@pytest.mark.slow
def test_llamaindex_baseline_uses_our_embedder():
    from ingest.embed import get_embedder

    nodes = [TextNode(text=t) for t in (
        "Shelters, refuges and halfway houses provide integral assistance to victims of trafficking.",
        "The Fund's budget increased significantly in 2019.",
        "A mobile phone application raised awareness of safe migration in Central Asia.",
    )]
    search = llamaindex_baseline(nodes, embedder=get_embedder("e5", threads=2), k=2)
    hits = search("Which phone app was made for awareness?")
    assert len(hits) == 2 and "mobile phone application" in hits[0][0]
    assert hits[0][1] > hits[1][1]
