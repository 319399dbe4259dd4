"""The `lessons` command line: one subcommand per task, each a small `handler(args, settings) -> int`.

Options that pick the index (--data-dir, --chroma-url, --embedder) work before or after the
subcommand name: `lessons --data-dir X stats` and `lessons stats --data-dir X` are the same.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from assistant.cli_docs import add_document_commands, run_document_stats
from assistant.cli_tracker import add_tracker_commands
from assistant.cli_map import add_map_command
from ingest.settings import Settings


def add_common_options(parser: argparse.ArgumentParser, *, suppress: bool = True) -> None:
    """The index-selecting options; on subcommands they default to SUPPRESS so they don't mask the main ones."""
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--data-dir", type=Path, default=default, help="where the index lives (LESSONS_DATA_DIR)")
    parser.add_argument("--chroma-url", default=default, help="use a Chroma server, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--embedder", action="append", default=default, metavar="NAME",
        help="embedding model(s): e5, minilm; repeat or comma-separate for several (LESSONS_EMBEDDERS)",
    )


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with the command-line overrides applied."""
    update: dict = {}
    if getattr(args, "data_dir", None):
        update["data_dir"] = Path(args.data_dir).expanduser().resolve()
    if getattr(args, "chroma_url", None):
        update["chroma_url"] = args.chroma_url
    if getattr(args, "embedder", None):
        names = [n.strip() for value in args.embedder for n in value.split(",") if n.strip()]
        update["embedders"] = list(dict.fromkeys(names))
    return Settings(**update)  # environment first, then these overrides


def run_ingest(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons ingest [PATH ...]`: bring the index up to date; exit 1 when any file failed, 2 when refused."""
    from ingest.embed import EmbedderUnavailable
    from ingest.lock import IngestLocked
    from ingest.pipeline import ingest_paths

    paths = args.paths or [settings.corpus_dir]
    try:
        summary = ingest_paths(paths, settings=settings, progress=not args.quiet, lock_timeout_s=args.wait)
    except (IngestLocked, EmbedderUnavailable) as exc:
        print(f"lessons ingest: {exc}", file=sys.stderr)
        return 2
    (out or sys.stdout).write(summary.render() + "\n")
    return 0 if summary.ok else 1


def run_retag(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons retag [--json]`: tag every stored passage again from its stored e5 vector, after the theme file or
    the tagger settings changed (no re-embedding); exit 2 when refused (lock, model, invalid theme file)."""
    from ingest.embed import EmbedderUnavailable, get_embedder
    from ingest.lock import IngestLocked, ingest_lock
    from ingest.retag import VECTORS, retag_store, tagger_for
    from ingest.snapshot.build import build_snapshot
    from ingest.store import open_store
    from ingest.themes import TaxonomyError

    try:
        with ingest_lock(settings.data_dir, timeout_s=args.wait):
            store = open_store(settings)
            embedder = get_embedder(VECTORS, threads=settings.threads, runtime=settings.ingest.e5_runtime)
            report = retag_store(store, tagger_for(settings, embedder))
            build_snapshot(store, settings)
    except (IngestLocked, EmbedderUnavailable, TaxonomyError, LookupError) as exc:
        print(f"lessons retag: {exc}", file=sys.stderr)
        return 2
    if args.json:
        text = report.model_dump_json()
    else:
        counts = ", ".join(f"{theme} {n}" for theme, n in report.by_theme.items())
        text = (f"re-tagged {report.passages} passages of {report.documents} documents, {report.changed} changed "
                f"(tagging {report.stamp})\npassages by theme: {counts}")
    (out or sys.stdout).write(text + "\n")
    return 0


def format_stats(stats: dict) -> str:
    """`Store.stats()` as text for people."""
    lines = [f"index: {stats['location']}", "embedding models:"]
    for name, info in stats["embedders"].items():
        lines.append(f"  {name}: {info['model']} ({info['dim']}-d, {info['records']} vectors)")
    if not stats["embedders"]:
        lines.append("  (none yet)")
    lines.append(f"documents: {len(stats['documents'])}, passages: {stats['passages']}")
    for doc in stats["documents"]:
        lines.append(f"  {doc['passages']:>5}  {doc['title']}  [{doc['doc_id']}]")
    lines.append("passages by kind:")
    for kind, n in stats["by_kind"].items():
        lines.append(f"  {n:>5}  {kind}")
    return "\n".join(lines)


def run_stats(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons stats [--json]`: what the index holds and where it is."""
    from ingest.store import open_store

    if getattr(args, "doc", None):
        return run_document_stats(args, settings, out)
    stats = open_store(settings).stats()
    text = json.dumps(stats, indent=2, ensure_ascii=False) if args.json else format_stats(stats)
    (out or sys.stdout).write(text + "\n")
    return 0


def run_serve(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons serve [--ingest]`: bring the index up to date when asked (unchanged files cost a hash), then serve."""
    from assistant.web.app import serve

    if args.ingest:
        code = run_ingest(argparse.Namespace(paths=[], quiet=False, wait=args.wait), settings, out)
        if code == 2:
            return code  # refused: another ingestion holds the lock, or the model is missing
        if code == 1:
            print("lessons serve: some files failed to ingest (see above); serving what is indexed", file=sys.stderr)
    serve(settings, host=args.host, port=args.port)
    return 0


def run_eval(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons eval [options]`: hands over to the evaluation's own command line (evals/quality/harness.py)."""
    from evals.quality.harness import main as eval_main  # the one place the product reaches evals: lazily, here

    return eval_main(args.rest, settings=settings, command="lessons " + " ".join(sys.argv[1:]))


def run_bench(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons bench [options]`: hands over to the benchmark's own command line (evals/bench/run.py)."""
    from evals.bench.run import main as bench_main

    return bench_main(args.rest, settings=settings)


HANDED_OVER = {"eval": run_eval, "bench": run_bench}  # subcommands whose own options evals parses


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand registered."""
    from assistant.cli_query import add_query_commands

    parser = argparse.ArgumentParser(prog="lessons", description="Cited answers from evaluation reports.")
    add_common_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="index files or folders (default: the corpus folder)")
    ingest.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="files or folders to ingest")
    ingest.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                        help="how long to wait for another running ingestion (default 30)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    add_common_options(ingest)
    ingest.set_defaults(handler=run_ingest)

    stats = sub.add_parser("stats", help="documents, passages and models in the index")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.add_argument("--doc", default=None, metavar="ID", help="one document's full ingestion report")
    add_common_options(stats)
    stats.set_defaults(handler=run_stats)

    retag = sub.add_parser("retag", help="re-tag stored passages after editing the theme file (no re-embedding)")
    retag.add_argument("--wait", type=float, default=30.0, metavar="SECONDS", help="lock wait (default 30)")
    retag.add_argument("--json", action="store_true", help="the re-tagging report as JSON")
    add_common_options(retag)
    retag.set_defaults(handler=run_retag)

    for query_command in add_query_commands(sub):
        add_common_options(query_command)  # `lessons search Q --data-dir X` as well as `lessons --data-dir X search Q`
    add_document_commands(sub, add_common_options)
    add_tracker_commands(sub, add_common_options)
    add_map_command(sub, add_common_options)

    serve = sub.add_parser("serve", help="serve the chat in the browser (Gradio)")
    serve.add_argument("--host", default=None, help="interface to bind (default 127.0.0.1, LESSONS_SERVER__HOST)")
    serve.add_argument("--port", type=int, default=None, help="port (default 7860, LESSONS_SERVER__PORT)")
    serve.add_argument("--ingest", action="store_true", help="first ingest the corpus folder if it changed")
    serve.add_argument("--wait", type=float, default=30.0, metavar="SECONDS", help="lock wait for --ingest")
    add_common_options(serve)
    serve.set_defaults(handler=run_serve)

    for name, helps in (("eval", "retrieval quality on the gold questions, against stock baselines"),
                        ("bench", "speed, memory and size at 1k/10k/100k passages")):
        handed = sub.add_parser(name, help=helps, add_help=False)  # `lessons eval --help` is evals' own help
        add_common_options(handed)
        handed.set_defaults(handler=HANDED_OVER[name])
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lessons` console script."""
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if rest and args.handler not in HANDED_OVER.values():
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.rest = rest
    try:
        settings = settings_from_args(args)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e['input']!r})" for e in exc.errors()
        )
        print(f"lessons: invalid settings: {problems}", file=sys.stderr)
        return 2
    return args.handler(args, settings)


if __name__ == "__main__":
    sys.exit(main())
