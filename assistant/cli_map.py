"""`lessons map`: the evidence map (themes against documents, countries, years, organisations or kinds)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TextIO

from assistant.cli_query import WHERE_HELP, where_filters
from ingest.settings import Settings

GAP = "·"


def format_map(emap, theme_labels: dict[str, str], column_labels: dict[str, str]) -> str:
    """The map for people: numbered columns (named below the table), one row per theme, gaps as dots."""
    width = max((len(label) for label in theme_labels.values()), default=5)
    lines = [" " * width + "".join(f"{i:>6}" for i in range(1, len(emap.columns) + 1))]
    for theme, counts in zip(emap.themes, emap.counts(), strict=True):
        lines.append(f"{theme_labels.get(theme, theme):<{width}}" + "".join(f"{n or GAP:>6}" for n in counts))
    lines += ["", "columns:"] + [f"{i:>4}  {column_labels.get(c, c)}" for i, c in enumerate(emap.columns, start=1)]
    return "\n".join(lines)


def run_map(args: argparse.Namespace, settings: Settings, out: TextIO | None = None) -> int:
    """`lessons map [--by ...] [--where ...] [--json]`: passage counts per theme and column, zero cells included."""
    from assistant.evidence.map import build_map, column_labels, theme_label
    from ingest.store import open_store
    from ingest.themes import TaxonomyError, load_taxonomy

    filters = where_filters(args, settings)
    try:
        taxonomy = load_taxonomy(settings.themes.taxonomy)
    except TaxonomyError as exc:
        print(f"lessons map: {exc}", file=sys.stderr)
        return 2
    passages = open_store(settings).all_passages()
    emap = build_map(passages, taxonomy.ids, by=args.by, filters=filters)
    if args.json:
        text = json.dumps(emap.model_dump(mode="json"), ensure_ascii=False)
    else:
        labels = {t.id: theme_label(t) for t in taxonomy.themes}
        text = format_map(emap, labels, column_labels(passages, args.by))
    (out or sys.stdout).write(text + "\n")
    return 0


def add_map_command(subparsers, common=None) -> None:
    """Register `map` on the CLI's subparsers (`common` adds the index-selecting options)."""
    from assistant.evidence.map import AXES

    parser = subparsers.add_parser("map", help="evidence map: passages per theme and document, country, year, ...")
    parser.add_argument("--by", choices=AXES, default="document", help="the columns (default: document)")
    parser.add_argument("--where", action="append", metavar="KEY=VALUE", help=WHERE_HELP)
    parser.add_argument("--json", action="store_true",
                        help='{"themes": [...], "columns": [...], "cells": [{"theme", "column", "count", "passage_ids"}]}')
    if common is not None:
        common(parser)
    parser.set_defaults(handler=run_map)
