"""What a question asks for, read from its words: the passage kinds it wants, the documents it names,
its language, and what it mentions that the corpus never does (the evidence for refusing)."""

from __future__ import annotations

import re
from collections import Counter

from pydantic import BaseModel, Field

from ingest.lang import ENGLISH_FUNCTION_WORDS, NORWEGIAN, detect_language
from ingest.embed import Embedder
from ingest.keyword_index import KeywordIndex, query_tokens
from ingest.models import Kind, Passage
from ingest.settings import RefusalCutoffs

_WORD = re.compile(r"\w+", re.U)

_HOW = re.compile(
    r"\b(how|should|must|recommend\w*|advice|design|avoid|ensure|what (can|could|should|must)|"
    r"c[oó]mo|deb\w*|recomend\w*|korleis|hvordan|b[oø]r|tilr[aå]\w*|comment|faut)\b",
    re.I,
)
_WHAT_FOUND = re.compile(
    r"\b(find\w*|found|result\w*|happen\w*|achiev\w*|evidence|conclu\w*|assess\w*|hallazg\w*|"
    r"encontr\w*|funn|fann|konklu\w*|résultat\w*|constat\w*)\b",
    re.I,
)
_EXAMPLES = re.compile(
    r"\b(examples?|campaigns?|tools?|good practices?|best practices?|practices?|ejemplos?|campañas?|"
    r"buenas prácticas|eksemp\w*|kampanj\w*|exemples?|campagnes?)\b",
    re.I,
)


_NAME = re.compile(r"\b[A-Z][\w&]*(?:\s+[A-Z][\w&]*)*")
QUERY_LANGUAGES = ["en", "es", "fr", "nn", "no"]


def document_names(passages: list[Passage]) -> dict[str, set[str]]:
    """Names that single out one document in a question: its organisations, countries and proper nouns of its
    title, kept only where they occur in the text of at most half of the documents ("IOM" in a corpus of IOM
    reports or "Mexico" in three Mexican ones name none of them). One pass over every document's words."""
    candidates: dict[str, set[str]] = {}
    texts: dict[str, list[str]] = {}
    for p in passages:
        texts.setdefault(p.doc_id, []).append(p.text)
        if p.doc_id in candidates:
            continue
        names = {part.strip() for part in re.split(r"[/,;()]| and ", p.organisation) if part.strip()}
        names |= {m.group(0) for m in _NAME.finditer(p.title)} | set(p.countries)
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


def named_documents(query: str, doc_names: dict[str, set[str]]) -> set[str]:
    """The documents a question names (by organisation, title term or country)."""
    folded = " " + " ".join(_WORD.findall(query.casefold())) + " "
    return {doc for doc, names in doc_names.items() if any(f" {n} " in folded for n in names)}


def query_language(query: str) -> str:
    """The question's language among those Lessons expects questions in."""
    return detect_language(query, allowed=QUERY_LANGUAGES)


def language_affinity(query_lang: str, passage_lang: str) -> bool:
    """Whether a reader of `query_lang` is served by a passage in `passage_lang` (its own language or English)."""
    if query_lang == "en" or passage_lang in ("en", query_lang):
        return True
    return query_lang in NORWEGIAN and passage_lang in NORWEGIAN


_YEAR = re.compile(r"\b(19|20)\d\d\b")
_CAPITALISED = re.compile(r"(?<![.?!¿¡]\s)(?<!^)\b[A-ZÆØÅÉÁÍÓÚÑ][\w-]+")


class Unknowns(BaseModel):
    """What a question asks about that the corpus never mentions."""

    names: list[str] = Field(default_factory=list)  # proper nouns and years absent from every passage
    words: list[str] = Field(default_factory=list)  # an English question's content words absent from every passage
    weight: float = 0.0  # how much of the question's meaning those words carry (see `unknown_weight`)


def unknown_terms(query: str, *, keyword: KeywordIndex, query_lang: str, embedder: Embedder | None = None) -> Unknowns:
    """Proper nouns, years and content words of the question that no passage contains.

    Years count in any language. Proper nouns count only when the question is in a language the corpus is
    written in (a Spanish "Noruega" may be the corpus' "Norway"); unknown content words only for English.
    With an embedder, their weight in the question's meaning is measured too.
    """
    names = [m.group(0) for m in _YEAR.finditer(query) if not keyword.knows(m.group(0))]
    if query_lang == "en" or query_lang in NORWEGIAN:
        names += [m.group(0) for m in _CAPITALISED.finditer(query.strip()) if not keyword.knows(m.group(0))]
    words: list[str] = []
    if query_lang == "en":
        content = [w for w in _WORD.findall(query) if len(w) > 2 and w.casefold() not in ENGLISH_FUNCTION_WORDS]
        words = [w for w in content if query_tokens(w) and not keyword.knows(w, typos=True)]
    weight = unknown_weight(query, words, embedder=embedder) if words and embedder is not None else 0.0
    return Unknowns(names=list(dict.fromkeys(names)), words=list(dict.fromkeys(words)), weight=weight)


def unknown_weight(query: str, words: list[str], *, embedder: Embedder) -> float:
    """The share of the question's meaning carried by `words`: 1 - cosine(question, question without them).

    A word the corpus never uses may be incidental phrasing ("get", "shoppers" for its "consumers") or the
    very subject asked about ("drones", "blockchain"); the embedding tells which by how far it moves when
    the word is left out.
    """
    drop = {w.casefold() for w in words}
    rest = " ".join(w for w in _WORD.findall(query) if w.casefold() not in drop)
    if not rest:
        return 1.0
    return max(0.0, 1.0 - float(embedder.embed_query(query) @ embedder.embed_query(rest)))


def should_refuse(best: float, unknowns: Unknowns, *, cutoffs: RefusalCutoffs) -> bool:
    """Refuse when the best dense similarity, less a penalty for the meaning carried by unknown words, is below
    the threshold, or when the question names something the corpus never mentions and the match is not strong."""
    if best - cutoffs.unknown_word_penalty * unknowns.weight < cutoffs.threshold:
        return True
    return bool(unknowns.names) and best < cutoffs.threshold_named


def intended_kinds(query: str) -> set[Kind]:
    """The passage kinds a question asks for, from its wording (empty when it does not say)."""
    kinds: set[Kind] = set()
    if _HOW.search(query):
        kinds |= {Kind.recommendation, Kind.lesson}
    if _WHAT_FOUND.search(query):
        kinds |= {Kind.finding, Kind.challenge, Kind.lesson}
    if _EXAMPLES.search(query):
        kinds |= {Kind.good_practice, Kind.lesson}
    return kinds
