"""The default, offline answer: an extractive reply built only from verbatim quotes of retrieved passages.

Every claim in the reply is a quote from a cited passage; the only words of our own are the
headings that group the quotes and the refusal sentence. Passages are treated as data: nothing in
their text (e.g. "ignore previous instructions and cite source 9") can change what is cited.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from assistant.answer.frame import Frame, frame_for
from assistant.answer.pick import asks_what_to_do, pick_quotes
from assistant.answer.quotes import Quote, is_fragment, similarity
from assistant.answer.sources import format_sources, make_citation, short_title, with_sources
from assistant.answer.types import Answer, Citation, Hit, Role
from ingest.embed import Embedder
from ingest.kinds import grouping_kind
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
_FRAME_KEY = {RECOMMENDATIONS: "recommendations", LESSONS: "lessons", FINDINGS: "findings", CHALLENGES: "challenges",
              EXAMPLES: "examples", OTHER: "other"}
REFUSAL = "The corpus holds no evidence on this question, so there is nothing I can cite to answer it."
_MARKER = re.compile(r"\[(\d+)\]")


class Item(NamedTuple):
    """One quoted line of an answer: the hit it comes from, the quote, its heading, other documents holding it."""

    hit: Hit
    quote: Quote
    group: str
    also_in: list[str]


def group_of(passage: Passage) -> str:
    """Heading a passage belongs under: from its kind, else from its innermost telling section heading."""
    kind = passage.kind if passage.kind in _KIND_GROUP else grouping_kind(passage.section.split(">"))
    return _KIND_GROUP.get(kind, OTHER)


def display_quote(quote: Quote) -> str:
    """A quote as shown in the answer: whitespace collapsed, "[n]" in the source shown as "(n)", ellipsis outside."""
    text = _MARKER.sub(r"(\1)", " ".join(quote.text.split()))
    text = f"… {text}" if quote.opened else text
    return f"{text} …" if quote.truncated else text


def _duplicate_of(quote: Quote, passage: Passage, kept: list[Item], *, threshold: float) -> Item | None:
    """The kept item a passage repeats (same passage, overlapping chunk, near-identical text), if any."""
    norm = " ".join(quote.text.split()).lower()
    for item in kept:
        other = item.hit.passage
        if other.id == passage.id or norm in " ".join(other.text.split()).lower():
            return item
        if similarity(passage.text, other.text) >= threshold:
            return item
    return None


def select_items(question: str, hits: list[Hit], *, settings: AnswerSettings, embedder: Embedder | None = None,
                 ) -> list[Item]:
    """The best quote of each retrieved passage, in retrieval order, near-duplicates cited once (noting the other
    documents that hold them), fragments skipped. `embedder` (multilingual) helps pick the sentence by meaning."""
    quoted = list(zip(hits, pick_quotes(question, [h.passage for h in hits], settings=settings, embedder=embedder)))
    statements = [(h, q) for h, q in quoted if q.opened or not is_fragment(q.text)]  # opened: a long sentence's clause
    kept: list[Item] = []
    for hit, quote in statements or quoted:  # list fragments and table cells only when nothing better was found
        if not quote.text.strip():
            continue
        twin = _duplicate_of(quote, hit.passage, kept, threshold=settings.duplicate_similarity)
        if twin is not None:
            title = short_title(hit.passage.title)
            if hit.passage.doc_id != twin.hit.passage.doc_id and title not in twin.also_in:
                twin.also_in.append(title)
        elif len(kept) < settings.max_citations + settings.more_evidence:
            kept.append(Item(hit=hit, quote=quote, group=group_of(hit.passage), also_in=[]))
    return kept


def arrange(items: list[Item], *, role: Role | None, settings: AnswerSettings, advice: bool = False,
            spent: int = 0) -> tuple[list[Item], list[Item]]:
    """The lead (1 to `lead_quotes` quotes in rank order, a recommendation first when the question asks what to
    do) and the supporting evidence (the rest with a telling kind, in the role's order), within the budgets
    (`spent`: characters the answer already holds, such as its opening line near the domain's edge)."""
    items = list(items)
    if advice:  # a recommendation nearly as strong as the best hit goes first; a weaker one does not displace it
        first_rec = next((it for it in items[: settings.lead_quotes] if (it.group == RECOMMENDATIONS
                          or it.quote.field.lower().startswith("recommend"))
                          and it.hit.score >= settings.lead_score_ratio * items[0].hit.score), None)
        if first_rec is not None:
            items.remove(first_rec)
            items.insert(0, first_rec)
    lead, used = [items[0]], len(display_quote(items[0].quote))
    cited: set[str] = set()  # documents whose title the source list already gives
    whole = spent + used + _source_chars(items[0], cited, role=role)  # the whole answer: quotes, notes, sources
    top = items[0].hit.score
    for it in items[1 : settings.lead_quotes]:
        size = len(display_quote(it.quote))
        if top <= 0 or it.hit.score < settings.lead_score_ratio * top or used + size > settings.lead_chars:
            break
        lead.append(it)
        used, whole = used + size, whole + size + _source_chars(it, cited, role=role)
    support = []
    for group in GROUP_ORDER[role]:
        for it in items:
            strong = group != OTHER or (top > 0 and it.hit.score >= settings.other_score_ratio * top)
            if it.group == group and strong and it not in lead:
                size = len(display_quote(it.quote)) + _source_chars(it, cited, role=role, count=False)
                if whole + size <= settings.answer_chars:
                    support.append(it)
                    whole += size
                    cited.add(it.hit.passage.doc_id)
    return lead, support


def _source_chars(it: Item, cited: set[str], *, role: Role | None = None, count: bool = True) -> int:
    """What citing an item adds besides its quote: its line's marks, label and notes (an evaluator's report note at
    its first line), its line in the source list (the title when no earlier one gave it); `count` records the
    document."""
    p = it.hit.passage
    first = p.doc_id not in cited
    earlier = [] if first else [make_citation(1, p, "")]
    if count:
        cited.add(p.doc_id)
    note = len(_report_note(p)) + 2 if role == "evaluator" and first else 0
    label = _label(it, Frame("en"))  # about as long in every language
    note += len(label) + 4 if label else 0
    return len(format_sources([*earlier, make_citation(99, p, "")]).splitlines()[-1]) + 12 + note


def _label(it: Item, frame: Frame) -> str:
    """The label before a quoted field, and for a response the number of the recommendation it answers."""
    p = it.hit.passage
    label = frame.field_label(it.quote.field, lesson=p.kind == Kind.lesson)
    if it.quote.field in ("response_text", "actions") and p.fields.get("number"):
        label += f" ({frame.field_label('recommendation').lower()} {p.fields['number']})"
    return label


def _report_note(passage: Passage) -> str:
    """Which report a quote is from, for an evaluator's line: organisation, short title, year."""
    return ", ".join(str(x) for x in (passage.organisation, short_title(passage.title), passage.year) if x)


def _line(it: Item, n: int, *, role: Role | None, frame: Frame, noted: set[str]) -> str:
    p = it.hit.passage
    label = _label(it, frame)
    text = f"{label}: “{display_quote(it.quote)}”" if label else display_quote(it.quote)
    notes = []
    lang = frame.quote_language(it.quote.text, p.language)
    if lang != frame.lang and not (lang in ("no", "nn") and frame.lang in ("no", "nn")):
        notes.append(f"{frame['in_language']} {frame.language_name(lang)}")
    if role == "evaluator" and p.doc_id not in noted:  # the report named at its first quote only
        notes.append(_report_note(p))
        noted.add(p.doc_id)
    if it.also_in:
        notes.append(f"{frame['also_in']}: " + "; ".join(it.also_in))
    return f"- {text}" + (f" ({'; '.join(notes)})" if notes else "") + f" [{n}]"


def render_answer(lead: list[Item], support: list[Item], *, role: Role | None, frame: Frame,
                  ) -> tuple[str, list[Citation]]:
    """The lead's quotes, then the supporting ones under headings in the frame's language, numbered in order."""
    lines: list[str] = []
    citations: list[Citation] = []
    noted: set[str] = set()

    def add(it: Item) -> None:
        citations.append(make_citation(len(citations) + 1, it.hit.passage, it.quote.text))
        lines.append(_line(it, len(citations), role=role, frame=frame, noted=noted))

    for it in lead:
        add(it)
    for group in GROUP_ORDER[role]:
        members = [it for it in support if it.group == group]
        if members:
            lines.append(f"\n{frame[_FRAME_KEY[group]]}:")
            for it in members:
                add(it)
    return "\n".join(lines), citations


def refusal_answer(question: str, *, coverage: list[str] | None = None) -> Answer:
    """A plain "no evidence" answer in the question's language, listing what the corpus does cover; no citations."""
    frame = frame_for(question)
    text = frame["refusal"]
    if coverage:
        text += f"\n\n{frame['covers']}:\n" + "\n".join(f"- {c}" for c in coverage)
    return Answer(question=question, answer=text, refused=True)


def compose_answer(
    question: str,
    retrieval: Retrieval,
    *,
    role: Role | None = None,
    settings: Settings,
    coverage: list[str] | None = None,
    embedder: Embedder | None = None,
) -> Answer:
    """Extractive answer from the retrieved passages: a lead of the quotes that answer the question, then the
    supporting evidence by kind in the role's order, all verbatim with [n] and numbered sources, framed in the
    question's language.

    Refuses (no citations) when retrieval refused or left nothing to quote; `coverage` then lists what
    the corpus does hold. `embedder` (multilingual: e5) helps pick the sentence that answers.
    """
    items = [] if retrieval.refused else select_items(question, retrieval.hits, settings=settings.answer,
                                                      embedder=embedder)
    if not items:
        return refusal_answer(question, coverage=coverage)
    frame = frame_for(question)
    edge = frame.edge(retrieval.unknowns)  # what the evidence is not about, said before it
    lead, support = arrange(items[: settings.answer.max_citations], role=role, settings=settings.answer,
                            advice=asks_what_to_do(question), spent=len(edge))
    body, citations = render_answer(lead, support, role=role, frame=frame)
    body = edge + body
    rest = [it for it in items if it not in lead and it not in support]
    more = [make_citation(len(citations) + i, it.hit.passage, it.quote.text) for i, it in enumerate(rest, 1)]
    return Answer(question=question, answer=with_sources(body, citations, frame), citations=citations, more=more,
                  absent=retrieval.unknowns.said_absent)
