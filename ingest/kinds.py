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
RECOMMENDATION_COLUMN = re.compile(VOCABULARY[3][1], re.IGNORECASE)  # a table column of recommendations
SECTION_KINDS = [(kind, re.compile(section, re.IGNORECASE)) for kind, section, _, _ in VOCABULARY]
_LEARNED = r"(\s+(learn(ed|t)|apprises?|tirées?|aprendidas?))?"  # "Lesson learned #2", "Leçon apprise n° 3"
_NUMBER = r"(n°|nº|no\.?|nr\.?|#)?\s*\d+"
ITEM_LABEL_KINDS = [(kind, re.compile(rf"^({label})s?{_LEARNED}\s*({_NUMBER}\b|:)", re.IGNORECASE))
                    for kind, _, label, _ in VOCABULARY]  # "Recommendation 3", "RECOMMENDATION:", "Leçon n° 2"
# a line that is nothing but an item's label: "Lesson learned #4", "RECOMMENDATION", "Tilråding 2:" (a bare word
# only in the singular: "Recommendations" alone on a line is a heading's word, not one item's label)
ITEM_LABEL_LINES = [(kind, re.compile(rf"^\s*({label})(s?{_LEARNED}\s*{_NUMBER}|{_LEARNED})\s*[:.]?\s*$",
                                      re.IGNORECASE)) for kind, _, label, _ in VOCABULARY]
# a caption names a table or figure; it is no item of the section it stands in ("Tableau n°10 : Recommandations")
CAPTION = re.compile(rf"^(table|tableau|tabla|tabell|tabelle|cuadro|figure|figura|figur|graph|graphique|gráfico|"
                     rf"diagram|chart|box|encadré)\s*{_NUMBER}\b", re.IGNORECASE)
_GROUPING_ORDER = (Kind.recommendation, Kind.lesson, Kind.good_practice, Kind.challenge, Kind.finding)  # first wins
GROUPING_KINDS = sorted(((kind, re.compile(words, re.IGNORECASE)) for kind, _, _, words in VOCABULARY),
                        key=lambda pair: _GROUPING_ORDER.index(pair[0]))


def label_kind(text: str) -> Kind | None:
    """The kind an item's own label gives it: a text opening with "Recommendation 3" / "LESSON:", or whose first
    line is a bare label ("RECOMMENDATION", "Lesson learned #4"); None when it opens with no label."""
    first = text.split("\n", 1)[0]
    for (kind, opening), (_, line) in zip(ITEM_LABEL_KINDS, ITEM_LABEL_LINES):
        if opening.match(text) or line.match(first):
            return kind
    return None


FORM_SECTION = re.compile(r"questionnaire|survey form|interview guide|spørjeskjema|spørreskjema", re.IGNORECASE)
# a heading of a report's back matter, whole ("5. BIBLIOGRAPHY", "Endnotes"): what it lists is sources, not evidence
_BACK_MATTER = re.compile(
    r"^\W*(\d+(\.\d+)*\.?\s*)?(bibliograph\w*|references|r[ée]f[ée]rences( bibliographiques)?|referencias"
    r"( bibliogr[áa]ficas)?|referanser|referenser|litteratur(liste)?|endnotes|notes de fin|notas finales|sluttnoter|"
    r"slutnoter|works cited)\W*$", re.IGNORECASE)


def in_back_matter(section: str) -> bool:
    """Whether a section path ("Annex 4 > References") runs through a bibliography, references or endnotes."""
    return any(_BACK_MATTER.search(heading) for heading in section.split(" > "))


def section_kind(section: list[str]) -> Kind:
    """The kind a section's paragraphs carry, from its innermost matching heading (text when none)."""
    if any(FORM_SECTION.search(h) for h in section):
        return Kind.text
    for heading in reversed(section):
        if sum(1 for _, pattern in GROUPING_KINDS if pattern.search(heading)) > 1:
            return Kind.text  # "Conclusions and recommendations": its paragraphs say by their own label what they are
        for kind, pattern in SECTION_KINDS:
            if pattern.search(heading):
                return kind
    return Kind.text


def grouping_kind(headings: list[str]) -> Kind | None:
    """The kind whose answer heading a plain passage goes under, from its innermost telling heading (None: none)."""
    for heading in reversed(headings):
        for kind, pattern in GROUPING_KINDS:
            if pattern.search(heading):
                return kind
    return None

# Management-response matrices: the labels of their fields (English, French, Spanish, Swedish, Norwegian), each
# matched at the start of a cell or line, or after a sentence when it ends in a colon. The recommendation label needs
# an identifier ("Evaluation recommendation # 2", "RECOMMENDATION B", "Recomendación 3").
_OPTIONS = r"(\s*[-–(]?\s*[^\W\d_][\w ]*(/\s*[^\W\d_][\w ]*)+\)?)?"  # "(Accept/Partially Accept/Reject)"
_TIME = r"\((time|temps|tiempo|tid)\s*\d\)"  # a form's "(Time 1)": when a field is filled in, not what it says
MATRIX_TIME = re.compile(rf"[\s:]*{_TIME}[\s:]*$", re.IGNORECASE)
# a form's "(Time 1)" ending what was filled in before the next sentence: "partially accept (Time 1) The ..."
AFTER_TIME_STAMP = re.compile(rf"{_TIME}\s+(?=(?-i:[A-Z]))", re.IGNORECASE)  # ends where the sentence starts
_TAIL = rf"(\s*\([^)]{{0,40}}\))?\s*[:–-]?(\s*{_TIME})?\s*:?"  # "(1 to 3):", ": (Time 0)"
MATRIX_RECOMMENDATION = re.compile(
    r"^((evaluation|évaluation|evaluación|utvärderingens|evaluering(en)?s?)\s+)?"
    r"(recommendation|recommandation|recomendaci[óo]n|rekommendation|anbefaling|tilråding)\s*(n°|no\.?|#)?\s*"
    r"(?P<id>\d{1,2}|[A-H])\b" + _TAIL, re.IGNORECASE)
MATRIX_FIELDS: list[tuple[str, str]] = [  # field -> label words; first match wins
    ("addressed_to", r"recommendation (addressed )?to|addressed to|recommandation (adressée )?à|destinataires?|"
                     r"dirigida a|riktad till|rettet til"),
    ("priority", r"priority( level)?|(niveau de )?priorité|(nivel de )?prioridad|prioritet(snivå)?"),
    ("response", r"management response|réponse de la direction|réponse de la gestion|respuesta de la (gerencia|"
                 r"dirección|administración)|ledningens (svar|respons)|ledelsens (svar|respons)"),
    ("actions", r"key actions?|actions? clés?|actions? prévues?|acciones clave|acciones previstas|nyckelåtgärder|"
                r"åtgärder|tiltak|nøkkeltiltak"),
    ("deadline", r"time ?frame( or deadline)?|deadline|échéance|délai|calendrier|plazo|fecha límite|tidsram|"
                 r"tidsfrist|frist"),
    ("responsible", r"responsible( individual or)? (unit|individual|person)[\w()]*( or unit\(s\))?|"
                    r"unités? responsables?|(unidad|persona) responsable|ansvarig( enhet)?|ansvarlig( enhet)?"),
    ("status", r"(final )?implementation (monitoring )?status|implementation monitoring|suivi de (la )?mise en œuvre|"
               r"seguimiento de (la )?implementación|status|statut|état d.avancement|estado|"
               r"genomförandestatus"),
    ("comments", r"(final )?comments?( or action taken| on implementation status)?|commentaires?|comentarios|"
                 r"kommentar(er)?|merknader"),
]
# what a priority cell says: a level ("1", "1 - 2", "2 to 3", "High", "Moyenne", "Alta", "Hög", "Middels")
PRIORITY_LEVEL = re.compile(r"^\W*(\d+(\s*(-|–|to|à|a|til|till)\s*\d+)?|n/a|high|medium|low|very high|urgent|élevée|haute|"
                            r"moyenne|faible|basse|alta|media|baja|hög|medel|låg|høy|middels|lav)\b", re.IGNORECASE)
MATRIX_LABELS = [(name, re.compile(rf"^({words}){_OPTIONS}{_TAIL}", re.IGNORECASE)) for name, words in MATRIX_FIELDS]
MATRIX_LABEL_LINE = re.compile(
    "|".join(rf"(^({words})\b)" for _, words in MATRIX_FIELDS) + "|" + MATRIX_RECOMMENDATION.pattern[1:],
    re.IGNORECASE)
# a response in its own words -> the controlled value (partial and negative wording first)
RESPONSES: list[tuple[str, re.Pattern]] = [
    ("partially accepted", re.compile(
        r"partial(ly)?[- ]accept|partly accept|accept\w* (partially|in part)|partiellement accept|accept\w* "
        r"partiellement|en partie|parcialmente acept|acept\w* parcialmente|delvis (accept|godk|akseptert|godtatt)|"
        r"(accept|godk|akseptert|godtatt)\w* delvis",
        re.IGNORECASE)),
    ("not accepted", re.compile(
        r"not (be )?accept|reject|rejet|refus|non accept|no acept|rechaz|inte accept|avvis|avsl[åo]|ikke (akseptert|"
        r"godtatt)|not agreed", re.IGNORECASE)),
    ("accepted", re.compile(r"accept|acept|godkän|godtatt|akseptert|tillstyrk|\bagreed\b", re.IGNORECASE)),
]

# Words of document types and parts, folded (lower case, no accents): never what tells one evaluation from another
# when files are matched to an evaluation by their titles (`ingest.evaluations`).
DOCUMENT_WORDS = frozenset("""
evaluation evaluations evaluacion evaluaciones utvardering utvarderingen evaluering evalueringa evalueringen
final finale finales internal interne interna external externe externa independent independante independiente
report rapport informe rapporten brief breve resume resumen summary sammendrag sammanfattning synthesis synthese
management response responses reponse respuesta gerencia direction ledelsens ledningens matrix matrice matriz
action actions plan follow-up follow project projet proyecto prosjekt projekt programme program programa
phase midterm mid-term review revue revision study etude estudio studie annual annuel anual
""".split())
