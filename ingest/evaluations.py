"""Which files belong to one evaluation (its brief, final report and management response), when the catalog does
not say: the `evaluation` id they share, derived from their metadata, then stamped on the documents' records and
passages in the store.

Two documents are of one evaluation when they have the same year, share a country (or neither names one) and
their titles share a project code ("MIRAA", "LANMD"; a code also matches the initials of the other title's words,
"Local Authorities Network for Migration and Development" -> LANMD) or two distinctive title words (not function
words, not the vocabulary of document types, not their countries or organisation). Groups are closed under that
relation; a group of one gets no id. The catalog's own `evaluation` always wins.
"""

from __future__ import annotations

import re
from collections import Counter

from ingest.kinds import DOCUMENT_WORDS
from ingest.lang import fold, stopwords
from ingest.models import CatalogEntry
from ingest.records import passage_from_record, passage_metadata

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_CODE = re.compile(r"\b[A-Z][A-Z0-9]{2,}(?:[- ][IVX]+\b)?")  # "MIRAA", "LANMD", "MIRAA-III"
_LANGUAGES = ("en", "fr", "es", "sv", "nn")
_PAGE = 2000


def _function_word(word: str) -> bool:
    return any(word in stopwords(language) for language in _LANGUAGES) or len(word) < 4


def _context_words(entry: CatalogEntry) -> set[str]:
    """Words that say where or by whom, not what: its countries and organisation."""
    return {fold(w) for text in [entry.organisation, *entry.countries] for w in _WORD.findall(text)}


def codes(entry: CatalogEntry) -> set[str]:
    """Project codes of a title: its upper-case acronyms (an all-capital title has none), and the initials of its
    runs of content words (function words skipped) that are at least three letters long."""
    title = entry.title
    letters = [c for c in title if c.isalpha()]
    found = set()
    if letters and sum(c.isupper() for c in letters) < 0.6 * len(letters):
        found = {fold(re.split(r"[- ]", code)[0]) for code in _CODE.findall(title)}
    context = _context_words(entry)
    found -= context | DOCUMENT_WORDS
    found = {code for code in found if not re.fullmatch(r"[ivxlc]+", code)}  # "Phase III" names no project
    for phrase in re.split(r"[:;,()\[\]\"“”«»–—]|\s-\s", title):
        content = [w for w in _WORD.findall(phrase) if not _function_word(fold(w))
                   and fold(w) not in context | DOCUMENT_WORDS]
        initials = "".join(w[0] for w in content if w[0].isupper())
        if len(initials) >= 3 and len(initials) == len(content):
            found.add(fold(initials))
    return found


def words(entry: CatalogEntry) -> set[str]:
    """Distinctive words of a title."""
    context = _context_words(entry)
    return {fold(w) for w in _WORD.findall(entry.title)} - context - DOCUMENT_WORDS - \
        {w for w in (fold(w) for w in _WORD.findall(entry.title)) if _function_word(w)}


def _same(a: tuple, b: tuple) -> str:
    """The code or words two documents' (countries, codes, words) share when they are of one evaluation, else ''."""
    if (a[0] or b[0]) and not a[0] & b[0]:
        return ""
    shared = sorted(a[1] & b[1])
    if shared:
        return shared[0]
    common = sorted(a[2] & b[2])
    return "-".join(common[:2]) if len(common) >= 2 else ""


def derive_evaluations(entries: dict[str, CatalogEntry]) -> dict[str, str]:
    """doc_id -> evaluation id for every document of a group of two or more (the catalog's own id first); a group
    is named by the code or words most of its pairs share, and its year ("lanmd-2022")."""
    ids = sorted(entries)
    parent = {doc_id: doc_id for doc_id in ids}
    shared_by: list[tuple[str, str]] = []  # (a member, what the pair shares)
    by_year: dict[int, list[str]] = {}
    for doc_id in ids:
        if entries[doc_id].year is not None and not entries[doc_id].evaluation:
            by_year.setdefault(entries[doc_id].year, []).append(doc_id)
    signature = {doc_id: (set(entries[doc_id].countries), codes(entries[doc_id]), words(entries[doc_id]))
                 for same_year in by_year.values() for doc_id in same_year}

    def root(doc_id: str) -> str:
        while parent[doc_id] != doc_id:
            doc_id = parent[doc_id]
        return doc_id

    for same_year in by_year.values():
        for i, a in enumerate(same_year):
            for b in same_year[i + 1:]:
                shared = _same(signature[a], signature[b])
                if shared:
                    parent[root(b)] = root(a)
                    shared_by.append((a, shared))
    out = {doc_id: entries[doc_id].evaluation for doc_id in ids if entries[doc_id].evaluation}
    labels: dict[str, Counter] = {}
    for member, shared in shared_by:
        labels.setdefault(root(member), Counter())[shared] += 1
    for doc_id in ids:
        if root(doc_id) in labels:
            label = min(labels[root(doc_id)].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            out[doc_id] = f"{label}-{entries[root(doc_id)].year}"
    return out


def stamp_evaluations(store) -> dict[str, str]:
    """Derive the evaluation of every indexed document and write it where it changed: on each passage's record
    in every collection, then on the document's manifest record. Returns doc_id -> evaluation of the changed."""
    manifest = store.manifest()
    derived = derive_evaluations({doc_id: rec.meta for doc_id, rec in manifest.items()})
    changed = {doc_id: derived.get(doc_id, "") for doc_id, rec in manifest.items()
               if rec.evaluation != derived.get(doc_id, "")}
    for doc_id, evaluation in changed.items():
        for collection in store.passage_collections().values():
            got = collection.get(where={"doc_id": doc_id}, include=["metadatas", "documents"])
            metas = []
            for meta, text in zip(got["metadatas"], got["documents"], strict=True):
                passage = passage_from_record(meta, text).model_copy(update={"evaluation": evaluation})
                kept = {k: v for k, v in meta.items() if k not in passage_metadata(passage) and k != "passage"}
                metas.append({**kept, **passage_metadata(passage)})
            for start in range(0, len(metas), _PAGE):
                collection.update(ids=got["ids"][start:start + _PAGE], metadatas=metas[start:start + _PAGE])
        store.put_record(manifest[doc_id].model_copy(update={"evaluation": evaluation}))
    return changed


def evaluation_of(record) -> str:
    """The evaluation a manifest record belongs to: derived, else the catalog's."""
    return record.evaluation or record.meta.evaluation

