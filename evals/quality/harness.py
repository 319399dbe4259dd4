"""Retrieval evaluation: Lessons (and ablations of it) against two stock baselines on the gold questions.

`run_eval` ingests the corpus folders (default: `settings.corpus_dir`) into a dedicated index (`<data_dir>/eval`,
or `<data_dir>/eval-<key of the folders>` for other folders), runs every gold question through
each Lessons variant and through the baselines (same corpus, same embedding model), judges each returned
unit with `is_relevant`, and returns an `EvalReport`. `main` is the `lessons eval` command line.
"""

from __future__ import annotations

import argparse
import hashlib
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path

from assistant.retrieval.refusal import Unknowns
from evals.quality.baselines import Baseline, bm25_baseline, llamaindex_baseline, stock_nodes
from evals.quality.metrics import GoldItem, QueryOutcome, calibrate_threshold, fold, is_relevant, load_gold, select
from evals.quality.refusal_fit import fit_unknown_penalty
from evals.quality.report import EvalReport, SystemResult, gold_counts, machine_description
from ingest.models import Filters
from ingest.settings import Settings

__all__ = ["fold", "is_relevant", "run_eval", "ablation_variants", "batch_retrieve", "main", "eval_handler"]

GOLD_PATH = Path(__file__).resolve().with_name("gold.yaml")
Variant = tuple[str, Settings]


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def with_search(settings: Settings, **changes: object) -> Settings:
    """A copy of `settings` with some `settings.search` fields changed (validated)."""
    search = settings.search.model_validate({**settings.search.model_dump(), **changes})
    return settings.model_copy(update={"search": search})


def ablation_variants(settings: Settings) -> list[Variant]:
    """Lessons as configured, then one change at a time: each signal alone, each embedder, no second stage, no dedup."""
    base = list(settings.embedders)
    variants: list[Variant] = [
        (f"Lessons ({'+'.join(base)})", settings),
        ("ablation: BM25 only", with_search(settings, use_dense=False, use_sparse=False)),
        ("ablation: dense only", with_search(settings, use_keyword=False, use_sparse=False)),
        ("ablation: BM25 + e5 sparse, no dense", with_search(settings, use_dense=False)),
    ]
    for names in (["e5"], ["minilm"], ["e5", "minilm"]):
        if names != base:
            variants.append((f"ablation: embedders={'+'.join(names)}", settings.model_copy(update={"embedders": names})))
    variants.append(("ablation: no e5 sparse", with_search(settings, use_sparse=False)))
    variants.append(("ablation: fusion, no second stage", with_search(settings, second_stage=False)))
    variants.append(("ablation: second stage without kind boost", with_search(settings, kind_boost=0.0)))
    variants.append(("ablation: without document routing", with_search(settings, doc_boost=0.0)))
    variants.append(("ablation: without questionnaire penalty", with_search(settings, question_penalty=0.0)))
    variants.append(("ablation: without cross-language glossary", with_search(settings, glossary=None)))
    variants.append(("ablation: language-calibrated dense", with_search(settings, language_calibration=True)))
    variants.append(("ablation: no dedup", with_search(settings, dedup=False)))
    return variants


def batch_retrieve(
    questions: Iterable[str], *, index: object, settings: Settings, k: int | None = None, filters: Filters | None = None
) -> Iterator[object]:
    """Retrieve for each question in turn (blank lines skipped); yields `Retrieval`s for `search --batch`."""
    from assistant.retrieval.search import retrieve

    for question in questions:
        if question.strip():
            yield retrieve(question.strip(), index=index, settings=settings, filters=filters, k=k)


def _judge(item: GoldItem, texts: list[str], *, n_relevant: int, refused: bool, best: float, ms: float,
           unknowns: Unknowns | None = None) -> QueryOutcome:
    unknowns = unknowns or Unknowns()
    return QueryOutcome(
        id=item.id, split=item.split, role=item.role, lang=item.lang, answerable=item.answerable,
        flags=[is_relevant(t, item.gold) for t in texts] if item.answerable else [False] * len(texts),
        n_relevant=n_relevant, refused=refused, best_score=best, chars_top5=[len(t) for t in texts[:5]], ms=ms,
        unknown_weight=unknowns.weight, unknown_names=unknowns.names,
    )


def _relevant_counts(items: list[GoldItem], texts: list[str]) -> dict[str, int]:
    folded = [fold(t) for t in texts]
    counts = {}
    for item in items:
        phrases = [fold(p) for p in item.gold]
        counts[item.id] = sum(1 for t in folded if any(p in t for p in phrases))
    return counts


def corpus_folders(settings: Settings, corpora: list[Path] | None = None) -> list[Path]:
    """The folders evaluated: `corpora` when given, else the settings' corpus folder."""
    return [Path(c).resolve() for c in corpora] if corpora else [Path(settings.corpus_dir).resolve()]


def default_index_dir(settings: Settings, corpora: list[Path] | None = None) -> Path:
    """`<data_dir>/eval` for the settings' corpus; other folders get an index of their own, so runs over
    different corpora never share (or mix) one."""
    folders = corpus_folders(settings, corpora)
    if folders == corpus_folders(settings):
        return settings.data_dir / "eval"
    return settings.data_dir / f"eval-{hashlib.sha256('|'.join(map(str, folders)).encode()).hexdigest()[:10]}"


def prepare_index(settings: Settings, variants: list[Variant], *, index_dir: Path | None = None,
                  corpora: list[Path] | None = None) -> Path:
    """Ingest the corpus folders (incrementally) into the evaluation index with every embedder the variants use."""
    from ingest.pipeline import ingest_paths

    target = index_dir or default_index_dir(settings, corpora)
    names = list(dict.fromkeys(n for _, s in variants for n in s.embedders))
    summary = ingest_paths(corpus_folders(settings, corpora), settings=settings.model_copy(
        update={"data_dir": target, "embedders": names}), progress=False)
    if summary.failed:
        _log(f"ingest: {len(summary.failed)} file(s) failed: {summary.failed}")
    _log(f"eval index {target}: {summary.documents} documents ({'+'.join(names)})")
    return target


def run_lessons(label: str, settings: Settings, items: list[GoldItem], *, k: int) -> tuple[SystemResult, list[str]]:
    """Run every item through `retrieve` on one settings variant; also returns the collection's passage texts."""
    from assistant.retrieval.refusal import refusal_scale
    from assistant.retrieval.search import SearchIndex, retrieve

    index = SearchIndex.open(settings)
    texts = [p.text for p in index.store.all_passages()]
    counts = _relevant_counts(items, texts)
    retrieve(items[0].question, index=index, settings=settings, k=k)  # warm-up: models and caches
    outcomes = []
    for item in items:
        started = time.perf_counter()
        r = retrieve(item.question, index=index, settings=settings, k=k)
        ms = (time.perf_counter() - started) * 1000
        outcomes.append(_judge(item, [h.passage.text for h in r.hits[:k]], n_relevant=counts[item.id],
                               refused=r.refused, best=r.best_score, ms=ms, unknowns=r.unknowns))
    cfg = settings.search
    scale = refusal_scale(settings.embedders)
    cutoffs = cfg.refusal(scale)
    sparse = cfg.use_sparse and "e5" in settings.embedders
    bm25 = "BM25 + glossary" if cfg.glossary else "BM25"
    signals = [n for n, on in ((bm25, cfg.use_keyword), ("dense " + "+".join(settings.embedders), cfg.use_dense),
                               ("e5 sparse", sparse)) if on]
    detail = (f"{' + '.join(signals)}, RRF k={cfg.rrf_k}, second stage {'on' if cfg.second_stage else 'off'}, "
              f"dedup {'on' if cfg.dedup else 'off'}, refusal on {scale} cosine: {cutoffs.threshold} "
              f"(named {cutoffs.threshold_named}), unknown-word penalty {cutoffs.unknown_word_penalty}")
    tuning = [o for o in outcomes if o.split == "tuning"]
    fit = fit_unknown_penalty(tuning, cutoffs=cutoffs) if cfg.use_dense else None
    return SystemResult(label=label, kind="lessons", detail=detail, units=len(texts), outcomes=outcomes,
                        penalty_fit=fit), texts


def run_baseline(label: str, search: Baseline, items: list[GoldItem], texts: list[str], *, k: int) -> SystemResult:
    """Run every item through a baseline retriever."""
    counts = _relevant_counts(items, texts)
    search(items[0].question)  # warm-up
    outcomes = []
    for item in items:
        started = time.perf_counter()
        hits = search(item.question)[:k]
        ms = (time.perf_counter() - started) * 1000
        best = max((s for _, s in hits), default=0.0)
        outcomes.append(_judge(item, [t for t, _ in hits], n_relevant=counts[item.id], refused=False, best=best, ms=ms))
    return SystemResult(label=label, kind="baseline", units=len(texts), outcomes=outcomes)


def run_eval(
    *,
    settings: Settings,
    split: str = "test",
    systems: list[Variant] | None = None,
    baselines: bool = True,
    k: int = 10,
    gold_path: Path = GOLD_PATH,
    index_dir: Path | None = None,
    corpora: list[Path] | None = None,
    command: str = "",
) -> EvalReport:
    """Evaluate Lessons variants (default: `settings` alone) and the two baselines over the `corpora` folders
    (default: the settings' corpus folder), indexed together; report on `split`.

    All questions of both splits are run so refusal thresholds can be calibrated on the tuning split;
    the report's tables cover `split` ("test", "tuning" or "all").
    """
    from ingest.embed import get_embedder
    from ingest.pipeline import expand_paths

    folders = corpus_folders(settings, corpora)
    items = load_gold(gold_path)
    reported = select(items, split)
    variants = systems or [(f"Lessons ({'+'.join(settings.embedders)})", settings)]
    target = prepare_index(settings, variants, index_dir=index_dir, corpora=folders)
    results: list[SystemResult] = []
    unreachable: list[str] = []
    for n, (label, variant) in enumerate(variants):
        _log(f"running {label} ...")
        result, texts = run_lessons(label, variant.model_copy(update={"data_dir": target}), items, k=k)
        results.append(result)
        if n == 0:
            folded = [fold(t) for t in texts]
            unreachable = [i.id for i in items if i.answerable and not any(fold(p) in t for p in i.gold for t in folded)]
    if baselines:
        _log("building baselines (stock llama-index nodes, in-memory vector index, bm25s) ...")
        nodes = stock_nodes(folders)
        texts = [node.get_content() for node in nodes]
        embedder = get_embedder(settings.embedders[0], threads=settings.threads, runtime=settings.ingest.e5_runtime)
        dense: Callable = llamaindex_baseline(nodes, embedder=embedder, k=k)
        results.append(run_baseline(f"stock llama-index ({settings.embedders[0]})", dense, items, texts, k=k))
        results.append(run_baseline("BM25 (bm25s over stock nodes)", bm25_baseline(nodes, k=k), items, texts, k=k))
        for r in results[-2:]:
            r.detail = f"{len(nodes)} nodes, mean {sum(map(len, texts)) / max(1, len(texts)):.0f} characters"
    for r in results:
        r.threshold = calibrate_threshold(r.on("tuning"))
    return EvalReport(
        created=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        command=command or shlex.join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        machine=machine_description(),
        split=split, k=k, embedder="+".join(settings.embedders), gold_path=_rel(gold_path),
        corpus_dir=" + ".join(_rel(f) for f in folders), documents=len(expand_paths(folders)[0]),
        counts=gold_counts(reported), systems=results, unreachable=unreachable,
        questions={i.id: i.question for i in items},
    )


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    """The `lessons eval` options (the index-selecting options such as --embedder come from the main CLI)."""
    parser.add_argument("--split", choices=["test", "tuning", "all"], default="test", help="questions to report on")
    parser.add_argument("--out", type=Path, help="also write the Markdown report here (e.g. evals/quality/RESULTS.md)")
    parser.add_argument("--ablate", action="store_true", help="also run Lessons with one part changed at a time")
    parser.add_argument("--no-baselines", action="store_true", help="skip the llama-index and BM25 baselines")
    parser.add_argument("--gold", type=Path, default=GOLD_PATH, help="gold questions (YAML)")
    parser.add_argument("-k", type=int, default=10, help="results per question (default 10)")
    parser.add_argument("--corpus", type=Path, action="append", metavar="DIR",
                        help="a folder to index and evaluate over, repeatable: the folders are indexed together "
                             "(default: the configured corpus folder)")
    parser.add_argument("--index-dir", type=Path, help="evaluation index location (default <data_dir>/eval, or "
                        "<data_dir>/eval-<key> when --corpus names other folders)")
    parser.add_argument("--no-answers", action="store_true", help="skip the answer-level metrics")
    parser.add_argument("--json", type=Path, help="also write the full report, every judged question, as JSON")


def eval_handler(args: argparse.Namespace, settings: Settings, *, command: str = "") -> int:
    """Run the evaluation from parsed arguments, print the Markdown report, write it when --out is given."""
    variants = ablation_variants(settings) if args.ablate else None
    report = run_eval(settings=settings, split=args.split, systems=variants, baselines=not args.no_baselines,
                      k=args.k, gold_path=args.gold, index_dir=args.index_dir, corpora=args.corpus, command=command)
    text = report.to_markdown()
    if not args.no_answers:
        from evals.quality.answers import run_answers, to_markdown

        _log("answering the gold questions (Lessons extractive and the first-sentences baseline) ...")
        target = args.index_dir or default_index_dir(settings, args.corpus)
        answers = run_answers(settings.model_copy(update={"data_dir": target}), load_gold(args.gold), split=args.split)
        text = text.rstrip() + "\n\n" + to_markdown(answers, split=args.split)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        _log(f"wrote {args.out}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(report.model_dump_json(indent=1), encoding="utf-8")
    return 0


def main(argv: list[str] | None = None, *, settings: Settings | None = None, command: str = "") -> int:
    """`lessons eval [options]` (the CLI hands over its settings) or `python -m evals.quality.harness [options]`
    (the index options --data-dir, --chroma-url, --embedder read here)."""
    from assistant.cli import add_common_options, settings_from_args

    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="lessons eval", description="Evaluate retrieval against the gold set.")
    add_eval_arguments(parser)
    if settings is None:
        add_common_options(parser, suppress=False)
    args = parser.parse_args(argv)
    settings = settings or settings_from_args(args)
    return eval_handler(args, settings, command=command or shlex.join(["lessons", "eval", *argv]))


if __name__ == "__main__":
    raise SystemExit(main())
