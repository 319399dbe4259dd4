"""Turn structural blocks into citable passages of a useful size.

Rules, in order of precedence:
- structure beats size: a lesson, a table row and a list item that is a recommendation, finding, lesson,
  good practice or challenge is a passage of its own however short (split at sentences only when over max_words);
- an item (`ingest.items`: a labelled or numbered recommendation, lesson, ... with what belongs to it) is one passage
  up to `item_max_words`, whatever max_words says; beyond it, it splits at sentences like any block, and every
  passage of the item after its first carries `fields["continues"]` = the id of that first passage (so an item
  is counted once: recommendation passages without "continues"), as does a part set apart by a footnote;
- paragraphs (and plain list items) of the same section and kind that follow each other directly in the cleaned
  text merge up to target_words (a group still under min_words may grow to max_words);
- a block over max_words splits at sentence boundaries, repeating `overlap_sentences` sentences; a passage is
  never cut inside a sentence (a single "sentence" over 2 x max_words, e.g. an unpunctuated list, splits at lines,
  and a line that is still too long splits between words);
- furniture (letterhead, addresses, closings, page numbers) never forms a passage.

Relation between `Passage.text` and `start`/`end` (offsets into the cleaned `Document.text`):
- text-like passages: `text == normalise(doc.text[start:end])`, i.e. exactly the cleaned span with whitespace
  collapsed (list markers "- " between merged items included); every sentence of it is therefore in the document;
- lesson passages: `text` is rendered "Lesson 2. Brief description: ... Recommendation: ..." and every value of
  `fields` occurs verbatim in `normalise(doc.text[start:end])`;
- table_row passages: `text` is "Column: value | Column: value" and every value of `fields` occurs verbatim in
  `normalise(doc.text[start:end])`, except a first-column value filled down from a cell that spans several rows
  (it is written once, in an earlier row of the same table);
- recommendation passages of a management-response matrix (they have `fields`): `text` is "Label: value | ..." with
  the document's own labels, and every value of `fields` is a run of the cleaned text (or several, joined by a space)
  within `start`:`end`, except `response` (normalised: accepted / partially accepted / not accepted) and `number`.
"""

from __future__ import annotations

import re

from ingest.clean import is_boilerplate
from ingest.kinds import ITEM_LABEL_KINDS
from ingest.lang import detect_language, fold, split_sentences
from ingest.models import Block, Document, Kind, Passage
from ingest.settings import IngestSettings
from ingest.structure import is_list_item, normalise

_OWN_PASSAGE = {Kind.lesson, Kind.recommendation, Kind.finding, Kind.good_practice, Kind.challenge}


def _words(text: str) -> int:
    return len(text.split())


def _mergeable(doc: Document, block: Block) -> bool:
    if block.kind == Kind.table_row or block.fields or block.item:
        return False
    if block.kind in _OWN_PASSAGE and is_list_item(doc.text, block):
        # a bare phrase in a list of findings ("Knowledge transfers") is not a finding on its own
        return block.kind in {Kind.finding, Kind.challenge} and _words(block.text) < 8
    return True


def _contiguous(doc: Document, left: Block, right: Block) -> bool:
    """Nothing but whitespace, list markers or stray short lines ("Yes", "No") lies between two blocks."""
    between = doc.text[left.end:right.start]
    return all(len(line.split()) <= 3 for line in between.split("\n")) and "#" not in between


def _groups(doc: Document, blocks: list[Block], settings: IngestSettings) -> list[list[Block]]:
    groups: list[list[Block]] = []
    for block in blocks:
        last = groups[-1] if groups else None
        if block.item:  # an item's parts stay together, whatever their size; nothing else joins them
            if last and last[0].item == block.item and _contiguous(doc, last[-1], block):
                last.append(block)
            else:
                groups.append([block])
            continue
        opens_item = any(pattern.match(block.text) for _, pattern in ITEM_LABEL_KINDS)  # "Recommendation 6: ..."
        if last and not opens_item and _mergeable(doc, block) and all(_mergeable(doc, b) for b in last) \
                and last[-1].section == block.section and _contiguous(doc, last[-1], block):
            kinds = {b.kind for b in last + [block]} - {Kind.text}
            current = _words(doc.text[last[0].start:last[-1].end])
            size = _words(doc.text[last[0].start:block.end])
            limit = settings.target_words if current >= settings.min_words else settings.max_words
            if len(kinds) <= 1 and size <= limit:
                last.append(block)
                continue
        groups.append([block])
    return groups


def _word_chunks(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """Spans of at most `size` words over text[start:end], cut between words (last resort, no sentences)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    return [(start + words[k][0], start + words[min(k + size, len(words)) - 1][1]) for k in range(0, len(words), size)]


def _windows(doc: Document, start: int, end: int, settings: IngestSettings) -> list[tuple[int, int]]:
    """Sentence-aligned windows of about target_words over doc.text[start:end], overlapping a little."""
    sentences = []
    for s, e in split_sentences(doc.text, start, end):
        if _words(doc.text[s:e]) > 2 * settings.max_words:  # an unpunctuated run: fall back to lines, then words
            offset = s
            for line in doc.text[s:e].split("\n"):
                if line.strip():
                    sentences.extend(_word_chunks(doc.text, offset, offset + len(line), settings.target_words))
                offset += len(line) + 1
        else:
            sentences.append((s, e))
    counts = [_words(doc.text[s:e]) for s, e in sentences]
    suffix = [0] * (len(counts) + 1)
    for k in range(len(counts) - 1, -1, -1):
        suffix[k] = suffix[k + 1] + counts[k]
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j, size = i, 0
        while j < len(sentences) and (j == i or size + counts[j] <= settings.target_words):
            size += counts[j]
            j += 1
        if 0 < suffix[j] < settings.min_words and size + suffix[j] <= settings.max_words:
            j = len(sentences)  # do not leave a runt behind
        windows.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        i = max(j - settings.overlap_sentences, i + 1)
    return windows


def _language(doc: Document, text: str) -> str:
    languages = doc.meta.languages or ["en"]
    if len(languages) == 1 or _words(text) < 4:
        return languages[0]
    return detect_language(text, allowed=languages)


def without_title(section: list[str], title: str, *, share: float = 0.7) -> list[str]:
    """A section path without a first heading that restates the document's title (a report's title set as its
    largest heading heads every section: "NIGERIA: STRENGTHENING ASSISTANCE ... > EFFECTIVENESS"); the citation
    names the title already. Kept when it is the only heading or has fewer than three words; `share` of its words
    must be the title's."""
    if len(section) < 2:
        return section
    words, titled = _letter_words(section[0]), _letter_words(title)
    return section[1:] if len(words) >= 3 and len(words & titled) >= share * len(words) else section


def _letter_words(text: str) -> set[str]:
    """Accent-folded, lower-case words of three letters or more."""
    return set(re.findall(r"[^\W\d_]{3,}", fold(text)))


def make_passages(doc: Document, blocks: list[Block], *, settings: IngestSettings) -> list[Passage]:
    """Passages of a cleaned document from its blocks, with metadata, offsets, page and per-passage language."""
    pieces: list[tuple[Block, Kind, int, int, str]] = []  # (first block, kind, start, end, text)
    item_size = settings.model_copy(update={"target_words": settings.item_max_words,
                                            "max_words": settings.item_max_words})
    for group in _groups(doc, blocks, settings):
        first, last = group[0], group[-1]
        kind = next((b.kind for b in group if b.kind != Kind.text), Kind.text)
        if first.kind in {Kind.lesson, Kind.table_row, Kind.recommendation} and first.fields:
            pieces.append((first, first.kind, first.start, first.end, first.text))
            continue
        size = item_size if first.item else settings
        total = normalise(doc.text[first.start:last.end])
        spans = [(first.start, last.end)] if _words(total) <= size.max_words else \
            _windows(doc, first.start, last.end, size)
        for s, e in spans:
            pieces.append((first, kind, s, e, normalise(doc.text[s:e])))
    passages: list[Passage] = []
    heads: dict[str, str] = {}  # item key -> id of the passage that opens it
    for block, kind, start, end, text in pieces:
        if not text or is_boilerplate(text) or (kind == Kind.text and _words(text) < 3):
            continue
        fields = dict(block.fields)
        if block.item in heads:
            fields["continues"] = heads[block.item]  # the same item, beyond item_max_words or past a footnote
        passage_id = Passage.make_id(doc.doc_id, len(passages), text)
        if block.item:
            heads.setdefault(block.item, passage_id)
        passages.append(Passage(
            id=passage_id, doc_id=doc.doc_id, title=doc.meta.title,
            organisation=doc.meta.organisation, year=doc.meta.year, countries=list(doc.meta.countries),
            language=_language(doc, text), doc_type=doc.meta.doc_type.value, evaluation=doc.meta.evaluation,
            section=" > ".join(without_title(block.section, doc.meta.title)),
            kind=kind, page=doc.page_at(start), text=text, start=start, end=end, fields=fields))
    return passages
