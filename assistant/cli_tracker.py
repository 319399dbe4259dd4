"""The tracker side of the `lessons` CLI: `recommendations [--where ...] [--recurring] [--json] [--docx FILE]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TextIO

from ingest.settings import Settings

# --where keys the tracker reads from its rows (the others are passage filters, see assistant.cli_query)
ROW_KEYS = {"response": "responses", "status": "statuses", "evaluation": "evaluations"}


def split_where(pairs: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The passage-filter pairs, and the row choices (response, status, evaluation) by their keyword."""
    passage_pairs: list[str] = []
    row: dict[str, list[str]] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        name = ROW_KEYS.get(key.strip().lower())
        if name is None:
            passage_pairs.append(pair)
        else:
            row.setdefault(name, []).append(value.strip())
    return passage_pairs, row


def run_recommendations(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons recommendations`: one JSON line per recommendation (or per recurring group with --recurring)."""
    from assistant.cli_query import parse_where
    from assistant.evidence.source import open_tracker
    from assistant.evidence.tracker import filter_rows, row_json

    out = out or sys.stdout
    passage_pairs, row_choices = split_where(args.where or [])
    filters = parse_where(passage_pairs)
    tracker = open_tracker(settings)
    rows = filter_rows(tracker.rows, tracker.passages, filters=filters, **row_choices)
    if args.docx:
        from assistant.evidence.brief import items_from_rows, write_brief

        write_brief("Recommendations", items_from_rows(rows, tracker.passages), Path(args.docx))
    if args.recurring:
        for group in tracker.recurring(settings, rows):
            record = {"text": group.text, "evaluations": group.evaluations, "years": group.years,
                      "min_similarity": group.min_similarity, "members": [row_json(r) for r in group.members]}
            out.write(_line(record, args.json))
        return 0
    for row in rows:
        out.write(_line(row_json(row), args.json))
    return 0


def _line(record: dict, as_json: bool) -> str:
    """One JSON line, or a short readable line."""
    if as_json:
        return json.dumps(record, ensure_ascii=False) + "\n"
    if "members" in record:
        return f"[{record['evaluations']} evaluations, {record['years']}] {record['text'][:200]}\n"
    answer = f" -> {record['response']}" if record.get("response") else ""
    return f"[{record['id']}] {record['title'][:50]} ({record['year']}){answer}\n  {record['text'][:300]}\n"


def add_tracker_commands(subparsers, common=None) -> None:
    """Register `recommendations` on the CLI's subparsers (`common` adds the index-selecting options)."""
    command = subparsers.add_parser("recommendations", help="every recommendation, with management's response")
    command.add_argument("--where", action="append", metavar="KEY=VALUE",
                         help="filter: doc, organisation, year, country, language, theme, "
                              "response (accepted|partially accepted|not accepted|unknown), status, evaluation")
    command.add_argument("--recurring", action="store_true",
                         help="groups of recommendations that different evaluations make again")
    command.add_argument("--json", action="store_true", help="one JSON line per recommendation (or group)")
    command.add_argument("--docx", metavar="FILE", default=None, help="also write the rows as a DOCX brief")
    if common is not None:
        common(command)
    command.set_defaults(handler=run_recommendations)
