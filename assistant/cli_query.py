"""The query side of the `lessons` CLI: `search` and `ask` (models load once per process)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import TextIO

from assistant.answer.types import ROLES, Hit
from ingest.matrix import normalise_response
from ingest.models import Filters, Kind
from ingest.settings import Settings

WHERE_KEYS = {
    "doc": "doc_ids",
    "organisation": "organisations",
    "organization": "organisations",
    "year": "years",
    "country": "countries",
    "language": "languages",
    "kind": "kinds",
    "theme": "themes",
    "response": "responses",
}
WHERE_HELP = ("filter: doc, organisation, year, country, language, kind, theme (a theme id of the theme file), "
              "response (accepted, partially accepted, not accepted)")


def parse_where(pairs: Iterable[str]) -> Filters:
    """Turn `key=value` pairs into Filters; a repeated key allows any of its values."""
    values: dict[str, list] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        field = WHERE_KEYS.get(key.strip().lower())
        if not sep or field is None or not value.strip():
            raise SystemExit(f"--where expects key=value with key in {sorted(set(WHERE_KEYS))}, got {pair!r}")
        value = value.strip()
        if field == "years":
            if not value.isdigit():
                raise SystemExit(f"--where year= expects a year like 2021, got {value!r}")
            value = int(value)
        elif field == "kinds":
            try:
                value = Kind(value)
            except ValueError:
                raise SystemExit(f"--where kind= expects one of {[k.value for k in Kind]}, got {value!r}") from None
        elif field == "responses":
            value = normalise_response(value)  # "rejected", "Aceptada", "partially accepted" -> the controlled value
            if not value:
                raise SystemExit("--where response= expects accepted, partially accepted or not accepted, "
                                 f"got {pair!r}")
        values.setdefault(field, []).append(value)
    return Filters(**values)


def where_filters(args: argparse.Namespace, settings: Settings) -> Filters:
    """The command's `--where` pairs as Filters, theme ids checked against the taxonomy in settings."""
    filters = parse_where(args.where or [])
    if filters.themes:
        from ingest.themes import TaxonomyError, load_taxonomy

        try:
            known = load_taxonomy(settings.themes.taxonomy).ids
        except TaxonomyError as exc:
            raise SystemExit(f"--where theme=: {exc}") from None
        unknown = [t for t in filters.themes if t not in known]
        if unknown:
            raise SystemExit(f"--where theme= expects one of {known}, got {unknown[0]!r}")
    return filters


def hit_json(hit: Hit) -> dict:
    """One passage as the JSON contract gives it."""
    p = hit.passage
    return {
        "id": p.id,
        "text": p.text,
        "doc_id": p.doc_id,
        "title": p.title,
        "section": p.section,
        "kind": p.kind.value,
        "page": p.page,
        "score": round(hit.score, 4),
    }


def print_hits(query: str, retrieval, out: TextIO) -> None:
    """Human-readable ranked passages."""
    if retrieval.refused:
        out.write(f"No relevant evidence in the corpus for: {query} (best score {retrieval.best_score:.3f})\n")
        return
    for rank, hit in enumerate(retrieval.hits, start=1):
        p = hit.passage
        page = f", p. {p.page}" if p.page else ""
        out.write(f"{rank}. [{hit.score:.3f}] {p.title} ({p.organisation}, {p.year})\n")
        out.write(f"   {p.section or '(no section)'} | {p.kind.value}{page} | {p.id}\n")
        out.write(f"   {p.text[:400]}{'...' if len(p.text) > 400 else ''}\n\n")


def run_search(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons search`: one question, or a batch file with one question per line."""
    out = out or sys.stdout  # looked up at the call: a default bound at import would keep a replaced stream
    from assistant.retrieval.search import SearchIndex, retrieve

    filters = where_filters(args, settings)
    if args.batch:
        stream = sys.stdin if args.batch == "-" else open(args.batch, encoding="utf-8")
        queries = [line.strip() for line in stream if line.strip()]
    elif args.query:
        queries = [args.query]
    else:
        raise SystemExit("lessons search: give a QUESTION or --batch FILE")
    index = SearchIndex.open(settings)
    for query in queries:
        retrieval = retrieve(query, index=index, settings=settings, filters=filters, k=args.k)
        if args.json:
            passages = [] if retrieval.refused else [hit_json(h) for h in retrieval.hits]
            record = {"query": query, "refused": retrieval.refused, "passages": passages}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            print_hits(query, retrieval, out)
    return 0


def run_ask(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons ask`: a cited answer to one question."""
    out = out or sys.stdout
    from assistant.answer.chat import answer_question
    from assistant.retrieval.search import SearchIndex

    index = SearchIndex.open(settings)
    answer = answer_question(args.query, index=index, settings=settings, filters=where_filters(args, settings),
                             role=args.role)
    if args.json:
        record = {
            "answer": answer.answer,
            "refused": answer.refused,
            "citations": [
                {k: c.model_dump()[k] for k in ("n", "passage_id", "doc_id", "title", "section", "page", "quote")}
                for c in answer.citations
            ],
        }
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        if answer.notice:
            out.write(f"({answer.notice})\n\n")
        out.write(answer.answer.rstrip() + "\n")
    return 0


def add_query_commands(sub: argparse._SubParsersAction) -> list[argparse.ArgumentParser]:
    """Register `search` and `ask` on the CLI's subparsers; returns their parsers."""
    search = sub.add_parser("search", help="ranked passages for a question")
    search.add_argument("query", nargs="?", help="the question")
    search.add_argument("-k", type=int, default=None, help="number of passages (default from settings)")
    search.add_argument("--where", action="append", metavar="KEY=VALUE", help=WHERE_HELP)
    search.add_argument("--batch", metavar="FILE", help="one question per line; '-' reads standard input")
    search.add_argument("--json", action="store_true", help="one JSON line per question")
    search.set_defaults(handler=run_search)

    ask = sub.add_parser("ask", help="a cited answer to a question")
    ask.add_argument("query", help="the question")
    ask.add_argument("--where", action="append", metavar="KEY=VALUE", help=WHERE_HELP)
    ask.add_argument("--role", choices=ROLES, default=None)
    ask.add_argument("--json", action="store_true", help="answer and citations as JSON")
    ask.set_defaults(handler=run_ask)
    return [search, ask]
