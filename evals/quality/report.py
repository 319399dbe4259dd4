"""The evaluation report: per-system judged outcomes, and their rendering as a Markdown page."""

from __future__ import annotations

import os
import platform
from typing import Literal

from pydantic import BaseModel, Field

from evals.quality.metrics import GoldItem, QueryOutcome, Summary, refusal_scores, summarize
from evals.quality.refusal_fit import PenaltyFit


class SystemResult(BaseModel):
    """One system's judged answers to every gold question (both splits)."""

    label: str
    kind: Literal["lessons", "baseline"]
    detail: str = ""
    units: int = 0  # passages (Lessons) or nodes (baselines) in the searched collection
    outcomes: list[QueryOutcome] = Field(default_factory=list)
    threshold: float | None = None  # best-score refusal threshold calibrated on the tuning split
    penalty_fit: PenaltyFit | None = None  # Lessons: the unknown-word penalty fitted on the tuning split

    def on(self, split: str) -> list[QueryOutcome]:
        """The outcomes of one split, or all of them for "all"."""
        return [o for o in self.outcomes if split == "all" or o.split == split]

    def summary(self, split: str) -> Summary:
        """Aggregate metrics on one split; baselines never refuse."""
        return summarize(self.on(split))

    def calibrated(self, split: str) -> tuple[float | None, float | None, float | None]:
        """Refusal precision/recall/false-refusal rate with the calibrated best-score threshold."""
        outcomes = self.on(split)
        t = self.threshold if self.threshold is not None else float("-inf")
        return refusal_scores([o.best_score < t for o in outcomes], [o.answerable for o in outcomes])


class EvalReport(BaseModel):
    """Everything one evaluation run measured, with enough context to reproduce it."""

    created: str
    command: str
    machine: str
    split: str
    k: int
    embedder: str
    gold_path: str
    corpus_dir: str
    documents: int
    counts: dict[str, int]
    systems: list[SystemResult]
    unreachable: list[str] = Field(default_factory=list)  # gold items none of whose phrases is in any passage
    questions: dict[str, str] = Field(default_factory=dict)  # id -> question, for the miss lists

    def to_markdown(self) -> str:
        """The report as a Markdown page (tables, definitions, Lessons' misses)."""
        return "\n".join(_render(self)) + "\n"


def machine_description() -> str:
    """CPU count available to this process, memory and platform, for the report header."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    mem = ""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration, ValueError):
        pass
    return f"{cpus} CPU cores (nproc){mem}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def _f(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _render(r: EvalReport) -> list[str]:
    c = r.counts
    out = [
        "# Retrieval evaluation",
        "",
        f"- Command: `{r.command}`",
        f"- Date: {r.created}",
        f"- Machine: {r.machine}",
        f"- Corpus: `{r.corpus_dir}`, {r.documents} documents; embedding model for Lessons and the llama-index "
        f"baseline: `{r.embedder}`",
        f"- Gold: `{r.gold_path}`, split **{r.split}**: {c['questions']} questions ({c['answerable']} answerable, "
        f"{c['unanswerable']} unanswerable, {c['non_english']} not in English); roles: designer {c['designer']}, "
        f"trainer {c['trainer']}, evaluator {c['evaluator']}",
        "",
        f"| system | units | hit@1 | hit@5 | MRR@{r.k} | nDCG@{r.k} | chars/passage top-5 | refusal P | refusal R "
        "| false refusals | ms/query |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in r.systems:
        m = s.summary(r.split)
        refusal = (_f(m.refusal_precision), _f(m.refusal_recall), _f(m.false_refusal))
        if s.kind == "baseline":
            refusal = ("n/a", "0.000" if m.refusal_recall is not None else "n/a", "0.000")
        out.append(
            f"| {s.label} | {s.units} | {m.hit1:.3f} | {m.hit5:.3f} | {m.mrr10:.3f} | {m.ndcg10:.3f} | "
            f"{m.chars_top5:.0f} | {' | '.join(refusal)} | {m.ms:.1f} |"
        )
    out += [
        "",
        "Refusal with a best-score threshold calibrated on the **tuning** split (max refusal F1), applied to "
        f"the {r.split} split: a comparison of how well each system's top score separates answerable from "
        "unanswerable questions.",
        "",
        "| system | best-score signal | threshold | refusal P | refusal R | false refusals |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in r.systems:
        p, rec, false = s.calibrated(r.split)
        signal = "best dense cosine (BM25 if no dense)" if s.kind == "lessons" else (
            "BM25 score" if "BM25" in s.label else "cosine")
        out.append(f"| {s.label} | {signal} | {_f(s.threshold)} | {_f(p)} | {_f(rec)} | {_f(false)} |")
    out += _penalty_fits(r)
    out += _splits(r)
    out += _breakdown(r)
    out += _definitions(r)
    out += _misses(r)
    return out


def _penalty_fits(r: EvalReport) -> list[str]:
    fits = [(s.label, s.penalty_fit) for s in r.systems if s.penalty_fit is not None]
    if not fits:
        return []
    out = ["", "Lessons refuses when best dense cosine - penalty x (meaning carried by words the corpus never uses) "
           "is below the threshold (`assistant.retrieval.refusal.should_refuse`). The penalty that maximises refusal "
           "F1 on the **tuning** split at the configured threshold (`evals/quality/refusal_fit.py`; the middle of the "
           "best interval):",
           "", "| system | threshold | penalties as good | fitted penalty | tuning refusal F1 |", "|---|---:|---|---:|---:|"]
    for label, fit in fits:
        span = f"{fit.low:.3f} to {'any' if fit.high is None else f'{fit.high:.3f}'}"
        out.append(f"| {label} | {fit.threshold:.3f} | {span} | {fit.penalty:.3f} | {fit.f1:.3f} |")
    return out


def _splits(r: EvalReport) -> list[str]:
    out = ["", f"hit@5 / MRR@{r.k}, and for Lessons refusal P / R, on each split (tuning results can be tuned "
           "towards; the test split is the held-out estimate):", "", "| system | tuning | test | all |",
           "|---|---:|---:|---:|"]
    for s in r.systems:
        cells = []
        for m in (s.summary(split) for split in ("tuning", "test", "all")):
            refusal = f"; {_f(m.refusal_precision, 2)} / {_f(m.refusal_recall, 2)}" if s.kind == "lessons" else ""
            cells.append(f"{m.hit5:.3f} / {m.mrr10:.3f}{refusal}")
        out.append(f"| {s.label} | " + " | ".join(cells) + " |")
    return out


def _breakdown(r: EvalReport) -> list[str]:
    groups: list[tuple[str, object]] = [
        ("designer", lambda o: o.role == "designer"),
        ("trainer", lambda o: o.role == "trainer"),
        ("evaluator", lambda o: o.role == "evaluator"),
        ("English", lambda o: o.lang == "en"),
        ("es/fr/nn/no", lambda o: o.lang != "en"),
    ]
    out = ["", f"hit@5 / MRR@{r.k} by role and question language ({r.split} split, answerable questions):", "",
           "| system | " + " | ".join(g for g, _ in groups) + " |", "|---|" + "---:|" * len(groups)]
    for s in r.systems:
        cells = []
        for _, keep in groups:
            sub = [o for o in s.on(r.split) if o.answerable and keep(o)]
            m = summarize(sub)
            cells.append(f"{m.hit5:.2f} / {m.mrr10:.2f} (n={len(sub)})")
        out.append(f"| {s.label} | " + " | ".join(cells) + " |")
    return out


def _definitions(r: EvalReport) -> list[str]:
    out = [
        "",
        "How to read this:",
        "- A returned unit (Lessons passage or baseline node) is relevant when, after folding case, whitespace and "
        "typographic quotes/dashes, it contains any of the question's gold phrases (`evals/quality/metrics.py`).",
        f"- hit@k, MRR@{r.k} and nDCG@{r.k} (binary relevance; the ideal ranking has min(relevant units in the "
        f"collection, {r.k}) hits) are over answerable questions; each system returns its top {r.k}.",
        "- chars/passage top-5: mean length of the first five returned units; stock nodes are long, so they "
        "contain gold phrases more often but give a reader much more text to check.",
        "- refusal P/R: precision of `Retrieval.refused` and recall over unanswerable questions; false refusals: "
        "share of answerable questions refused. The baselines never refuse (precision n/a, recall 0).",
        "- ms/query: mean wall time of one retrieval on this machine, query embedding included, models warm.",
        "- Lessons runs over its own index of the corpus folders (under `<data_dir>/eval`), the baselines over the "
        "raw files via `SimpleDirectoryReader` + `SentenceSplitter()` defaults (1024 tokens, overlap 200).",
    ]
    for s in r.systems:
        if s.detail:
            out.append(f"- {s.label}: {s.detail}")
    return out


def _misses(r: EvalReport) -> list[str]:
    out: list[str] = []
    if r.unreachable:
        out += ["", "Gold items none of whose phrases survives in any Lessons passage (cannot be hit): "
                + ", ".join(r.unreachable)]
    lessons = next((s for s in r.systems if s.kind == "lessons"), None)
    if lessons is None:
        return out
    missed = [o for o in lessons.on(r.split) if o.answerable and not any(o.flags[:5])]
    wrong = [o for o in lessons.on(r.split) if o.answerable and o.refused]
    kept = [o for o in lessons.on(r.split) if not o.answerable and not o.refused]
    for title, rows in (("no relevant passage in the top 5", missed), ("answerable but refused", wrong),
                        ("unanswerable but not refused", kept)):
        if rows:
            out += ["", f"{lessons.label}, {title}:"]
            out += [f"- {o.id} ({o.lang}, best score {o.best_score:.3f}): {r.questions.get(o.id, '')}" for o in rows]
    return out


def gold_counts(items: list[GoldItem]) -> dict[str, int]:
    """Question counts by kind, for the report header."""
    counts = {"questions": len(items), "answerable": sum(i.answerable for i in items)}
    counts["unanswerable"] = counts["questions"] - counts["answerable"]
    counts["non_english"] = sum(i.lang != "en" for i in items)
    for role in ("designer", "trainer", "evaluator"):
        counts[role] = sum(i.role == role for i in items)
    return counts
