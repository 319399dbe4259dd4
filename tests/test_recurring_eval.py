"""The recurring-recommendation evaluation: its labelled sample is well formed, its threshold rule is right."""

from __future__ import annotations

import numpy as np

from evals.quality.recurring_eval import PRECISION_FLOOR, best_threshold, load_pairs, scores_at


def test_sample_is_balanced_split_and_names_real_items():
    items, pairs = load_pairs()
    assert len(pairs) >= 40
    assert sum(p["same"] for p in pairs) == len(pairs) // 2
    assert {p["split"] for p in pairs} == {"tune", "test"}
    assert all(p["a"] in items and p["b"] in items and p["a"] != p["b"] for p in pairs)
    assert any(items[p["a"]]["doc_id"] != items[p["b"]]["doc_id"] and p["same"] for p in pairs)


def test_threshold_is_the_best_f1_at_the_precision_floor():
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    labels = np.array([True, True, False, True, False])
    assert scores_at(scores, labels, 0.6) == (0.75, 1.0, 2 * 0.75 / 1.75)
    chosen = best_threshold(scores, labels)  # 0.6 has the best F1 but precision 0.75 < the floor
    assert PRECISION_FLOOR > 0.75 and abs(chosen - 0.8) < 1e-9
