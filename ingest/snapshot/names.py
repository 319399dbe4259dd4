"""Names that single out one document in a question ("what did the Norad memo say"), part of the snapshot."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

from ingest.models import Passage

_WORD = re.compile(r"\w+", re.U)
_NAME = re.compile(r"\b[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*")
_ACRONYM = re.compile(r"\b[A-Z][A-Z0-9]{2,}\b")  # "IDEE" in "Projet IDEE", "MIRAA" in "Final evaluation MIRAA III"
FILE = "document_names-2.json"  # the version in the name: a snapshot of an earlier version builds its names again


def document_names(passages: list[Passage]) -> dict[str, set[str]]:
    """Names that single out one document in a question: its organisations, countries, proper nouns and acronyms of
    its title, kept only where they occur in the text of at most half of the documents ("IOM" in a corpus of IOM
    reports or "Mexico" in three Mexican ones name none of them). One pass over every document's words."""
    candidates: dict[str, set[str]] = {}
    texts: dict[str, list[str]] = {}
    for p in passages:
        texts.setdefault(p.doc_id, []).append(p.text)
        if p.doc_id in candidates:
            continue
        names = {part.strip() for part in re.split(r"[/,;()]| and ", p.organisation) if part.strip()}
        names |= {m.group(0) for m in _NAME.finditer(p.title)} | set(p.countries)
        if re.search(r"[a-z]", p.title):  # an acronym stands out of a title set in lower case, not of one in capitals
            names |= {m.group(0) for m in _ACRONYM.finditer(p.title)}
        candidates[p.doc_id] = {" ".join(_WORD.findall(n.casefold())) for n in names if len(n) > 2}
    by_first: dict[str, set[tuple[str, ...]]] = {}  # first word -> the candidate names it starts
    for name in set().union(*candidates.values()):
        words = tuple(name.split())
        if words:
            by_first.setdefault(words[0], set()).add(words)
    spread: Counter[str] = Counter()  # in how many documents each name occurs
    for chunks in texts.values():
        words = _WORD.findall(" ".join(chunks).casefold())
        found = {" ".join(name) for i, word in enumerate(words) for name in by_first.get(word, ())
                 if tuple(words[i : i + len(name)]) == name}
        spread.update(found)
    limit = max(1, len(texts) // 2)
    return {doc: {n for n in names if n and spread[n] <= limit} for doc, names in candidates.items()}


def load_or_build_names(passages: list[Passage], *, folder: Path) -> dict[str, set[str]]:
    """`document_names` of a snapshot, saved in its folder (seconds to compute at 100k passages)."""
    path = Path(folder) / FILE
    try:
        return {doc: set(names) for doc, names in json.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError, AttributeError):
        pass
    names = document_names(passages)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({doc: sorted(n) for doc, n in names.items()}), encoding="utf-8")
    os.replace(tmp, path)
    return names
