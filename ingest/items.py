"""Items of a typed section: where one recommendation, lesson, finding, good practice or challenge starts and ends.

An item opens with its own label ("Recommendation 3: ...", a bare "RECOMMENDATION:" or "Lesson learned #2" line
before its paragraph) or, in a section of that kind, with a number or letter ("1.", "b)"). Then:
- what follows an item, up to the next item, heading or table, belongs to it: its explanation, the list of
  follow-up activities under it, a bullet its text wraps onto round a box; all of it carries the item's kind and its
  `Block.item` key (the offset where the item opens), so the cut keeps it in the item's passage;
- a paragraph of a section with numbered or labelled items that comes before its first item (the section's
  introduction, "The following recommendations ...") is no item: it is `text`, and so is the opening paragraph of
  a section whose subsections hold the numbered items;
- a section of that kind without numbered or labelled items keeps each paragraph and bullet as it was.
Blocks with fields (table rows, lessons tables, matrix records) are items of their own and end the one before; a
footnote set between two parts of an item is no part of it, and the item goes on after it.
"""

from __future__ import annotations

import re

from ingest.kinds import SECTION_KINDS, label_kind
from ingest.models import Block, Kind

OWN_KINDS = {Kind.lesson, Kind.recommendation, Kind.finding, Kind.good_practice, Kind.challenge}
_GOES_ON = {Kind.recommendation, Kind.lesson}
_SENTENCE_END = re.compile(r"[.!?;:…][\"'”’)\]]*$")
_MARKED = re.compile(r"^\(?(\d{1,2}|[a-z]|[ivx]{2,4})[.)]\s+\S")  # "1. ...", "(b) ...", "iv) ..."


def _head(text: str, block: Block) -> Kind | None:
    """The kind of the item a block opens (None: it opens none): by its label, or by its list number when the
    section already gives it a kind."""
    if block.fields or block.kind not in OWN_KINDS:
        return None
    labelled = label_kind(text[block.start:block.end])
    if labelled is not None:
        return labelled
    line_start = text.rfind("\n", 0, block.start) + 1
    return block.kind if not text[line_start:block.start].strip() and _MARKED.match(block.text) else None


def _breaks(block: Block) -> bool:
    return bool(block.fields) or block.kind == Kind.table_row


def _runs(blocks: list[Block]) -> list[list[int]]:
    """Indexes of blocks in runs of one section, a table or record standing alone."""
    runs: list[list[int]] = []
    for i, block in enumerate(blocks):
        if block.kind == Kind.footnote:
            continue
        if runs and not _breaks(block) and not _breaks(blocks[runs[-1][-1]]) \
                and blocks[runs[-1][-1]].section == block.section:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def mark_items(text: str, blocks: list[Block]) -> list[Block]:
    """The blocks with their items marked (see the module's rules); `text` is the cleaned text they index."""
    heads = {i: kind for i, b in enumerate(blocks) if (kind := _head(text, b)) is not None}
    runs = _runs(blocks)
    for r, run in enumerate(runs):
        first = next((i for i in run if i in heads), None)
        if first is None:
            if _introduces(blocks, runs, r, heads):
                for i in run:
                    blocks[i].kind = Kind.text
            continue
        for i in run[:run.index(first)]:
            if blocks[i].kind == heads[first]:
                blocks[i].kind = Kind.text  # the section's introduction
        key, kind, goes_on, open_end = "", Kind.text, False, False
        for i in run[run.index(first):]:
            if i in heads:
                key, kind, goes_on = str(blocks[i].start), heads[i], _goes_on(blocks[i], heads[i])
            elif not (key and (goes_on or open_end)):
                key, open_end = "", False
                continue
            blocks[i].item, blocks[i].kind = key, kind
            open_end = not _SENTENCE_END.search(blocks[i].text)  # "Recommendation 18. Continue supporting" | "CPCs ..."
    return blocks


def _goes_on(head: Block, kind: Kind) -> bool:
    """Whether the paragraphs after an item belong to it: for a recommendation or lesson (a statement with its
    explanation and follow-up list) when the innermost heading that names a kind names the item's ("Recommendations",
    "Lessons learned and recommendations"). An item set among a chapter's analysis ("Finding 7. ...", a boxed
    "Recommendation 4" under "Effectiveness") is its own paragraph alone, and so is a finding, good practice or
    challenge: the evidence that follows one runs for pages."""
    if kind not in _GOES_ON:
        return False
    for heading in reversed(head.section):
        named = {k for k, pattern in SECTION_KINDS if pattern.search(heading)}
        if named:
            return kind in named
    return False


def _introduces(blocks: list[Block], runs: list[list[int]], r: int, heads: dict[int, Kind]) -> bool:
    """Whether a run without items is the opening of a typed section whose subsections that follow hold items."""
    run = runs[r]
    section, kinds = blocks[run[0]].section, {blocks[i].kind for i in run} & OWN_KINDS
    if _breaks(blocks[run[0]]) or not kinds:
        return False
    for later in runs[r + 1:]:
        inner = blocks[later[0]].section
        if len(inner) <= len(section) or inner[:len(section)] != section:
            return False
        if any(heads.get(i) in kinds for i in later):
            return True
    return False
