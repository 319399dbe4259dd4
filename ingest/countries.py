"""Country names as the corpus's languages write them, each mapped to one canonical English name.

The names come from a data table, the Unicode CLDR territory names (read through Babel), in every language the
corpus has: a French report's "Mexique", a Spanish one's "México", a Swedish "Mexiko" and a Norwegian "Mexico" all
count as "Mexico". Swedish and Norwegian genitives ("Nigerias") count too.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

NAME_LOCALES = ("en", "fr", "es", "sv", "nb", "nn")  # the corpus's languages (Norwegian in both written forms)
NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}  # CLDR codes of unions, pseudo-locales, "unknown"
COMMON_WORDS = {"Man", "Island"}  # spellings that are ordinary words in one of the languages (nb "Man", sv "Island")


def _spellings(name: str) -> list[str]:
    """A CLDR name and the ways running text writes it: "&" as "and", straight apostrophes, "Myanmar (Burma)" as
    both "Myanmar" and "Burma"."""
    plain = name.replace("’", "'")
    found = [name, plain, plain.replace(" & ", " and ")]
    if match := re.fullmatch(r"(.+?) \((.+)\)", plain):
        found += [match[1], match[2]]
    return [s for s in dict.fromkeys(found) if s not in COMMON_WORDS]


def _canonical(name: str) -> str:
    plain = name.replace("’", "'").replace(" & ", " and ")
    return re.sub(r" \(.+\)$", "", plain)


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every spelling of every country in the corpus's languages -> its canonical English name."""
    from babel import Locale

    english = Locale.parse("en").territories
    codes = [code for code in english if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES]
    names: dict[str, str] = {}
    for locale in NAME_LOCALES:
        local = Locale.parse(locale).territories
        for code in codes:
            for spelling in _spellings(local.get(code, english[code])):
                names.setdefault(spelling, _canonical(english[code]))
    return names


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    """Any country spelling as a whole word (longest first, so "Guinea-Bissau" wins over "Guinea"), with an
    optional genitive s."""
    alternatives = "|".join(re.escape(n) for n in sorted(country_names(), key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})s?(?![\w-])")


def count_countries(text: str) -> Counter[str]:
    """How often each country (canonical English name) is named in `text`, in any of the corpus's languages."""
    return Counter(country for _, country, _, _ in country_mentions(text))


def country_mentions(text: str) -> list[tuple[str, str, int, int]]:
    """Each country named in `text`, in any of the corpus's languages: (as written, canonical English name, start,
    end)."""
    names = country_names()
    return [(match[1], names[match[1]], match.start(1), match.end(1)) for match in _pattern().finditer(text)]


@lru_cache(maxsize=1)
def _spellings_by_country() -> dict[str, list[str]]:
    by_country: dict[str, list[str]] = {}
    for spelling, canonical in country_names().items():
        by_country.setdefault(canonical, []).append(spelling)
    return by_country


def spellings_of(country: str) -> list[str]:
    """Every spelling of a country (canonical English name) in the corpus's languages: "Mexico", "Mexique", ..."""
    return _spellings_by_country().get(country, [country])
