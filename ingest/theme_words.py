"""Theme keywords found in passage text and section headings, after Snowball stemming in the keyword's language.

Words are accent-folded before stemming, on both sides, so "DURABILITE" in a heading meets "durabilité" in the
taxonomy. A passage is read in its own language and in English (reports mix in English terms); a language
without keywords in the taxonomy is read in English only (stemmers: ingest.lang, English where a language has none).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.lang import fold, stemmer

_WORD = re.compile(r"\w\w+")

Phrase = tuple[str, ...]


def stems(text: str, language: str) -> list[str]:
    """The words of `text`, accent-folded and stemmed by `language`'s Snowball stemmer."""
    words = [fold(w) for w in _WORD.findall(text.casefold())]
    return stemmer(language).stemWords(words)


def _phrases(texts: list[str], language: str) -> tuple[Phrase, ...]:
    return tuple(dict.fromkeys(p for p in (tuple(stems(t, language)) for t in texts) if p))


def _found(phrase: Phrase, padded: str, vocabulary: set[str]) -> bool:
    return phrase[0] in vocabulary if len(phrase) == 1 else f" {' '.join(phrase)} " in padded


@dataclass(frozen=True)
class KeywordMatcher:
    """One theme's keywords (and, for headings, its labels) as stemmed phrases per language."""

    keywords: dict[str, tuple[Phrase, ...]]
    names: dict[str, tuple[Phrase, ...]]  # labels and keywords: what a heading about the theme would say

    @classmethod
    def build(cls, keywords: dict[str, list[str]], labels: dict[str, str]) -> KeywordMatcher:
        """Stem a theme's keywords and labels once, each in its own language."""
        words = {lang: _phrases(kws, lang) for lang, kws in keywords.items()}
        names = {lang: _phrases([labels[lang], *keywords.get(lang, [])], lang) for lang in labels}
        return cls(keywords=words, names=names)

    def _languages(self, language: str, table: dict[str, tuple[Phrase, ...]]) -> list[str]:
        return [lang for lang in dict.fromkeys((language, "en")) if lang in table]

    def _counts(self, text: str, language: str, table: dict[str, tuple[Phrase, ...]]) -> int:
        best = 0
        for lang in self._languages(language, table):
            tokens = stems(text, lang)
            padded, vocabulary = f" {' '.join(tokens)} ", set(tokens)
            best = max(best, sum(_found(p, padded, vocabulary) for p in table[lang]))
        return best

    def count(self, text: str, language: str) -> int:
        """How many distinct keywords occur in `text` (read in its language or in English, whichever finds more)."""
        return self._counts(text, language, self.keywords)

    def in_section(self, section: str, language: str) -> bool:
        """Whether a section path ("5. FINDINGS > 5.11 Sustainability") names the theme or one of its keywords."""
        return bool(section) and self._counts(section, language, self.names) > 0
