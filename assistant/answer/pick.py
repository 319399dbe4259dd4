"""The right sentence of each retrieved passage: the one or two that answer the question.

Each candidate sentence is scored by word overlap with the question (`quotes.lexical_scores`) plus its closeness
in meaning to the question under the multilingual embedder the index already uses (e5), all the sentences of one
answer embedded in one batch. A question that asks what to do quotes a lesson's recommendation field.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from assistant.answer.quotes import (Quote, finish_quote, lexical_scores, query_terms, quote_candidates, stems,
                                     term_shares)
from assistant.answer.trim import word_count
from assistant.retrieval.question import asked_response, expected_fact, holds_fact
from ingest.embed import Embedder
from ingest.models import Passage
from ingest.settings import AnswerSettings

ADVICE = re.compile(
    r"\b(should|what (?:to|can|could|must) (?:we )?do|recommend\w*|advi[cs]e\w*|"
    r"deber[ií]\w*|qu[eé] hacer|recomiend\w*|recomend\w*|devr\w*|faut[- ]il|que faire|recommand\w*|"
    r"b[oøö]r|tilr[aå]\w*|anbefal\w*|rekommend\w*|"
    # "how do we ...": a designer asking what to do
    r"how (?:can|could|do|should|might|would) (?:we|i|you|one|a project|projects|a programme)|how to|"
    r"c[oó]mo (?:podemos|puedo|podr[ií]amos|se puede|hacer|lograr)|comment (?:faire|pouvons|peut-on|pourrions)|"
    r"(?:hvordan|korleis|hur) (?:kan|skal|ska) (?:vi|me|man|ein|en))\b",
    re.I,
)


RESPONSE = re.compile(
    r"\b(respon\w*|answer(?:ed)?|repl(?:y|ied)|react(?:ed|ion)?|r[ée]pon\w*|respuesta|respondi\w*|contest\w*|"
    r"svar\w*|tilsvar\w*)\b",
    re.I,
)


def clause_rater(terms: dict[str, float], *, fact: str | None, settings: AnswerSettings,
                 embedder: Embedder | None = None, asked: np.ndarray | None = None) -> Callable[[list[str]], list[float]]:
    """How well each run of a long sentence's clauses answers, on the sentences' scale: the share of question
    terms it holds, the kind of fact asked for, and (with the embedder) its closeness in meaning to the question."""
    weights = settings.quote_weights

    def rate(runs: list[str]) -> list[float]:
        values = np.array(term_shares(terms, runs))
        if fact:
            values += weights.expected_fact * np.array([holds_fact(run, fact) for run in runs])
        if embedder is not None and asked is not None:
            sims = embedder.embed_passages(runs) @ asked
            values += settings.semantic_weight * (sims - sims.max()) / settings.semantic_spread
        return values.tolist()

    return rate


def asks_for_response(question: str) -> bool:
    """Whether the question asks what management answered ("What did management respond to ...", "¿Qué
    respondió ...", "Korleis svarte leiinga ...", "Which recommendations did management reject, and why?")."""
    return bool(RESPONSE.search(question) or asked_response(question))


def asks_what_to_do(question: str) -> bool:
    """Whether the question asks for advice ("what should we do", "¿qué deberíamos...", "hva bør vi ...")."""
    return bool(ADVICE.search(question))


def question_names(question: str) -> frozenset[str]:
    """Stems of the names in a question: its capitalised words after the first ("UNODC", "Mexico", "l'OIM")."""
    words = re.findall(r"\w+", question)
    return frozenset(stems(" ".join(w for i, w in enumerate(words) if w[:1].isupper() and (i > 0 or w.isupper()))))


def locator_stems(passage: Passage) -> frozenset[str]:
    """Stems of the words that name the passage's document: its title, organisation and countries."""
    return frozenset(stems(" ".join([passage.title, passage.organisation, *passage.countries])))


def without_locators(question: str, locators: frozenset[str]) -> str:
    """The question with the words that only say which report it is about taken out ("What did the Mexico
    evaluation conclude about partnerships?" -> "What did the evaluation conclude about partnerships?"), so the
    sentence chosen answers what is asked; the question itself when little else would be left."""
    kept = [w for w in question.split() if not (set(stems(w)) & locators)]
    return " ".join(kept) if len(stems(" ".join(kept))) >= 2 and len(kept) < len(question.split()) else question


def _field_span(text: str, usable: list[tuple[int, int]], regions: list[tuple[str, int, int, float]],
                total: np.ndarray, *prefixes: str) -> int | None:
    """The best-scoring candidate sentence inside a field whose name starts with one of `prefixes` (tried in
    order): a recommendation's second sentence may be the one that answers ("... within 3 to 6 months"). A field
    holding only a verdict of a few words ("accept (Time 1)") or a run-on in lower case passes to the next prefix."""
    for prefix in prefixes:
        for name, a, z, _ in regions:
            if name.lower().startswith(prefix):
                inside = [i for i, (start, end) in enumerate(usable)
                          if a <= start < z and word_count(text[start:end]) > 3 and not text[start].islower()]
                if inside:
                    return max(inside, key=lambda i: total[i])
    return None


def with_neighbour(text: str, usable: list[tuple[int, int]], total: np.ndarray, i: int, *, margin: float,
                   max_words: int) -> tuple[int, int] | None:
    """The span of sentence `i` joined with the adjacent sentence that scores within `margin` of it (the better of
    the two neighbours), when nothing but space separates them and the pair stays within `max_words`; else None."""
    best: tuple[float, tuple[int, int]] | None = None
    for j in (i - 1, i + 1):
        if not 0 <= j < len(usable) or total[j] < total[i] - margin:
            continue
        if j < i and text[usable[j][0]].islower():  # a quote does not open on a run-on ("accept (Time 1)")
            continue
        (a, _), (_, z) = sorted((usable[i], usable[j]))
        gap = text[min(usable[i][1], usable[j][1]):max(usable[i][0], usable[j][0])]
        if gap.strip() or len(text[a:z].split()) > max_words:
            continue
        if best is None or total[j] > best[0]:
            best = (float(total[j]), (a, z))
    return best[1] if best else None


def pick_quotes(question: str, passages: list[Passage], *, settings: AnswerSettings,
                embedder: Embedder | None = None) -> list[Quote]:
    """The quote of each passage (same order): a verbatim span, at most `settings.max_quote_words` words."""
    weights, max_words = settings.quote_weights, settings.max_quote_words
    terms = query_terms(question, weights=weights)
    advice, response = asks_what_to_do(question), asks_for_response(question)
    fact = expected_fact(question)
    names = question_names(question)
    locators = [locator_stems(p) for p in passages]
    prepared = [(p, *quote_candidates(p, weights)) for p in passages]
    sims: list[np.ndarray | None] = [None] * len(passages)
    vectors_asked: list[np.ndarray | None] = [None] * len(passages)  # the question vector each passage is read with
    if embedder is not None and settings.semantic_quotes:
        sentences = [p.text[s:e] for p, usable, _ in prepared for s, e in usable]
        if sentences:
            vectors = embedder.embed_passages(sentences)
            asked = [without_locators(question, names & own) if weights.locator_word < 1 else question
                     for own in locators]
            queries = {q: embedder.embed_query(q) for q in {question, *asked}}
            # the question as asked and without the report's names (capitalised, so a plain question costs no extra
            # embedding) count alike: the name may also be its subject
            queries = {q: (v + queries[question]) / 2 for q, v in queries.items()}
            at = 0
            for n, (_, usable, _) in enumerate(prepared):
                sims[n], at = vectors[at : at + len(usable)] @ queries[asked[n]], at + len(usable)
                vectors_asked[n] = queries[asked[n]]
    quotes = []
    for (p, usable, regions), sim, vector, own in zip(prepared, sims, vectors_asked, locators):
        if not usable:
            quotes.append(Quote(text=p.text, start=0, end=len(p.text), truncated=False, score=0.0))
            continue
        own_terms = {t: w * (weights.locator_word if t in own else 1.0) for t, w in terms.items()}
        scored = lexical_scores(own_terms, p, usable, regions, weights)
        total = np.array([s for s, _ in scored])
        if fact:
            total = total + weights.expected_fact * np.array([holds_fact(p.text[a:z], fact) for a, z in usable])
        if sim is not None and len(sim):
            total = total + settings.semantic_weight * (sim - sim.max()) / settings.semantic_spread
        chosen = _field_span(p.text, usable, regions, total, "response_text", "actions") if response else None
        if chosen is None and advice:
            chosen = _field_span(p.text, usable, regions, total, "recommend")
        i = int(np.argmax(total)) if chosen is None else chosen
        pair = with_neighbour(p.text, usable, total, i, margin=settings.second_sentence_margin, max_words=max_words)
        if pair is not None:  # the sentence or two that answer: one contiguous span of the passage
            usable, i = [*usable[:i], pair, *usable[i + 1:]], i
        rate = clause_rater(own_terms, fact=fact, settings=settings, embedder=embedder, asked=vector)
        quotes.append(finish_quote(p, usable, i, max_words=max_words, score=float(total[i]), field=scored[i][1],
                                   rate=rate, margin=weights.later_clause_margin))
    return quotes
