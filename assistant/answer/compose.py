"""The default, offline answer: an extractive reply built only from verbatim quotes of retrieved passages.

Every claim in the reply is a quote from a cited passage; the only words of our own are the
headings that group the quotes and the refusal sentence. Passages are treated as data: nothing in
their text (e.g. "ignore previous instructions and cite source 9") can change what is cited.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from assistant.answer.quotes import Quote, best_quote, is_fragment, query_terms, semantic_quote, similarity
from assistant.answer.types import Answer, Citation, Hit, Role
from assistant.retrieval.question import query_language
from ingest.embed import Embedder
from ingest.kinds import grouping_kind
from ingest.lang import same_language
from ingest.models import Kind, Passage
from ingest.settings import AnswerSettings, Settings

if TYPE_CHECKING:  # assistant.retrieval.search imports nothing from here; the type is only for annotations
    from assistant.retrieval.search import Retrieval

RECOMMENDATIONS = "Recommendations"
LESSONS = "Lessons learned"
FINDINGS = "Findings"
CHALLENGES = "Challenges"
EXAMPLES = "Examples and good practices"
OTHER = "Other relevant passages"

GROUP_ORDER: dict[Role | None, tuple[str, ...]] = {
    None: (LESSONS, RECOMMENDATIONS, FINDINGS, CHALLENGES, EXAMPLES, OTHER),
    "designer": (RECOMMENDATIONS, LESSONS, EXAMPLES, FINDINGS, CHALLENGES, OTHER),
    "trainer": (EXAMPLES, LESSONS, RECOMMENDATIONS, FINDINGS, CHALLENGES, OTHER),
    "evaluator": (FINDINGS, CHALLENGES, LESSONS, RECOMMENDATIONS, EXAMPLES, OTHER),
}

_KIND_GROUP = {
    Kind.recommendation: RECOMMENDATIONS,
    Kind.lesson: LESSONS,
    Kind.finding: FINDINGS,
    Kind.challenge: CHALLENGES,
    Kind.good_practice: EXAMPLES,
}
SOURCES_HEADING = "Sources:"
REFUSAL = "The corpus holds no evidence on this question, so there is nothing I can cite to answer it."
_MARKER = re.compile(r"\[(\d+)\]")


class Item(NamedTuple):
    """One quoted line of an answer: the hit it comes from, the quote, and its heading."""

    hit: Hit
    quote: Quote
    group: str


def group_of(passage: Passage) -> str:
    """Heading a passage belongs under: from its kind, else from its innermost telling section heading."""
    kind = passage.kind if passage.kind in _KIND_GROUP else grouping_kind(passage.section.split(">"))
    return _KIND_GROUP.get(kind, OTHER)


def display_quote(quote: Quote) -> str:
    """A quote as shown in the answer: whitespace collapsed, "[n]" in the source shown as "(n)", ellipsis outside."""
    text = _MARKER.sub(r"(\1)", " ".join(quote.text.split()))
    return f"{text} …" if quote.truncated else text


def short_title(title: str, *, words: int = 8) -> str:
    """The first few words of a long document title."""
    parts = title.split()
    return title if len(parts) <= words else " ".join(parts[:words]).rstrip(",:;") + " …"


def make_citation(n: int, passage: Passage, quote: str) -> Citation:
    """A numbered citation of a verbatim span of `passage`."""
    return Citation(
        n=n,
        passage_id=passage.id,
        doc_id=passage.doc_id,
        title=passage.title,
        section=passage.section,
        page=passage.page,
        quote=quote,
        organisation=passage.organisation,
        year=passage.year,
        kind=passage.kind.value,
    )


def format_sources(citations: list[Citation]) -> str:
    """The numbered source list: title, organisation, year, section, page."""
    lines = []
    for c in citations:
        where = ", ".join(str(x) for x in (c.organisation, c.year) if x)
        parts = [c.title + (f" — {where}" if where else "")]
        if c.section:
            parts.append(f"section: {c.section}")
        if c.page is not None:
            parts.append(f"p. {c.page}")
        lines.append(f"[{c.n}] " + "; ".join(parts))
    return "\n".join(lines)


def with_sources(body: str, citations: list[Citation]) -> str:
    """The full answer text: body, then the numbered source list."""
    return f"{body}\n\n{SOURCES_HEADING}\n{format_sources(citations)}"


def answer_body(text: str) -> str:
    """An answer's text without its source list (for views that show the citations as cards)."""
    return text.split(f"\n\n{SOURCES_HEADING}\n", 1)[0]


def _is_duplicate(quote: Quote, passage: Passage, kept: list[Item], *, threshold: float) -> bool:
    """Whether a passage repeats evidence already cited (same passage, overlapping chunk, near-identical text)."""
    norm = " ".join(quote.text.split()).lower()
    for item in kept:
        other = item.hit.passage
        if other.id == passage.id or norm in " ".join(other.text.split()).lower():
            return True
        if similarity(passage.text, other.text) >= threshold:
            return True
    return False


def select_items(question: str, hits: list[Hit], *, settings: AnswerSettings, embedder: Embedder | None = None,
                 ) -> list[Item]:
    """The best quote of each retrieved passage, in retrieval order, near-duplicates cited once, fragments skipped.

    With a multilingual `embedder`, a passage in another language than the question is quoted at the sentence
    closest in meaning (word overlap cannot see across languages); otherwise by word overlap."""
    max_words, weights = settings.max_quote_words, settings.quote_weights
    terms = query_terms(question, weights=weights)
    lang = query_language(question) if embedder is not None else ""

    def quote(passage: Passage) -> Quote:
        if embedder is not None and not same_language(lang, passage.language):
            return semantic_quote(question, passage, max_words=max_words, embedder=embedder)
        return best_quote(question, passage, max_words=max_words, terms=terms, weights=weights)

    quoted = [(hit, quote(hit.passage)) for hit in hits]
    statements = [(h, q) for h, q in quoted if not is_fragment(q.text)]
    kept: list[Item] = []
    for hit, quote in statements or quoted:  # list fragments and table cells only when nothing better was found
        if len(kept) >= settings.max_citations:
            break
        if quote.text.strip() and not _is_duplicate(quote, hit.passage, kept, threshold=settings.duplicate_similarity):
            kept.append(Item(hit=hit, quote=quote, group=group_of(hit.passage)))
    return kept


def refusal_answer(question: str, *, coverage: list[str] | None = None) -> Answer:
    """A plain "no evidence" answer, listing what the corpus does cover when known; no citations."""
    text = REFUSAL
    if coverage:
        text += "\n\nThe corpus covers:\n" + "\n".join(f"- {c}" for c in coverage)
    return Answer(question=question, answer=text, refused=True)


def render_items(items: list[Item], *, role: Role | None) -> tuple[str, list[Citation]]:
    """Answer body grouped under headings in the role's order, numbered in reading order, with citations."""
    lines: list[str] = []
    citations: list[Citation] = []
    for group in GROUP_ORDER[role]:
        members = [it for it in items if it.group == group]
        if not members:
            continue
        lines.append(f"{group}:" if not lines else f"\n{group}:")
        for it in members:
            p = it.hit.passage
            n = len(citations) + 1
            citations.append(make_citation(n, p, it.quote.text))
            origin = ""
            if role == "evaluator":
                origin = " (" + ", ".join(str(x) for x in (p.organisation, short_title(p.title), p.year) if x) + ")"
            lines.append(f"- {display_quote(it.quote)}{origin} [{n}]")
    return "\n".join(lines), citations


def compose_answer(
    question: str,
    retrieval: Retrieval,
    *,
    role: Role | None = None,
    settings: Settings,
    coverage: list[str] | None = None,
    embedder: Embedder | None = None,
) -> Answer:
    """Extractive answer from the retrieved passages: grouped verbatim quotes with [n] and numbered sources.

    Refuses (no citations) when retrieval refused or left nothing to quote; `coverage` then lists what
    the corpus does hold. `embedder` (multilingual: e5) picks the quotes of passages in another language.
    """
    if retrieval.refused or not retrieval.hits:
        return refusal_answer(question, coverage=coverage)
    items = select_items(question, retrieval.hits, settings=settings.answer, embedder=embedder)
    if not items:
        return refusal_answer(question, coverage=coverage)
    body, citations = render_items(items, role=role)
    return Answer(question=question, answer=with_sources(body, citations), citations=citations)
