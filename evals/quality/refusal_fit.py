"""Fitting the unknown-word penalty (and, over several gold sets pooled, the threshold) of the refusal rule on
tuning halves.

`assistant.retrieval.refusal.should_refuse` refuses when best - penalty x unknown_weight < threshold (or when a question
names something the corpus never mentions and the match is weak). With the threshold fixed, each question's
decision flips at one penalty, (best - threshold) / weight, so refusal F1 is constant between flips: the fit
tries every interval and keeps the middle of the best one (the lowest on ties, refusing least).
"""

from __future__ import annotations

import math
from pathlib import Path

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


class JointFit(BaseModel):
    """A refusal threshold and penalty fitted on the tuning halves of several gold sets together."""

    threshold: float
    penalty: PenaltyFit
    thresholds_as_good: list[float]  # every grid threshold whose best penalty reached the same F1


def fit_threshold_and_penalty(outcomes: list[QueryOutcome], *, cutoffs: RefusalCutoffs,
                              grid: list[float]) -> JointFit:
    """The threshold of `grid` and the penalty at it that maximise refusal F1 on `outcomes` (pooled: several
    gold sets' tuning halves, never one document's); among equally good thresholds, the middle one."""
    fits = [fit_unknown_penalty(outcomes, cutoffs=cutoffs.model_copy(update={"threshold": t})) for t in grid]
    best = max(f.f1 for f in fits)
    good = [f for f in fits if f.f1 >= best - 1e-12]
    chosen = good[len(good) // 2]
    return JointFit(threshold=chosen.threshold, penalty=chosen, thresholds_as_good=[f.threshold for f in good])


def main(argv: list[str] | None = None) -> int:
    """`python -m evals.quality.refusal_fit REPORT.json [REPORT.json ...]`: fit the refusal threshold and
    penalty of the first Lessons system of each report (`lessons eval --json`) on their tuning halves
    together, and print the refusal figures each gold set gets with them, per split."""
    import argparse

    from evals.quality.report import EvalReport
    from ingest.settings import Settings

    parser = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    parser.add_argument("reports", type=Path, nargs="+")
    parser.add_argument("--low", type=float, default=0.76)
    parser.add_argument("--high", type=float, default=0.86)
    parser.add_argument("--step", type=float, default=0.0025)
    args = parser.parse_args(argv)
    runs = {}
    for path in args.reports:
        report = EvalReport.model_validate_json(path.read_text(encoding="utf-8"))
        runs[report.gold_path] = next(s for s in report.systems if s.kind == "lessons").outcomes
    cutoffs = Settings().search.refusal("e5")
    grid = [round(args.low + i * args.step, 4) for i in range(int((args.high - args.low) / args.step) + 1)]
    tuning = [o for outcomes in runs.values() for o in outcomes if o.split == "tuning"]
    fit = fit_threshold_and_penalty(tuning, cutoffs=cutoffs, grid=grid)
    print(f"pooled tuning halves ({len(tuning)} questions): threshold {fit.threshold} (as good: "
          f"{fit.thresholds_as_good}), penalty {fit.penalty.penalty:.3f} (as good {fit.penalty.low:.3f} to "
          f"{fit.penalty.high}), F1 {fit.penalty.f1:.3f}")
    fitted = cutoffs.model_copy(update={"threshold": fit.threshold, "unknown_word_penalty": fit.penalty.penalty})
    for gold, outcomes in runs.items():
        for split in ("tuning", "test"):
            part = [o for o in outcomes if o.split == split]
            for name, c in (("configured", cutoffs), ("fitted", fitted)):
                p, r, false = refusal_scores(refusals(part, cutoffs=c), [o.answerable for o in part])
                print(f"{gold} {split} {name} ({c.threshold}, {c.unknown_word_penalty:.3f}): refusal P {p} R {r} "
                      f"false refusals {false}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
