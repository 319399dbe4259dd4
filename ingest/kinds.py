"""The vocabulary that tells a passage's kind from its headings and labels, in the corpus's languages.

One table, one row per kind: the section-heading words that make a section's paragraphs that kind at ingestion,
the item label that opens a numbered item of it ("Recommendation 3", "Tilråding 2"), and broader heading words
that only place a plain passage under the kind's heading in an answer ("Results", "Impact": too wide to make a
paragraph a finding, close enough to show it among the findings). `ingest.structure` reads the first two,
`assistant.answer.compose` the last.
"""

from __future__ import annotations

import re

from ingest.models import Kind

# kind, section heading pattern, item label, answer-grouping heading words (all case-insensitive)
VOCABULARY: list[tuple[Kind, str, str, str]] = [  # English, Norwegian, French, Spanish, Swedish
    (Kind.challenge, r"\bchallenges?\b|utfordring|\bdéfis\b|difficultés|desafíos|\bretos\b|utmaningar",
     r"challenge|défi|desafío", r"challenge|utfordring|desafío|difficult|défi|utmaning"),
    (Kind.good_practice, r"\b(good|best|promising) practices?\b|god praksis|beste praksis|bonnes? pratiques?|"
     r"buenas prácticas|goda exempel|god praxis", r"(good|best) practice|bonne pratique|buena práctica",
     r"good practice|best practice|innovat|example|buenas práctica|god praksis|bonnes? pratiques?|goda exempel"),
    (Kind.lesson, r"\blessons?[- ]+learn|lærdom|læringspunkt|leçons? (apprises|tirées)|enseignements tirés|"
     r"lecciones aprendidas|lärdom", r"lesson|lærdom|leçon|lección|lärdom",
     r"lesson|lærdom|lecci|learned|learnt|leçon|enseignement"),
    (Kind.recommendation, r"recommendation|tilråd|tiltaking|anbefaling|recommandation|recomendaci|rekommendation",
     r"tilråding|recommendation|anbefaling|recommandation|recomendación|rekommendation",
     r"recommend|tilråd|tilrår|recomenda|recommand|rekommend"),
    (Kind.finding, r"\bfindings?\b|\bfunn\b|\bconstats?\b|constatations|hallazgos|iakttagelser",
     r"finding|funn|constat|hallazgo", r"finding|funn|conclusion|konklusjon|hallazgo|impact|result|constat"),
]
SECTION_KINDS = [(kind, re.compile(section, re.IGNORECASE)) for kind, section, _, _ in VOCABULARY]
ITEM_LABEL_KINDS = [(kind, re.compile(rf"^({label})\s*(n°\s*)?\d+", re.IGNORECASE)) for kind, _, label, _ in VOCABULARY]
_GROUPING_ORDER = (Kind.recommendation, Kind.lesson, Kind.good_practice, Kind.challenge, Kind.finding)  # first wins
GROUPING_KINDS = sorted(((kind, re.compile(words, re.IGNORECASE)) for kind, _, _, words in VOCABULARY),
                        key=lambda pair: _GROUPING_ORDER.index(pair[0]))
FORM_SECTION = re.compile(r"questionnaire|survey form|interview guide|spørjeskjema|spørreskjema", re.IGNORECASE)


def grouping_kind(headings: list[str]) -> Kind | None:
    """The kind whose answer heading a plain passage goes under, from its innermost telling heading (None: none)."""
    for heading in reversed(headings):
        for kind, pattern in GROUPING_KINDS:
            if pattern.search(heading):
                return kind
    return None
