"""Checking a generated answer against its numbered sources before anyone reads it.

A sentence keeps only the [n] markers that name a source actually given; a sentence left with none,
or one that puts in quotation marks words its sources do not contain, is removed; the sources used are renumbered in order of first use, and each citation quotes the
verbatim passage sentence closest to the answer sentences that cite it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.answer.sources import make_citation
from assistant.answer.quotes import DEFAULT_WEIGHTS, best_quote
from assistant.answer.types import Citation, Hit
from ingest.settings import QuoteWeights

_MARKERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_MARKER_RUN = re.compile(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\](?:\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s*\[[\d,;\s]+\])*(?=\s+[^\sa-z])")
_SOURCES_HEADING = re.compile(
    r"^\s*(?:#+\s*)?\**\s*(?:sources|references|fuentes|referencias|kjelder|kilder|källor)\s*\**\s*:?\s*\**\s*$",
    re.I | re.M,
)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_QUOTED = re.compile(r"[“\"«„‘']([^“”\"«»„‘’']{12,}?)[”\"»“’']")


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[“”«»„\"‘’']", "'", text).lower().split())


def invented_quote(sentence: str, passages: list[str]) -> str | None:
    """The first span the sentence puts in quotation marks (three words or more) that none of the passages it cites
    contains verbatim (case, whitespace and quote marks folded), or None when every quoted span is real."""
    sources = [_fold(p) for p in passages]
    for m in _QUOTED.finditer(sentence):
        span = m.group(1).strip(" .,;:")
        if len(span.split()) >= 3 and not any(_fold(span) in src for src in sources):
            return span
    return None


class NoValidCitation(ValueError):
    """The generated text had no sentence citing a source that was given."""


@dataclass
class Checked:
    """A generated answer after the citation check."""

    text: str
    citations: list[Citation]
    dropped: list[str] = field(default_factory=list)  # sentences removed for lack of a valid source
    unknown: list[int] = field(default_factory=list)  # source numbers cited that were never given


def _numbers(group: str) -> list[int]:
    return [int(n) for n in re.split(r"\s*[,;]\s*", group)]


def _is_heading(line: str) -> bool:
    """A short connective line ("Recommendations:", "## Findings") that makes no claim of its own."""
    bare = line.strip().strip("*#_ ").rstrip(":").strip("*_ ")
    short = 0 < len(bare.split()) <= 6 and not _MARKERS.search(line)
    return short and (line.lstrip().startswith("#") or line.rstrip().endswith(":") or line.strip().startswith("**"))


def strip_sources_section(text: str) -> str:
    """Drop a source list the model appended itself (we build our own from the citations)."""
    m = _SOURCES_HEADING.search(text)
    return text[: m.start()].rstrip() if m else text.strip()


def split_answer_sentences(line: str) -> list[str]:
    """Sentences of one answer line; a marker after the full stop ("... done. [2]") stays with its sentence."""
    line = line.strip()
    parts, start = [], 0
    for m in _SENTENCE_END.finditer(line):
        parts.append(line[start : m.end()])
        start = m.end()
    parts.append(line[start:])
    return [p.strip() for p in parts if p.strip()]


def verify_citations(text: str, hits: list[Hit], *, max_quote_words: int,
                     weights: QuoteWeights = DEFAULT_WEIGHTS) -> Checked:
    """Keep only sentences that cite a given source; renumber by first use; quote each used passage verbatim.

    Raises NoValidCitation when no sentence survives.
    """
    renumber: dict[int, int] = {}
    support: dict[int, list[str]] = {}
    dropped: list[str] = []
    unknown: list[int] = []
    lines: list[str] = []
    for line in strip_sources_section(text).splitlines():
        if not line.strip() or _is_heading(line):
            lines.append(line.rstrip())
            continue
        indent = line[: len(line) - len(line.lstrip())]
        kept = []
        for sentence in split_answer_sentences(line):
            cited = [n for g in _MARKERS.findall(sentence) for n in _numbers(g)]
            valid = [n for n in cited if 1 <= n <= len(hits)]
            unknown += [n for n in cited if n not in valid]
            if not valid or invented_quote(sentence, [hits[n - 1].passage.text for n in valid]) is not None:
                dropped.append(sentence)  # no source given, or words put in a source's mouth
                continue
            claim = _MARKERS.sub(" ", sentence)
            for n in valid:
                renumber.setdefault(n, len(renumber) + 1)
                support.setdefault(n, []).append(claim)

            def swap(m: re.Match[str]) -> str:
                nums = sorted({renumber[int(n)] for n in re.findall(r"\d+", m.group()) if 1 <= int(n) <= len(hits)})
                return " ".join(f"[{n}]" for n in nums)

            kept.append(_SPACE_BEFORE_PUNCT.sub(r"\1", _MARKER_RUN.sub(swap, sentence)).strip())
        if kept:
            lines.append(indent + " ".join(kept))
    if not support:
        raise NoValidCitation("no sentence cites a source that was given")
    body = _drop_empty_headings(lines)
    citations = []
    for old, new in sorted(renumber.items(), key=lambda kv: kv[1]):
        passage = hits[old - 1].passage
        quote = best_quote(" ".join(support[old]), passage, max_words=max_quote_words, weights=weights)
        citations.append(make_citation(new, passage, quote.text))
    return Checked(text=body, citations=citations, dropped=dropped, unknown=sorted(set(unknown)))


def _drop_empty_headings(lines: list[str]) -> str:
    """Join lines, removing headings with nothing under them and runs of blank lines."""
    out: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() and _is_heading(line):
            rest = next((x for x in lines[i + 1 :] if x.strip()), None)
            if rest is None or _is_heading(rest):
                continue
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    return "\n".join(out).strip()
