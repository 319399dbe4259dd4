"""Fitting the unknown-word penalty of the refusal rule on the tuning split.

`assistant.retrieval.refusal.should_refuse` refuses when best - penalty x unknown_weight < threshold (or when a question
names something the corpus never mentions and the match is weak). With the threshold fixed, each question's
decision flips at one penalty, (best - threshold) / weight, so refusal F1 is constant between flips: the fit
tries every interval and keeps the middle of the best one (the lowest on ties, refusing least).
"""

from __future__ import annotations

import math

from pydantic import BaseModel

from assistant.retrieval.refusal import Unknowns, should_refuse
from evals.quality.metrics import QueryOutcome, refusal_scores
from ingest.settings import RefusalCutoffs


class PenaltyFit(BaseModel):
    """The penalty that maximises refusal F1 on some outcomes, and the interval of penalties that do as well."""

    penalty: float
    low: float
    high: float | None  # None: every penalty above `low` does as well
    f1: float
    threshold: float  # the fixed refusal threshold the fit assumed


def refusals(outcomes: list[QueryOutcome], *, cutoffs: RefusalCutoffs) -> list[bool]:
    """Whether `retrieve` with these cut-offs would refuse each outcome, from its recorded best score and
    unknowns (a question that found no passage at all is always refused)."""
    return [
        not o.flags
        or should_refuse(o.best_score, Unknowns(names=o.unknown_names, weight=o.unknown_weight), cutoffs=cutoffs)
        for o in outcomes
    ]


def fit_unknown_penalty(outcomes: list[QueryOutcome], *, cutoffs: RefusalCutoffs) -> PenaltyFit:
    """The unknown-word penalty that maximises refusal F1 on `outcomes` at the other cut-offs as given."""
    t = cutoffs.threshold
    flips = sorted({(o.best_score - t) / o.unknown_weight
                    for o in outcomes if o.unknown_weight > 0 and o.best_score >= t})
    edges = [0.0, *flips, math.inf]
    answerable = [o.answerable for o in outcomes]
    best: PenaltyFit | None = None
    for low, high in zip(edges, edges[1:]):
        penalty = low + (high - low) / 2 if high < math.inf else max(2 * low, low + 0.1)
        p, r, _ = refusal_scores(
            refusals(outcomes, cutoffs=cutoffs.model_copy(update={"unknown_word_penalty": penalty})), answerable
        )
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        if best is None or f1 > best.f1:
            best = PenaltyFit(penalty=penalty, low=low, high=None if high == math.inf else high, f1=f1, threshold=t)
    assert best is not None  # edges always holds at least one interval
    return best
