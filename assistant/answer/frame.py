"""The words an answer adds around its quotes, in the asker's language: headings, "Sources", the refusal.

One table of UI strings per language Lessons takes questions in; anything not translated falls back to
English. Quotes are never translated: they stay in the report's language, which the answer names.
"""

from __future__ import annotations

from assistant.retrieval.question import QUERY_LANGUAGES
from assistant.retrieval.refusal import Unknowns
from ingest.lang import detect_language, same_language
from ingest.matrix import FIELD_LABELS
from ingest.tables import LESSON_LABELS

KEYS = ("recommendations", "lessons", "findings", "challenges", "examples", "sources", "refusal", "covers",
        "also_in", "in_language", "answer", "other", "nothing_about", "covered", "partly covered", "new",
        "same_report", "section", "not_in_evidence", "not_that_stage")

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "section": "section",
        "same_report": "same report as [{n}]",
        "other": "Also relevant",
        "nothing_about": "The reports say nothing about {names}; the nearest evidence is:",
        "not_in_evidence": "None of the reports found is about {names}; the nearest evidence is:",
        "not_that_stage": "None of the reports found is {names}; the nearest evidence is:",
        "covered": "covered", "partly covered": "partly covered", "new": "new",
        "answer": "What answers the question", "recommendations": "Recommendations", "lessons": "Lessons learned",
        "findings": "Findings", "challenges": "Challenges", "examples": "Examples and good practices",
        "sources": "Sources", "also_in": "also in",
        "refusal": "The corpus holds no evidence on this question, so there is nothing I can cite to answer it.",
        "covers": "The corpus covers", "in_language": "in",
    },
    "es": {
        "section": "sección",
        "same_report": "mismo informe que [{n}]",
        "other": "También pertinente",
        "nothing_about": "Los informes no dicen nada sobre {names}; la evidencia más cercana es:",
        "not_in_evidence": "Ninguno de los informes encontrados trata de {names}; la evidencia más cercana es:",
        "not_that_stage": "Ninguno de los informes encontrados es {names}; la evidencia más cercana es:",
        "covered": "ya tratado", "partly covered": "tratado en parte", "new": "nuevo",
        "answer": "Lo que responde a la pregunta", "recommendations": "Recomendaciones",
        "lessons": "Lecciones aprendidas", "findings": "Hallazgos", "challenges": "Desafíos",
        "examples": "Ejemplos y buenas prácticas", "sources": "Fuentes", "also_in": "también en",
        "refusal": "Los informes no contienen evidencia sobre esta pregunta, así que no hay nada que pueda citar.",
        "covers": "Los informes tratan", "in_language": "en",
    },
    "fr": {
        "section": "section",
        "same_report": "même rapport que [{n}]",
        "other": "Également pertinent",
        "nothing_about": "Les rapports ne disent rien de {names} ; les éléments les plus proches sont :",
        "not_in_evidence": "Aucun des rapports trouvés ne porte sur {names} ; les éléments les plus proches sont :",
        "not_that_stage": "Aucun des rapports trouvés n'est {names} ; les éléments les plus proches sont :",
        "covered": "déjà traité", "partly covered": "traité en partie", "new": "nouveau",
        "answer": "Ce qui répond à la question", "recommendations": "Recommandations",
        "lessons": "Enseignements tirés", "findings": "Constats", "challenges": "Difficultés",
        "examples": "Exemples et bonnes pratiques", "sources": "Sources", "also_in": "aussi dans",
        "refusal": "Les rapports ne contiennent aucune donnée sur cette question ; je n'ai rien à citer.",
        "covers": "Les rapports traitent de", "in_language": "en",
    },
    "no": {
        "section": "del",
        "same_report": "samme rapport som [{n}]",
        "other": "Også relevant",
        "nothing_about": "Rapportene sier ingenting om {names}; det nærmeste belegget er:",
        "not_in_evidence": "Ingen av rapportene som ble funnet, handler om {names}; det nærmeste belegget er:",
        "not_that_stage": "Ingen av rapportene som ble funnet, er {names}; det nærmeste belegget er:",
        "covered": "dekket", "partly covered": "delvis dekket", "new": "nytt",
        "answer": "Det som svarer på spørsmålet", "recommendations": "Anbefalinger", "lessons": "Erfaringer",
        "findings": "Funn", "challenges": "Utfordringer", "examples": "Eksempler og god praksis",
        "sources": "Kilder", "also_in": "også i",
        "refusal": "Rapportene har ikke noe belegg for dette spørsmålet, så jeg har ingenting å sitere.",
        "covers": "Rapportene dekker", "in_language": "på",
    },
    "nn": {
        "section": "del",
        "same_report": "same rapport som [{n}]",
        "other": "Òg relevant",
        "nothing_about": "Rapportane seier ingenting om {names}; det næraste belegget er:",
        "not_in_evidence": "Ingen av rapportane som vart funne, handlar om {names}; det næraste belegget er:",
        "not_that_stage": "Ingen av rapportane som vart funne, er {names}; det næraste belegget er:",
        "covered": "dekt", "partly covered": "delvis dekt", "new": "nytt",
        "answer": "Det som svarar på spørsmålet", "recommendations": "Tilrådingar", "lessons": "Erfaringar",
        "findings": "Funn", "challenges": "Utfordringar", "examples": "Døme og god praksis",
        "sources": "Kjelder", "also_in": "også i",
        "refusal": "Rapportane har ikkje noko belegg for dette spørsmålet, så eg har ingenting å sitere.",
        "covers": "Rapportane dekkjer", "in_language": "på",
    },
    "sv": {
        "section": "avsnitt",
        "same_report": "samma rapport som [{n}]",
        "other": "Också relevant",
        "nothing_about": "Rapporterna säger ingenting om {names}; det närmaste underlaget är:",
        "not_in_evidence": "Ingen av de rapporter som hittades handlar om {names}; det närmaste underlaget är:",
        "not_that_stage": "Ingen av de rapporter som hittades är {names}; det närmaste underlaget är:",
        "covered": "täckt", "partly covered": "delvis täckt", "new": "nytt",
        "answer": "Det som besvarar frågan", "recommendations": "Rekommendationer", "lessons": "Lärdomar",
        "findings": "Resultat", "challenges": "Utmaningar", "examples": "Exempel och goda metoder",
        "sources": "Källor", "also_in": "även i",
        "refusal": "Rapporterna innehåller inget underlag för den här frågan, så jag har inget att citera.",
        "covers": "Rapporterna täcker", "in_language": "på",
    },
}

LANGUAGE_NAMES: dict[str, dict[str, str]] = {
    "en": {"en": "English", "es": "Spanish", "fr": "French", "no": "Norwegian", "nn": "Norwegian", "sv": "Swedish"},
    "es": {"en": "inglés", "es": "español", "fr": "francés", "no": "noruego", "nn": "noruego", "sv": "sueco"},
    "fr": {"en": "anglais", "es": "espagnol", "fr": "français", "no": "norvégien", "nn": "norvégien", "sv": "suédois"},
    "no": {"en": "engelsk", "es": "spansk", "fr": "fransk", "no": "norsk", "nn": "nynorsk", "sv": "svensk"},
    "nn": {"en": "engelsk", "es": "spansk", "fr": "fransk", "no": "norsk", "nn": "nynorsk", "sv": "svensk"},
    "sv": {"en": "engelska", "es": "spanska", "fr": "franska", "no": "norska", "nn": "nynorska", "sv": "svenska"},
}

# an evaluation stage (`assistant.retrieval.question.evaluation_stages`) as the "not_that_stage" line names it
STAGE_NAMES = {
    "en": {"mid-term": "a mid-term evaluation", "final": "a final evaluation", "ex-post": "an ex-post evaluation",
           "baseline": "a baseline study"},
    "es": {"mid-term": "una evaluación intermedia", "final": "una evaluación final",
           "ex-post": "una evaluación ex post", "baseline": "un estudio de línea de base"},
    "fr": {"mid-term": "une évaluation à mi-parcours", "final": "une évaluation finale",
           "ex-post": "une évaluation ex post", "baseline": "une étude de référence"},
    "no": {"mid-term": "en midtveisevaluering", "final": "en sluttevaluering", "ex-post": "en etterevaluering",
           "baseline": "en baselinestudie"},
    "nn": {"mid-term": "ei midtvegsevaluering", "final": "ei sluttevaluering", "ex-post": "ei etterevaluering",
           "baseline": "ein baselinestudie"},
    "sv": {"mid-term": "en halvtidsutvärdering", "final": "en slututvärdering", "ex-post": "en efterhandsutvärdering",
           "baseline": "en baslinjestudie"},
}

# the labels structure adds before a quoted field (`ingest.matrix.FIELD_LABELS`, `ingest.tables.LESSON_LABELS`)
_LABELS = ("Recommendation", "Addressed to", "Management response", "Key actions", "Responsible", "Deadline",
           "Status", "Comments", "Brief description", "Context", "Targeted users", "Challenges")
FIELD_NAMES: dict[str, dict[str, str]] = {lang: dict(zip(_LABELS, names, strict=True)) for lang, names in {
    "es": ("Recomendación", "Dirigida a", "Respuesta de la dirección", "Acciones clave", "Responsable", "Plazo",
           "Estado", "Comentarios", "Descripción breve", "Contexto", "Destinatarios", "Desafíos"),
    "fr": ("Recommandation", "Adressée à", "Réponse de la direction", "Actions clés", "Responsable", "Échéance",
           "Statut", "Commentaires", "Description succincte", "Contexte", "Public visé", "Difficultés"),
    "no": ("Anbefaling", "Rettet til", "Ledelsens svar", "Viktigste tiltak", "Ansvarlig", "Frist", "Status",
           "Kommentarer", "Kort beskrivelse", "Kontekst", "Målgruppe", "Utfordringer"),
    "nn": ("Tilråding", "Retta til", "Svaret frå leiinga", "Viktigaste tiltak", "Ansvarleg", "Frist", "Status",
           "Kommentarar", "Kort skildring", "Kontekst", "Målgruppe", "Utfordringar"),
    "sv": ("Rekommendation", "Riktad till", "Ledningens svar", "Viktigaste åtgärder", "Ansvarig", "Tidsfrist",
           "Status", "Kommentarer", "Kort beskrivning", "Sammanhang", "Målgrupp", "Utmaningar"),
}.items()}

SOURCE_HEADINGS = tuple(dict.fromkeys(s["sources"] + ":" for s in STRINGS.values()))


class Frame:
    """The UI strings of one language, looked up by key (English when a string is missing)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in STRINGS else "en"

    def __getitem__(self, key: str) -> str:
        return STRINGS[self.lang].get(key) or STRINGS["en"][key]

    def field_label(self, field: str, *, lesson: bool = False) -> str:
        """The label structure gives a quoted field (a lesson field's name, a matrix column's header: "Key actions")
        in the asker's language; "" for no field."""
        label = (LESSON_LABELS if lesson else FIELD_LABELS).get(field, field)
        return FIELD_NAMES.get(self.lang, {}).get(label, label)

    @staticmethod
    def quote_language(quote: str, document_language: str) -> str:
        """The language a quote is in: its document's, unless the quote is long enough to tell (eight words or
        more) and says otherwise (a French matrix's response written in English)."""
        if len(quote.split()) < 8:
            return document_language
        found = detect_language(quote, allowed=sorted({*QUERY_LANGUAGES, document_language}))
        return document_language if same_language(found, document_language) else found  # Nynorsk stays Nynorsk

    def language_name(self, lang: str) -> str:
        """The name of a report's language, in the asker's language."""
        return LANGUAGE_NAMES[self.lang].get(lang, lang)

    def edge(self, unknowns: Unknowns) -> str:
        """What an answer near the domain's edge says before its evidence, one line each: what no report mentions,
        the places none of the evidence found is about, the evaluation stage none of it is ("" when none)."""
        stages = [STAGE_NAMES[self.lang].get(stage, stage) for stage in unknowns.stages_not_in_evidence]
        lines = [self[key].format(names=", ".join(names)) for key, names in
                 (("nothing_about", unknowns.names), ("not_in_evidence", unknowns.not_in_evidence),
                  ("not_that_stage", stages)) if names]
        return "".join(f"{line}\n" for line in lines)


def frame_for(question: str) -> Frame:
    """The frame in the question's language (detected as retrieval does)."""
    try:
        return Frame(detect_language(question, allowed=QUERY_LANGUAGES))
    except Exception:  # language detection must never break an answer
        return Frame("en")
