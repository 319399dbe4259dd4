"""Recurring recommendations against the hand-labelled pairs: the threshold on the tuning half, figures on both.

    PYTHONPATH=. python -m evals.quality.recurring_eval [--write]

Embeds evals/quality/recurring_pairs.yaml's items with e5 as ingestion does (section heading + text, "passage: "),
cached under /tmp; for the raw cosine and the cosine less the items' mean vector (what the tracker compares,
`assistant.evidence.recurring.similarities`), picks the threshold with the best F1 at precision 0.8 or more on the tuning half's pairs across documents (the
only pairs the tracker compares: one evaluation's recommendations never recur within it) and prints
precision, recall and F1 on each half there and at the threshold in settings (`tracker.recurring_similarity`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

from assistant.evidence.recurring import similarities, unit_rows
from evals.quality.themes_eval import cached
from ingest.embed import get_embedder
from ingest.models import Passage
from ingest.settings import get_settings
from ingest.write import embedding_text

PAIRS = Path(__file__).resolve().parent / "recurring_pairs.yaml"
REPORT = Path(__file__).resolve().parent / "RECURRING.md"
REPORT_HEAD = """# Recurring recommendations: the similarity threshold on hand-labelled pairs

Made by `PYTHONPATH=. python -m evals.quality.recurring_eval --write` (e5 vectors as ingestion makes them: section
heading + text). The threshold (`tracker.recurring_similarity`) is the best F1 at precision 0.8 or more on the tuning
half's pairs across documents, the only pairs the tracker compares; when no threshold reaches that precision, the
most precise one. The sample is small (10 "same" pairs across documents in the seed corpus), so the figures are
rough: the stored vectors separate recommendations of different documents only weakly, and the recurring view is
a list of candidates to read, not a verdict.
"""
THRESHOLDS = np.round(np.arange(-0.5, 1.0, 0.005), 3)
PRECISION_FLOOR = 0.8  # a false group misleads a reader more than a missed one: best F1 at this precision or more


def load_pairs(path: Path = PAIRS) -> tuple[dict[str, dict], list[dict]]:
    """The sample's items (key -> doc_id, section, text) and labelled pairs."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["items"], data["pairs"]


def item_vectors(items: dict[str, dict]) -> dict[str, np.ndarray]:
    """e5 passage vectors of the items, as ingestion embeds them, made once and cached."""
    embedder = get_embedder("e5")
    texts = [embedding_text(Passage(id=key, doc_id=it["doc_id"], title="", section=it.get("section", ""),
                                    text=it["text"], start=0, end=len(it["text"]))) for key, it in items.items()]
    matrix = cached("recurring", embedder.model + "\x1e" + "\x1e".join(texts),
                    lambda: embedder.embed_passages(texts, batch_size=16))
    return dict(zip(items, matrix, strict=True))


def pair_scores(vectors: dict[str, np.ndarray], pairs: list[dict], *, center: bool) -> np.ndarray:
    """The similarity of each pair (less the items' mean vector when `center`)."""
    keys = list(vectors)
    matrix = np.stack([vectors[k] for k in keys])
    sims = similarities(matrix, mean=unit_rows(matrix).mean(axis=0) if center else None)
    at = {k: i for i, k in enumerate(keys)}
    return np.array([sims[at[p["a"]], at[p["b"]]] for p in pairs])


def scores_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 of "same" at a threshold."""
    said = scores >= threshold
    tp = int((said & labels).sum())
    precision = tp / said.sum() if said.sum() else 0.0
    recall = tp / labels.sum() if labels.sum() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The threshold with the best F1 among those reaching PRECISION_FLOOR (the highest of equals: fewer false
    groups); the most precise one when none does."""
    measured = [(t, *scores_at(scores, labels, t)) for t in THRESHOLDS]
    precise = [m for m in measured if m[1] >= PRECISION_FLOOR and m[2] > 0]
    if not precise:
        return float(max(measured, key=lambda m: (round(m[1], 6), m[0]))[0])
    return float(max(precise, key=lambda m: (round(m[3], 6), m[0]))[0])


def report_lines() -> list[str]:
    """The figures: pairs, then per similarity the tuned threshold and precision / recall / F1 per part."""
    items, pairs = load_pairs()
    vectors = item_vectors(items)
    labels = np.array([bool(p["same"]) for p in pairs])
    tune = np.array([p["split"] == "tune" for p in pairs])
    across = np.array([items[p["a"]]["doc_id"] != items[p["b"]]["doc_id"] for p in pairs])
    setting, centered = get_settings().tracker.recurring_similarity, get_settings().tracker.recurring_center
    lines = [f"{len(pairs)} pairs ({labels.sum()} same), {tune.sum()} tuning / {(~tune).sum()} test, "
             f"{across.sum()} across documents"]
    for center in (False, True):
        scores = pair_scores(vectors, pairs, center=center)
        chosen = best_threshold(scores[tune & across], labels[tune & across])  # the pairs the tracker compares
        name = "cosine less the mean" if center else "raw cosine"
        lines += ["", f"{name}: best tuning threshold {chosen:.3f}"]
        for label, threshold in (("tuned", chosen), ("settings", setting))[: 2 if center == centered else 1]:
            for part, mask in (("tune, across documents", tune & across), ("test, across documents", ~tune & across),
                               ("test, all pairs", ~tune), ("all, within documents", ~across)):
                p, r, f = scores_at(scores[mask], labels[mask], threshold)
                lines.append(f"  {label} {threshold:.3f} {part:<24} precision {p:.2f}  recall {r:.2f}  F1 {f:.2f}  "
                             f"(n={mask.sum()})")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"also write {REPORT.name}")
    args = parser.parse_args(argv)
    lines = report_lines()
    print("\n".join(lines))
    if args.write:
        REPORT.write_text(REPORT_HEAD + "\n```\n" + "\n".join(lines) + "\n```\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
