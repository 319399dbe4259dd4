"""What a question asks for, read from its words: the passage kinds it wants, the kind of fact it expects (and
whether a sentence holds one), the documents it names and its language (what it mentions that the corpus never
does is `assistant.retrieval.refusal`)."""

from __future__ import annotations

import re

from ingest.countries import country_mentions
from ingest.lang import NORWEGIAN, detect_language
from ingest.matrix import normalise_response
from ingest.models import Kind

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
QUERY_LANGUAGES = ["en", "es", "fr", "nn", "no", "sv"]

# what kind of fact a question asks for, in the languages questions come in (English, Spanish, French, Norwegian,
# Swedish); "where" and "when" only where they open the question, since inside it they join clauses
_QUANTITY = re.compile(
    r"\b(how (many|much|long|often|big|large)|what (share|proportion|percentage|percent|amount|number|budget|score|"
    r"rating)|number of|cu[aá]nt[oa]s?|qu[eé] (porcentaje|proporci[oó]n|parte|puntuaci[oó]n|monto|cantidad|"
    r"presupuesto|n[uú]mero)|combien|quel(le)?s? (montant|proportion|part|pourcentage|budget|dur[ée]e|nombre|score|"
    r"note)|dans quelle proportion|(hvor|kor) (mange|mye|mykje|stor|lenge|ofte)|hur (m[aå]nga|mycket|stor|l[aä]nge|"
    r"ofta))\b",
    re.I,
)
_DURATION = re.compile(
    r"\b(how long|what duration|combien de temps|quelle dur[ée]e|cu[aá]nto tiempo|qu[eé] duraci[oó]n|"
    r"(hvor|kor) lenge|hur l[aä]nge|how many (days|weeks|months|years))\b",
    re.I,
)
_PLACE = re.compile(
    r"^\W*(where|d[oó]nde|o[uù])\b|\b((which|what|in which) (countries|country|regions?|provinces?|cities|operations)|"
    r"(qu[eé]|en qu[eé]) (pa[ií]s(es)?|regi[oó]n(es)?|provincias?)|quel(le)?s? (pays|r[ée]gions?|provinces?)|"
    r"(hvilke|hvilket|kva|vilka|vilket) (land|länder|regionar|regioner))\b",
    re.I,
)
_LANGUAGE = re.compile(
    r"\b((which|what|in which|into which|in what) languages?|(qu[eé]|en qu[eé]) (idiomas?|lenguas?)|"
    r"quel(le)?s? langues?|dans quelles? langues?|(hvilke|hvilket|kva|vilka|vilket) spr[aå]k)\b",
    re.I,
)
# a language's name in the languages of questions and reports: what a "which languages" question asks for
_LANGUAGE_NAME = re.compile(
    r"\b(english|anglais|ingl[eé]s|engelska?|french|fran[cç]ais|franc[eé]s|franska?|spanish|espagnol|espa[nñ]ol|"
    r"spanska?|arabic|arabe|[aá]rabe|arabiska?|portuguese|portugais|portugu[eé]s|portugisiska?|russian|russe|ruso|"
    r"russisk|ryska|chinese|chinois|chino|kinesiska?|swahili|hausa|amharic|amharique|tigrinya|wolof|pidgin|creole|"
    r"cr[ée]ole|criollo|local languages?|langues? locales?|lenguas? locales?)\b",
    re.I,
)
_TIME = re.compile(
    r"^\W*(when|cu[aá]ndo|quand|n[aå]r|n[aä]r)\b|\b((what|which|in which) year|since when|en qu[eé] a[nñ]o|"
    r"(quelle|en quelle) ann[ée]e|(hvilket|kva|vilket) [aå]r)\b",
    re.I,
)


def expected_fact(query: str) -> str | None:
    """The kind of fact a question asks for: "duration" (how long), "quantity" (how many, how much, what share),
    "place" (which countries, where), "time" (when, what year) or "language" (which languages); None for any
    other question."""
    for name, pattern in (("duration", _DURATION), ("quantity", _QUANTITY), ("place", _PLACE), ("time", _TIME),
                          ("language", _LANGUAGE)):
        if pattern.search(query.strip()):
            return name
    return None


_FIGURE = re.compile(r"\d")
YEAR = re.compile(r"\b(19|20)\d\d\b")  # a year as questions and reports write it
_TIME_UNIT = re.compile(  # days, weeks, months, years in the corpus's languages
    r"\b(days?|weeks?|months?|years?|jours?|semaines?|mois|ans|ann[ée]es?|d[ií]as?|semanas?|mes(es)?|a[nñ]os?|"
    r"dag(ar|er)?|veker?|uker?|veckor|m[aå]nad(er|ar)?|m[aå]neder|[aå]r)\b", re.I)


def holds_fact(text: str, fact: str | None) -> bool:
    """Whether a sentence holds the kind of fact a question asks for: a figure ("quantity"), a span of time
    ("duration": a figure or a unit of time, as in "several months"), a country ("place"), a year ("time") or a
    language's name ("language")."""
    if fact == "duration":
        return bool(_FIGURE.search(text) or _TIME_UNIT.search(text))
    if fact == "quantity":
        return bool(_FIGURE.search(text))
    if fact == "place":
        return bool(country_mentions(text))
    if fact == "time":
        return bool(YEAR.search(text))
    if fact == "language":
        return bool(_LANGUAGE_NAME.search(text))
    return False


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


def asked_response(query: str) -> str:
    """The management response a question asks about when it is not a plain acceptance: "partially accepted" ("which
    recommendation did management only partly accept"), "not accepted" ("hvilke anbefalinger avviste ledelsen");
    "" otherwise (most recommendations are accepted, so asking for accepted ones tells little)."""
    response = normalise_response(query)
    return response if response != "accepted" else ""


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


# the stage of an evaluation, as questions and report titles name it, in the languages of questions and reports
_STAGES = {
    "mid-term": re.compile(
        r"\b(?:mid-?term|interim)\s+(?:\w+\s+)?(?:evaluation|review|assessment)s?\b|\b[ée]valuations? (?:\w+ )?"
        r"(?:à )?mi-parcours\b|\brevue à mi-parcours\b|\bevaluaci[oó]n(?:es)? (?:\w+ )?(?:intermedia|de medio "
        r"t[eé]rmino|de mitad de per[ií]odo)\b|\b(?:midtveis|midtvegs|halvtids|mellantids)\w*", re.I),
    "final": re.compile(
        r"\bfinal\s+(?:\w+\s+){0,2}(?:evaluation|review)s?\b|\b[ée]valuations? (?:\w+ ){0,2}finale\b|"
        r"\bevaluaci[oó]n(?:es)? (?:\w+ ){0,2}final\b|\bslutt?evaluering\w*|\bslututvärdering\w*", re.I),
    "ex-post": re.compile(
        r"\bex[- ]post\s+(?:\w+\s+)?(?:evaluation|review)s?\b|\b(?:[ée]valuation|evaluaci[oó]n) ex[- ]post\b", re.I),
    "baseline": re.compile(r"\bbaseline\s+(?:study|survey|assessment)\b|\bétude de (?:base|référence)\b|"
                           r"\b(?:estudio|l[ií]nea) de base\b", re.I),
}


def evaluation_stages(text: str) -> dict[str, str]:
    """The evaluation stages `text` names (mid-term, final, ex-post, baseline), each with its words as written."""
    return {stage: match.group(0) for stage, pattern in _STAGES.items() if (match := pattern.search(text))}
