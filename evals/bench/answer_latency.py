"""Answer latency without an LLM over the gold questions: p50/p95 of `answer_question` next to `retrieve`
alone (the baseline measured in the same run), so the ratio is the cost of composing a cited answer.

    .venv/bin/python -m evals.bench.answer_latency [--data-dir .lessons] [--repeat 2]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from assistant.answer.chat import answer_question
from assistant.retrieval.search import SearchIndex, retrieve
from evals.quality.harness import GOLD_PATH
from evals.quality.metrics import load_gold
from ingest.settings import Settings


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    """Print p50/p95 for retrieval and for whole answers, and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    index = SearchIndex.open(settings)
    if not index.keyword.passages:  # an empty index refuses every question at once: no figure to report
        print(f"the index at {settings.data_dir} holds no passages; run `lessons ingest` first (or pass --data-dir)")
        return 2
    questions = [g.question for g in load_gold(GOLD_PATH)]
    answer_question(questions[0], index=index, settings=settings)  # warm: models, caches
    timings: dict[str, list[float]] = {"retrieve": [], "answer": []}
    for _ in range(args.repeat):
        for q in questions:
            started = time.perf_counter()
            retrieve(q, index=index, settings=settings)
            timings["retrieve"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            answer_question(q, index=index, settings=settings)
            timings["answer"].append((time.perf_counter() - started) * 1000)
    print(f"{len(questions)} gold questions x {args.repeat}, index {settings.data_dir}, embedders {settings.embedders}")
    print(f"{'':10} {'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8}")
    for name, values in timings.items():
        print(f"{name:10} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f} {statistics.mean(values):8.1f}")
    ratio = percentile(timings["answer"], 50) / percentile(timings["retrieve"], 50)
    print(f"answer / retrieve at p50: {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
