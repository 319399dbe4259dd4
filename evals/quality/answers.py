"""Answer-level evaluation: what a reader sees, judged with the same gold phrases as retrieval.

For every gold question the answer Lessons composes (extractive, with the item's role) and a plain baseline
(the first sentence of each of the top 5 retrieved passages, same retrieval and refusal) are judged on:
gold phrase anywhere in the answer, gold in the first citation (its quote or its passage), mean answer length,
share of quotes that are a contiguous span of the stored document text (whitespace folded), refusal P/R, and
how often the answer says first that the reports never mention something the question names (issue 15 accepts
that instead of a refusal at the domain's edge): unanswerable questions refused or told so, answerable ones told so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel

from assistant.answer.types import Answer, Citation
from evals.quality.metrics import GoldItem, fold, select
from ingest.settings import Settings

BASELINE_PASSAGES = 5


class AnswerOutcome(BaseModel):
    """One question's answer, judged."""

    id: str
    answerable: bool
    refused: bool
    told_absent: bool = False  # answered, opening with "the reports say nothing about ..."
    gold_in_answer: bool = False
    gold_first: bool = False
    chars: int = 0
    quotes: int = 0
    verbatim: int = 0


class AnswerResult(BaseModel):
    """One answering system over a split."""

    label: str
    outcomes: list[AnswerOutcome]

    def row(self) -> str:
        ans = [o for o in self.outcomes if o.answerable]
        unans = [o for o in self.outcomes if not o.answerable]
        answered = [o for o in self.outcomes if not o.refused]
        refused = [o for o in self.outcomes if o.refused]
        quotes = sum(o.quotes for o in self.outcomes)

        def pct(n: int, d: int) -> str:
            return f"{100 * n / d:.0f}%" if d else "—"

        cells = [
            self.label,
            pct(sum(o.gold_in_answer for o in ans), len(ans)),
            pct(sum(o.gold_first for o in ans), len(ans)),
            f"{sum(o.chars for o in answered) / max(1, len(answered)):.0f}",
            pct(sum(o.verbatim for o in self.outcomes), quotes) + f" of {quotes}",
            pct(sum(not o.answerable for o in refused), len(refused)),
            pct(sum(o.refused for o in unans), len(unans)),
            pct(sum(o.refused or o.told_absent for o in unans), len(unans)),
            pct(sum(o.told_absent for o in ans), len(ans)),
        ]
        return "| " + " | ".join(cells) + " |"


HEADER = ("| answer | gold in answer | gold in first citation | mean chars (answered) | quotes verbatim in source "
          "| refusal precision | refusal recall | unanswerable refused or told absent | answerable told absent |\n"
          "|---|---|---|---|---|---|---|---|---|")


def document_texts(index: object) -> dict[str, str]:
    """doc_id -> the folded text of the document as stored (loaded and cleaned as ingestion does)."""
    from ingest.clean import clean_document
    from ingest.load import load_file

    texts = {}
    for doc_id, record in index.store.manifest().items():  # type: ignore[attr-defined]
        doc = load_file(Path(record.path), catalog={}, max_bytes=1 << 31)
        texts[doc_id] = fold(clean_document(doc).text)
    return texts


def judge(item: GoldItem, answer: Answer, *, passages: dict[str, str], documents: dict[str, str]) -> AnswerOutcome:
    """Score one answer against the item's gold phrases and the source documents."""
    gold = [fold(g) for g in item.gold]

    def has_gold(text: str) -> bool:
        folded = fold(text)
        return any(g in folded for g in gold)

    cites = answer.citations
    shown = answer.answer + "\n" + "\n".join(c.quote for c in cites)
    first = (cites[0].quote + "\n" + passages.get(cites[0].passage_id, "")) if cites else ""
    verbatim = sum(1 for c in cites if fold(c.quote) in documents.get(c.doc_id, ""))
    return AnswerOutcome(
        id=item.id, answerable=item.answerable, refused=answer.refused,
        told_absent=not answer.refused and bool(answer.absent),
        gold_in_answer=item.answerable and not answer.refused and has_gold(shown),
        gold_first=item.answerable and bool(cites) and has_gold(first),
        chars=len(answer.answer), quotes=len(cites), verbatim=verbatim,
    )


def first_sentences_answer(question: str, retrieval: object) -> Answer:
    """The baseline: the first sentence of each of the top passages, cited, in retrieval order."""
    from assistant.answer.quotes import sentence_spans

    if retrieval.refused or not retrieval.hits:  # type: ignore[attr-defined]
        return Answer(question=question, answer="No evidence.", refused=True)
    lines, cites = [], []
    for n, hit in enumerate(retrieval.hits[:BASELINE_PASSAGES], 1):  # type: ignore[attr-defined]
        p = hit.passage
        spans = sentence_spans(p.text)
        quote = p.text[spans[0][0]:spans[0][1]] if spans else p.text
        lines.append(f"- {' '.join(quote.split())} [{n}]")
        cites.append(Citation(n=n, passage_id=p.id, doc_id=p.doc_id, title=p.title, quote=quote))
    return Answer(question=question, answer="\n".join(lines), citations=cites)


def run_answers(settings: Settings, items: list[GoldItem], *, split: str = "test") -> list[AnswerResult]:
    """Lessons' extractive answer and the first-sentences baseline on the questions of `split`."""
    from assistant.answer.chat import quote_embedder
    from assistant.answer.compose import compose_answer
    from assistant.retrieval.search import SearchIndex, retrieve

    index = SearchIndex.open(settings)
    passages = {p.id: p.text for p in index.store.all_passages()}
    documents = document_texts(index)
    embedder = quote_embedder(index, settings)
    systems: dict[str, Callable] = {
        "Lessons (extractive)": lambda q, r, role: compose_answer(q, r, role=role, settings=settings,
                                                                  embedder=embedder),
        f"baseline: first sentence of top {BASELINE_PASSAGES}": lambda q, r, role: first_sentences_answer(q, r),
    }
    outcomes: dict[str, list[AnswerOutcome]] = {name: [] for name in systems}
    for item in select(items, split):
        r = retrieve(item.question, index=index, settings=settings)
        for name, answer in systems.items():
            outcomes[name].append(judge(item, answer(item.question, r, item.role), passages=passages,
                                        documents=documents))
    return [AnswerResult(label=name, outcomes=o) for name, o in outcomes.items()]


def to_markdown(results: list[AnswerResult], *, split: str, splits: dict[str, str] | None = None) -> str:
    """The answer-level table; with `splits` (question id -> split), one row per system and split, then all."""
    n = len(results[0].outcomes) if results else 0
    rows = [r.row() for r in results]
    if splits:
        rows = [AnswerResult(label=f"{r.label} [{name}]", outcomes=[o for o in r.outcomes if name == "all"
                                                                     or splits[o.id] == name]).row()
                for name in ("test", "tuning", "all") for r in results]
    return "\n".join([f"## Answers ({split} split, {n} questions)", "", HEADER, *rows, ""])


def main(argv: list[str] | None = None) -> int:
    """`python -m evals.quality.answers [--split test|tuning|all|each] [--gold FILE] [--index-dir DIR] [--out FILE]`
    on an evaluation index (default <data_dir>/eval, the one `lessons eval` builds); `each` answers every question
    once and reports the test and tuning halves and both."""
    import argparse

    from evals.quality.harness import GOLD_PATH
    from evals.quality.metrics import load_gold

    parser = argparse.ArgumentParser(prog="evals.quality.answers")
    parser.add_argument("--split", choices=["test", "tuning", "all", "each"], default="test")
    parser.add_argument("--gold", type=Path, default=GOLD_PATH)
    parser.add_argument("--index-dir", type=Path, help="evaluation index (default <data_dir>/eval)")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    settings = Settings()
    settings = settings.model_copy(update={"data_dir": args.index_dir or settings.data_dir / "eval"})
    items = load_gold(args.gold)
    each = args.split == "each"
    results = run_answers(settings, items, split="all" if each else args.split)
    text = to_markdown(results, split=args.split, splits={i.id: i.split for i in items} if each else None)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
