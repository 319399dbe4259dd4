"""Gold questions, the rule that decides whether a retrieved text answers one, and ranking metrics.

A passage answers a question when, after `fold`, it contains any of the question's gold phrases
(verbatim phrases copied from the corpus). The same rule judges Lessons passages and baseline nodes,
so systems that cut the corpus differently are scored on the same evidence.
"""

from __future__ import annotations

import math
import re
import unicodedata
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, model_validator

from assistant.answer.types import Role

Split = Literal["tuning", "test"]

_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "`": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\ufeff": None,
    }
)
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """Normalise text for gold matching: NFKC, case, typographic quotes and dashes, runs of whitespace."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    return _SPACE.sub(" ", text).strip()


def is_relevant(passage_text: str, gold_phrases: list[str]) -> bool:
    """Whether a passage contains (after folding) any of the gold phrases."""
    folded = fold(passage_text)
    return any(fold(phrase) in folded for phrase in gold_phrases if phrase.strip())


class GoldItem(BaseModel):
    """One evaluation question and the verbatim phrases that mark the passages answering it."""

    id: str
    question: str
    lang: str
    role: Role
    split: Split
    answerable: bool
    gold: list[str] = Field(default_factory=list)
    doc: str | list[str] | None = None  # corpus file stem(s) the gold phrases come from
    notes: str = ""

    @model_validator(mode="after")
    def _gold_matches_answerable(self) -> GoldItem:
        if self.answerable != bool(self.gold):
            raise ValueError(f"{self.id}: an answerable question needs gold phrases, an unanswerable one none")
        return self

    @property
    def docs(self) -> list[str]:
        """The named document stems as a list (empty when none is named)."""
        if self.doc is None:
            return []
        return [self.doc] if isinstance(self.doc, str) else list(self.doc)


def load_gold(path: Path) -> list[GoldItem]:
    """Read and validate the gold set (a YAML list of items); ids must be unique."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    items = [GoldItem.model_validate(entry) for entry in raw]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise ValueError(f"duplicate gold id {item.id!r} in {path}")
        seen.add(item.id)
    return items


def select(items: list[GoldItem], split: str) -> list[GoldItem]:
    """The items of one split ("test", "tuning") or all of them ("all")."""
    if split == "all":
        return list(items)
    if split not in ("test", "tuning"):
        raise ValueError(f"unknown split {split!r}: use test, tuning or all")
    return [item for item in items if item.split == split]


def hit_at(flags: list[bool], k: int) -> float:
    """1.0 when a relevant result is among the first k, else 0.0."""
    return 1.0 if any(flags[:k]) else 0.0


def reciprocal_rank(flags: list[bool], k: int = 10) -> float:
    """1/rank of the first relevant result within the first k (0.0 when none)."""
    for rank, flag in enumerate(flags[:k], start=1):
        if flag:
            return 1.0 / rank
    return 0.0


def ndcg(flags: list[bool], *, n_relevant: int, k: int = 10) -> float:
    """Binary-relevance nDCG@k; the ideal ranking puts min(n_relevant, k) relevant units first."""
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(n_relevant, k) + 1))
    if ideal == 0.0:
        return 0.0
    gained = sum(1.0 / math.log2(rank + 1) for rank, flag in enumerate(flags[:k], start=1) if flag)
    return gained / ideal


class QueryOutcome(BaseModel):
    """What one system returned for one gold question, already judged."""

    id: str
    split: Split
    role: Role
    lang: str
    answerable: bool
    flags: list[bool]  # relevance of each returned unit, best first
    n_relevant: int  # relevant units in the system's whole collection
    refused: bool = False
    best_score: float = 0.0
    unknown_weight: float = 0.0  # Lessons: the meaning carried by words the corpus never uses (refusal evidence)
    unknown_names: list[str] = Field(default_factory=list)  # Lessons: names and years the corpus never mentions
    chars_top5: list[int] = Field(default_factory=list)
    ms: float = 0.0


class Summary(BaseModel):
    """Aggregate metrics of one system over a set of questions."""

    n: int
    answerable: int
    hit1: float
    hit5: float
    mrr10: float
    ndcg10: float
    chars_top5: float
    refusal_precision: float | None  # None when the system refused nothing
    refusal_recall: float | None  # None when there are no unanswerable questions
    false_refusal: float | None  # share of answerable questions refused
    ms: float


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def refusal_scores(refused: list[bool], answerable: list[bool]) -> tuple[float | None, float | None, float | None]:
    """Refusal precision, recall (over unanswerable questions) and false-refusal rate (over answerable ones)."""
    n_refused = sum(refused)
    correct = sum(1 for r, a in zip(refused, answerable) if r and not a)
    n_unanswerable = sum(1 for a in answerable if not a)
    n_answerable = len(answerable) - n_unanswerable
    precision = correct / n_refused if n_refused else None
    recall = correct / n_unanswerable if n_unanswerable else None
    false = sum(1 for r, a in zip(refused, answerable) if r and a) / n_answerable if n_answerable else None
    return precision, recall, false


def summarize(outcomes: list[QueryOutcome], *, k: int = 10) -> Summary:
    """Ranking metrics over answerable questions; refusal and cost over all of them."""
    ans = [o for o in outcomes if o.answerable]
    precision, recall, false = refusal_scores([o.refused for o in outcomes], [o.answerable for o in outcomes])
    return Summary(
        n=len(outcomes),
        answerable=len(ans),
        hit1=_mean([hit_at(o.flags, 1) for o in ans]),
        hit5=_mean([hit_at(o.flags, 5) for o in ans]),
        mrr10=_mean([reciprocal_rank(o.flags, k) for o in ans]),
        ndcg10=_mean([ndcg(o.flags, n_relevant=o.n_relevant, k=k) for o in ans]),
        chars_top5=_mean([float(c) for o in outcomes for c in o.chars_top5]),
        refusal_precision=precision,
        refusal_recall=recall,
        false_refusal=false,
        ms=_mean([o.ms for o in outcomes]),
    )


def calibrate_threshold(outcomes: list[QueryOutcome]) -> float:
    """Best-score threshold (refuse below it) that maximises refusal F1 on these outcomes (ties: lower)."""
    best_t, best_f1 = 0.0, -1.0
    for t in sorted({o.best_score for o in outcomes}) + [math.inf]:
        refused = [o.best_score < t for o in outcomes]
        p, r, _ = refusal_scores(refused, [o.answerable for o in outcomes])
        f1 = 2 * p * r / (p + r) if p and r else 0.0
        if f1 > best_f1:
            best_t, best_f1 = t, f1
    return best_t
