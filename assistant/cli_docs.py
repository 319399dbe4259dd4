"""The document side of the `lessons` CLI: `passages` (what was indexed, as JSON lines) and `stats --doc ID`
(one document's ingestion report: pages, pages without text, furniture removed, footnotes, tables, passages)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from ingest.settings import Settings

PASSAGE_KEYS = ("id", "doc_id", "title", "evaluation", "section", "kind", "page", "text", "fields")


def run_passages(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons passages [--doc ID] [--json]`: the stored passages, one JSON object a line (or readable text)."""
    from ingest.store import open_store

    store = open_store(settings)
    if args.doc and args.doc not in store.manifest():
        print(f"lessons passages: no document {args.doc!r} in the index", file=sys.stderr)
        return 1
    stream = out or sys.stdout
    for passage in store.all_passages():
        if args.doc and passage.doc_id != args.doc:
            continue
        row = passage.model_dump(mode="json", include=set(PASSAGE_KEYS))
        if args.json:
            stream.write(json.dumps({key: row[key] for key in PASSAGE_KEYS}, ensure_ascii=False) + "\n")
        else:
            where = f"p. {passage.page}" if passage.page else "no page"
            stream.write(f"[{passage.id}] {passage.kind.value}, {where}, {passage.section or '(no section)'}\n"
                         f"  {passage.text}\n")
    return 0


def run_document_stats(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons stats --doc ID [--json]`: the full ingestion report of one document."""
    from ingest.report import full_text
    from ingest.store import open_store

    record = open_store(settings).manifest().get(args.doc)
    if record is None:
        print(f"lessons stats: no document {args.doc!r} in the index", file=sys.stderr)
        return 1
    if args.json:
        body = {"doc_id": record.doc_id, "title": record.meta.title, "path": record.path,
                "evaluation": record.evaluation or record.meta.evaluation,
                "meta": record.meta.model_dump(mode="json"), "report": record.report.model_dump(mode="json")}
        text = json.dumps(body, indent=2, ensure_ascii=False)
    else:
        text = full_text(record.doc_id, record.meta.title, record.path, record.report)
    (out or sys.stdout).write(text + "\n")
    return 0


def add_document_commands(subparsers, common=None) -> None:
    """Register `passages` on the CLI's subparsers (`common` adds the index-selecting options)."""
    passages = subparsers.add_parser("passages", help="the stored passages of one or every document")
    passages.add_argument("--doc", default=None, metavar="ID", help="only this document")
    passages.add_argument("--json", action="store_true", help="JSON lines: id, doc_id, title, evaluation, section, kind, "
                                                              "page, text, fields")
    if common is not None:
        common(passages)
    passages.set_defaults(handler=run_passages)
