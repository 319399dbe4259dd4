"""How a passage becomes a Chroma record and comes back: its metadata (scalar filter keys plus the passage as
JSON), and a `Filters` as a Chroma `where` clause."""

from __future__ import annotations

import json

from ingest.models import Filters, Passage


def passage_metadata(passage: Passage) -> dict:
    """Chroma metadata of a passage: scalar filter keys plus the passage (minus its text) as JSON."""
    meta: dict = {
        "doc_id": passage.doc_id,
        "title": passage.title,
        "organisation": passage.organisation,
        "language": passage.language,
        "doc_type": passage.doc_type,
        "evaluation": passage.evaluation,
        "kind": passage.kind.value,
        "section": passage.section,
        "countries": "; ".join(passage.countries),
        "passage": passage.model_dump_json(exclude={"text"}),
    }
    if passage.year is not None:
        meta["year"] = passage.year
    if passage.page is not None:
        meta["page"] = passage.page
    if passage.fields.get("response"):  # a management response's recommendation: accepted, partially accepted, ...
        meta["response"] = passage.fields["response"]
    meta.update({f"country:{c}": True for c in passage.countries} | {f"theme:{t}": True for t in passage.themes})
    return meta


def passage_from_record(metadata: dict, text: str) -> Passage:
    """Rebuild the exact Passage from a record's metadata and its document text."""
    return Passage.model_validate({**json.loads(metadata["passage"]), "text": text})


def filters_to_where(filters: Filters | None) -> dict | None:
    """A Chroma `where` clause equivalent to `Filters.matches` (None when nothing is filtered)."""
    if filters is None or filters.is_empty():
        return None
    conds: list[dict] = []
    for key, values in (
        ("doc_id", filters.doc_ids),
        ("organisation", filters.organisations),
        ("year", filters.years),
        ("language", filters.languages),
        ("kind", [k.value for k in filters.kinds]),
        ("response", filters.responses),
    ):
        if values:
            conds.append({key: {"$in": list(values)}})
    for flags in ([{f"country:{c}": True} for c in filters.countries], [{f"theme:{t}": True} for t in filters.themes]):
        if flags:
            conds.append(flags[0] if len(flags) == 1 else {"$or": flags})
    return conds[0] if len(conds) == 1 else {"$and": conds}
