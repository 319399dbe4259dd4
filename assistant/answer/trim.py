"""Cutting a sentence too long to quote whole: at a sentence or clause boundary, keeping the part that answers.

A long sentence often opens with a concession or a frame ("While most staff are committed ..., the evaluation
still found ...") and says what the reader asked for only after a comma. `trim_span` keeps a sentence's head;
`best_window` keeps whichever run of whole clauses best matches the question, the head when none does better.
Both return spans of the text, so the quote stays verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_CLAUSE_CUTS = (".!?", ";:", ",–—)")  # strongest boundary first; then before a conjunction
_CONJUNCTIONS = frozenset(
    "and but or because which while although whereas since so as where when y pero og men".split()
)
_WORDS = re.compile(r"\S+")


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def trim_span(text: str, start: int, end: int, max_words: int) -> tuple[int, int, bool]:
    """Shorten text[start:end] to at most `max_words` words, cutting at a sentence or clause boundary.

    Returns the new (start, end) and whether anything was cut. Falls back to a word boundary only
    when no boundary leaves at least a third of the allowed words.
    """
    words = list(_WORDS.finditer(text[start:end]))
    if len(words) <= max_words:
        return start, end, False
    limit = start + words[max_words - 1].end()
    min_words = max(4, max_words // 3)
    for marks in _CLAUSE_CUTS:
        cuts = [
            start + w.end()
            for i, w in enumerate(words[:max_words])
            if w.group()[-1] in marks and i + 1 >= min_words
        ]
        if cuts:
            limit = cuts[-1]
            break
    else:
        cuts = [start + w.end() for i, w in enumerate(words[: max_words - 1]) if i + 1 >= min_words
                and words[i + 1].group().lower() in _CONJUNCTIONS]
        limit = cuts[-1] if cuts else limit
    while limit > start and text[limit - 1] in ",;:–—- ":
        limit -= 1
    return start, limit, True


def clause_starts(text: str, start: int, end: int, *, min_words: int) -> list[int]:
    """Where a later clause of text[start:end] begins: after a sentence or clause mark outside brackets, leaving
    at least `min_words` words after it."""
    words = list(_WORDS.finditer(text[start:end]))
    starts, depth = [], 0
    for i in range(1, len(words) - min_words + 1):
        before = words[i - 1].group()
        depth = max(0, depth + before.count("(") - before.count(")"))
        if depth == 0 and before[-1] in ".!?;:,–—)":
            starts.append(start + words[i].start())
    return starts


def best_window(text: str, start: int, end: int, max_words: int, *, score: Callable[[list[str]], list[float]],
                margin: float = 0.0, min_words: int = 8) -> tuple[int, int, bool, bool]:
    """text[start:end] cut to at most `max_words` words. The sentence's head, unless a clause beyond it scores
    (by `score`, all clauses rated in one call) more than `margin` above every clause the head shows: then that
    clause, with the ones after it while it is shorter than `min_words`.

    Returns (start, end, whether the head was cut, whether the tail was cut)."""
    head_start, head_end, cut = trim_span(text, start, end, max_words)
    if not cut:
        return start, end, False, False
    head = (head_start, head_end, False, True)
    bounds = list(zip(cuts := [start, *clause_starts(text, start, end, min_words=min_words)], [*cuts[1:], end]))
    if len(bounds) == 1:
        return head
    values = score([text[a:z] for a, z in bounds])
    shown = max(v for (a, _), v in zip(bounds, values) if a < head_end)
    best = max(range(len(bounds)), key=lambda i: (values[i], -i))
    if bounds[best][0] < head_end or values[best] <= shown + margin:
        return head
    last = best
    while word_count(text[bounds[best][0]:bounds[last][1]]) < min_words and last + 1 < len(bounds):
        last += 1
    a, z, _ = trim_span(text, bounds[best][0], bounds[last][1], max_words)
    while z > a and text[z - 1] in ",;:–— ":
        z -= 1
    return a, z, True, z < end
