"""One chat turn: rewrite a follow-up with the conversation, retrieve, answer (LLM or extractive), never fail.

`stream_answer` yields growing answer text for the chat window and then the final Answer; `answer_question`
is the same turn without the partial texts. The LLM path always falls back to the extractive answer, with a
notice, when the model is unavailable, fails, times out or cites nothing valid.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistant.answer.compose import compose_answer
from assistant.answer.llm import LLMFailure, LLMUnavailable, cached_llm, llm_answer, stream_llm_answer
from assistant.answer.quotes import query_terms, stems
from assistant.answer.types import Answer, Role
from ingest.models import Filters
from ingest.settings import Settings

if TYPE_CHECKING:
    from llama_index.core.llms import LLM

    from assistant.retrieval.search import Retrieval, SearchIndex
    from ingest.embed import Embedder

log = logging.getLogger(__name__)

History = Sequence[tuple[str, str]] | Sequence[dict[str, Any]]  # (user, assistant) pairs or chat messages
_CONNECTIVES = re.compile(
    r"^(and|also|but|or|plus|what about|how about|what of|same for|and what about|"  # en
    r"y|pero|también|tambien|qué tal|que tal|y qué|y que|"  # es
    r"og|også|ogso|eller|kva med|hva med|enn)\b",  # nn / no
    re.I,
)
_QUESTION_WORDS = re.compile(r"^(what|how|why|which|who|when|where|is|are|do|does|did|can|should|qué|que|cómo|"
                             r"como|por qué|cuál|kva|korleis|kvifor|hva|hvordan|hvorfor)\b", re.I)
_PRONOUNS = frozenset(
    "it its they them their this that these those there he she his her ello eso esto esa ese ellos ellas su sus "
    "det dei dette den dem deira deres han ho hun".split()
)
_VAGUE = frozenset(stems("tell more detail details explain mean happen happened do did say says about else other "
                         "further example examples give show list"))
FOLLOWUP_NOTICE = "Read as a follow-up: “{query}”."
FALLBACK_NOTICE = "The language model {reason}; showing the extractive answer instead."


def is_followup(question: str) -> bool:
    """Whether a question leans on the previous one: starts with "and"/"what about"/"y"/"og"/"også", is a bare
    fragment of a few words, or uses pronouns without naming a topic of its own."""
    q = " ".join(question.strip().lstrip("¿¡").split())
    if not q:
        return False
    if _CONNECTIVES.match(q):
        return True
    words = re.findall(r"\w+", q.lower())
    if len(words) <= 3 and not _QUESTION_WORDS.match(q):
        return True
    topic = [t for t, weight in query_terms(q).items() if weight == 1.0 and t not in _VAGUE]
    return any(w in _PRONOUNS for w in words) and not topic


def _user_turns(history: History | None) -> list[str]:
    """User questions of a history given as (user, assistant) pairs or as chat messages."""
    turns: list[str] = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                turns.append(item["content"])
        elif item and item[0]:
            turns.append(str(item[0]))
    return turns


def rewrite_followup(question: str, history: History | None) -> str:
    """A self-contained query: a follow-up is joined to the previous user question (itself rewritten first);
    a self-contained question, or one with no history, is returned unchanged. Deterministic, no LLM."""
    turns = _user_turns(history)
    if not turns or not is_followup(question):
        return question.strip()
    previous = turns[-1]
    base = rewrite_followup(previous, [(q, "") for q in turns[:-1]])
    rest = " ".join(question.strip().lstrip("¿¡").split()).rstrip("?!. ")
    if len(rest) > 1 and rest[0].isupper() and rest[1].islower():
        rest = rest[0].lower() + rest[1:]
    return f"{base.rstrip('?!. ')}, {rest}?"


def corpus_coverage(index: SearchIndex) -> list[str]:
    """"Title (organisation, year)" for every document in the index, to say what the corpus does cover."""
    try:
        records = index.store.manifest().values()
    except Exception:  # coverage only decorates a refusal; never let it break one
        log.exception("could not list the documents in the index")
        return []
    lines = []
    for record in records:
        meta = record.meta
        origin = ", ".join(str(x) for x in (meta.organisation, meta.year) if x)
        lines.append(f"{meta.title} ({origin})" if origin else meta.title)
    return sorted(lines)


def resolve_llm(llm: LLM | None, settings: Settings) -> tuple[LLM | None, str]:
    """The LLM to use (the one passed, else the one `settings.llm` names) and a notice when it cannot be built."""
    if llm is not None or not settings.llm:
        return llm, ""
    try:
        return cached_llm(settings.llm, settings.answer.llm_timeout_s), ""
    except LLMUnavailable as exc:
        return None, FALLBACK_NOTICE.format(reason=f"is unavailable ({exc})")


def _retrieve(query: str, *, index: SearchIndex, settings: Settings, filters: Filters | None) -> Retrieval:
    from assistant.retrieval.search import retrieve  # imported here: the search stack loads models and the store

    return retrieve(query, index=index, settings=settings, filters=filters)


def _retrieve_turn(
    question: str, query: str, *, index: SearchIndex, settings: Settings, filters: Filters | None,
    retriever: Callable[..., Retrieval] | None,
) -> Retrieval:
    """Evidence for one turn. A follow-up is searched both as rewritten and as asked, and the two rankings fused,
    so its new topic ("and what about shelters?") is not drowned by the words of the previous question."""
    from assistant.retrieval.fusion import fuse

    search = retriever or _retrieve
    combined = search(query, index=index, settings=settings, filters=filters)
    if query == question.strip():
        return combined
    own = search(question, index=index, settings=settings, filters=filters)
    if combined.refused and own.refused:
        return combined
    hits = fuse({"rewritten": combined.hits, "asked": own.hits}, weights={"rewritten": 1.0, "asked": 1.0})
    return combined.model_copy(update={"hits": hits[: len(combined.hits) or settings.search.top_k], "refused": False})


@dataclass
class _Turn:
    """What both answer paths need: the query actually searched, its evidence, and the LLM to use."""

    query: str
    retrieval: Retrieval
    read_as: str
    coverage: list[str] | None
    model: LLM | None
    llm_notice: str

    @property
    def use_llm(self) -> bool:
        return self.model is not None and not self.retrieval.refused and bool(self.retrieval.hits)


def _prepare(
    question: str, *, index: SearchIndex, settings: Settings, history: History | None, filters: Filters | None,
    llm: LLM | None, retriever: Callable[..., Retrieval] | None,
) -> _Turn:
    query = rewrite_followup(question, history)
    retrieval = _retrieve_turn(question, query, index=index, settings=settings, filters=filters, retriever=retriever)
    coverage = corpus_coverage(index) if retrieval.refused or not retrieval.hits else None
    model, llm_notice = resolve_llm(llm, settings)
    read_as = FOLLOWUP_NOTICE.format(query=query) if query != question.strip() else ""
    return _Turn(query, retrieval, read_as, coverage, model, llm_notice)


def _final(answer: Answer, question: str, turn: _Turn, llm_notice: str) -> Answer:
    """The answer as returned to the user: their own question, and every notice that applies."""
    notice = " ".join(n for n in (turn.read_as, llm_notice, answer.notice) if n)
    return answer.model_copy(update={"question": question, "notice": notice})


def quote_embedder(index: SearchIndex, settings: Settings) -> Embedder | None:
    """The multilingual embedder that quotes passages in another language, when enabled and loaded."""
    return index.embedders.get("e5") if settings.answer.cross_language_quotes else None


def stream_answer(
    question: str, *, index: SearchIndex, settings: Settings, history: History | None = None,
    filters: Filters | None = None, role: Role | None = None, llm: LLM | None = None,
    retriever: Callable[..., Retrieval] | None = None, partial: bool = True,
) -> Iterator[str | Answer]:
    """A cited answer to one chat turn: follow-ups rewritten with `history`, the LLM path when configured
    (citation-checked, extractive fallback with a notice), the extractive answer otherwise.

    With `partial`, the answer text as it grows (for the chat window: the LLM's checked sentences, or the
    extractive answer a paragraph at a time) comes first; the final Answer always comes last.
    `retriever` replaces assistant.retrieval.search.retrieve (same arguments); for tests and evaluations.
    """
    turn = _prepare(question, index=index, settings=settings, history=history, filters=filters, llm=llm,
                    retriever=retriever)
    notice = turn.llm_notice
    if turn.use_llm:
        try:
            generate = stream_llm_answer if partial else llm_answer  # growing checked text, or the answer alone
            items = generate(turn.query, turn.retrieval, llm=turn.model, settings=settings, role=role)
            for item in items if partial else [items]:
                if isinstance(item, Answer):
                    yield _final(item, question, turn, notice)
                    return
                yield item
        except LLMFailure as exc:
            log.warning("LLM answer failed, falling back to the extractive answer: %s", exc)
            notice = FALLBACK_NOTICE.format(reason=str(exc))
    answer = compose_answer(turn.query, turn.retrieval, role=role, settings=settings, coverage=turn.coverage,
                            embedder=quote_embedder(index, settings))
    lines = answer.answer.split("\n")
    for i in range(1, len(lines) if partial else 0):
        if lines[i - 1].strip() and not lines[i].strip():  # one paragraph (heading and its quotes) at a time
            yield "\n".join(lines[:i])
    yield _final(answer, question, turn, notice)


def answer_question(question: str, **options: Any) -> Answer:
    """The final Answer of `stream_answer` (same options), without the partial texts."""
    *_, answer = stream_answer(question, partial=False, **options)
    return answer
