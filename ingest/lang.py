"""Everything that depends on a text's language, in one place: detection, sentence splitting, per-language
Snowball stemmers and stopwords, accent folding, and the word lists the rules read.

Both sides use it: ingestion (catalog guesses, passage splitting, the keyword index) and the assistant
(question reading, quotes, follow-ups). Languages: English, French, Spanish, Swedish, Norwegian (Nynorsk "nn",
Bokmål "no"/"nb"); anything else falls back to English rules.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache

import Stemmer
from bm25s.stopwords import (
    STOPWORDS_EN,
    STOPWORDS_FRENCH,
    STOPWORDS_NORWEGIAN,
    STOPWORDS_SPANISH,
    STOPWORDS_SWEDISH,
)

NORWEGIAN = frozenset({"nn", "no", "nb"})
SNOWBALL = {"en": "english", "es": "spanish", "fr": "french", "sv": "swedish", "nn": "norwegian", "no": "norwegian",
            "nb": "norwegian"}  # language code -> Snowball stemmer; any other code is stemmed as English
_STOPWORDS = {"english": STOPWORDS_EN, "spanish": STOPWORDS_SPANISH, "french": STOPWORDS_FRENCH,
              "swedish": STOPWORDS_SWEDISH, "norwegian": STOPWORDS_NORWEGIAN}
_LOCAL = threading.local()

# --- detection --------------------------------------------------------------------------------------
_NYNORSK = re.compile(
    r"\b(ikkje|eit|ein|dei|frå|korleis|kva|berre|vere|blir|òg|hovud\w*|tilråd\w*|dokumentasjonen|medan|verknad\w*|"
    r"noko|mykje|sjølv|heller|gjer|gjere|saman\w*|vidare|fleire|fleir\w*|meir|utanriks\w*)\b",
    re.IGNORECASE,
)
_BOKMAAL = re.compile(r"\b(ikke|et|en|de|fra|hvordan|hva|bare|være|blir|også|hoved\w*|anbefal\w*|mye|selv|gjøre|mer|flere)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_scores(text: str) -> dict[str, float]:
    """Probability of each language code for a text (py3langid, Norwegian variants resolved to nn/no)."""
    ranked = dict(_identifier().rank(text))
    norwegian = ranked.get("nn", 0.0) + ranked.get("no", 0.0)
    if norwegian:
        code = _norwegian_variant(text, ranked)
        ranked["nn" if code == "nn" else "no"] = norwegian
        ranked["no" if code == "nn" else "nn"] = 0.0
    return ranked


def _norwegian_variant(text: str, ranked: dict[str, float]) -> str:
    nynorsk, bokmaal = len(_NYNORSK.findall(text)), len(_BOKMAAL.findall(text))
    if nynorsk != bokmaal:
        return "nn" if nynorsk > bokmaal else "no"
    return "nn" if ranked.get("nn", 0.0) >= ranked.get("no", 0.0) else "no"


def detect_language(text: str, *, allowed: list[str] | None = None) -> str:
    """ISO 639-1 code of the text's language ("nn" for Nynorsk, "no" for other Norwegian), optionally among `allowed`."""
    sample = text[:20000]
    if not re.search(r"[^\W\d_]{2,}", sample):
        return (allowed or ["en"])[0]
    scores = language_scores(sample)
    candidates = allowed or list(scores)
    return max(candidates, key=lambda code: scores.get(code, 0.0))


def same_language(query_lang: str, passage_lang: str) -> bool:
    """Whether a passage is in the question's language (Nynorsk and Bokmål count as one)."""
    return passage_lang == query_lang or (query_lang in NORWEGIAN and passage_lang in NORWEGIAN)


# --- sentences --------------------------------------------------------------------------------------
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "no", "nos", "p", "pp", "e.g", "i.e", "eg", "egs", "ie", "etc", "vs", "cf",
    "approx", "incl", "inc", "ltd", "co", "dep", "fig", "vol", "art", "para", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "ass", "saksbeh", "jf", "bl.a", "dvs", "ca", "nr", "kr", "u.s", "u.k",
    "op", "al"})  # a period after these (any language of the corpus) does not end a sentence
_BOUNDARY = re.compile(r"[.!?…][\"'”’)\]]*\s+(?=[\"'“‘(\[¿¡]?[A-ZÆØÅÀ-Ý0-9])|\n(?=- )")
_SENTENCE_END = re.compile(r"[.?!:](?=\s|$)")
_BRACKET_REACH = 80  # characters after a full stop inside brackets where their closing one must come


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans (start, end offsets into `text`) within text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, begin = [], start
    for match in _BOUNDARY.finditer(text, start, end):
        before = text[begin:match.start() + 1]
        token = re.findall(r"([\w.]+)[.!?…]$", before)
        word = token[0].lower().rstrip(".") if token else ""
        if match.group(0)[0] == "." and (word in ABBREVIATIONS or re.fullmatch(r"[a-zæøå]", word)
                                         or (len(word) == 1 and word.isalpha())):
            continue
        if _inside_brackets(before, text[match.end():match.end() + _BRACKET_REACH]):
            continue
        spans.append((begin, match.start() + len(match.group(0).rstrip())))
        begin = match.end()
    spans.append((begin, end))
    return [_trim(text, s, e) for s, e in spans if text[s:e].strip()]


def _inside_brackets(before: str, after: str) -> bool:
    """Whether a full stop falls inside a bracket the sentence opened and closes shortly after ("Two projects
    (CT. 0938 and CT.1168) rated ..."): a sentence does not end there."""
    if before.count("(") <= before.count(")"):
        return False
    close, reopen = after.find(")"), after.find("(")
    return close >= 0 and (reopen < 0 or close < reopen)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def is_mostly_questions(text: str) -> bool:
    """A questionnaire item or interview guide ("What were the main lessons learned? ...") asks, not reports."""
    ends = _SENTENCE_END.findall(text)
    return bool(ends) and ends.count("?") * 2 >= len(ends)


# --- words ------------------------------------------------------------------------------------------
_LETTERS = str.maketrans({"æ": "ae", "ø": "o", "œ": "oe", "ß": "ss", "đ": "d", "ð": "d", "ł": "l", "þ": "th"})


def fold(word: str) -> str:
    """Lower-case and strip accents ("Tilrådingane" -> "tilradingane", "Ø" -> "o")."""
    word = word.casefold().translate(_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def snowball(language: str) -> str:
    """The Snowball stemmer name for a language code or name (English for codes without one of their own)."""
    return language if language in _STOPWORDS else SNOWBALL.get(language, "english")


def stemmer(language: str = "en") -> Stemmer.Stemmer:
    """The Snowball stemmer of a language, one per thread (PyStemmer objects are not thread-safe)."""
    name = snowball(language)
    cache = _LOCAL.__dict__.setdefault("stemmers", {})
    if name not in cache:
        cache[name] = Stemmer.Stemmer(name)
    return cache[name]


@lru_cache(maxsize=None)
def stopwords(language: str = "en") -> frozenset[str]:
    """The keyword index's stopwords of a language (bm25s' lists; English for languages without one)."""
    return frozenset(_STOPWORDS[snowball(language)])


# Function words of the corpus's languages, dropped before lexical scoring of quotes and follow-ups.
QUOTE_STOPWORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into about over under between within without
    is are was were be been being am do does did done has have had having can could should would will shall may
    might must not no nor so than then too very also just only more most much many such own same other some any
    each every all both few this that these those there here it its they them their theirs we our us you your
    i me my he him his she her what which who whom whose when where why how whether while during before after
    again further once up down out off above below because until against through de la el los las y en del para
    por con que un una og i på av til for med som er det den dei ein eit ikkje ikke ved frå fra om""".split()
)
# English closed-class words (question words, pronouns, determiners, auxiliaries and modals, prepositions,
# conjunctions): never the subject of a question, so never evidence that it lies outside the corpus, though
# BM25's short stopword list keeps most of them and a small corpus may never use "what" or "we".
ENGLISH_FUNCTION_WORDS = frozenset("""
what which who whom whose when where why how whether
i me my mine myself we us our ours ourselves you your yours yourself yourselves he him his himself she her hers
herself it its itself they them their theirs themselves one ones
anyone anybody anything everyone everybody everything someone somebody something nobody nothing none
this that these those each every either neither both all any some such other another same
am is are was were be been being have has had having do does did doing done
can could may might must shall should will would ought need
about above across after against along among around before behind below beside besides between beyond by
despite down during except for from inside instead near off onto out outside over past per since than through
throughout till toward towards under underneath unlike until upon via within without
and but nor yet so because although though unless while whereas
also just only even still already ever never not very too quite rather much many more most less least few
here there then now again once
""".split())
