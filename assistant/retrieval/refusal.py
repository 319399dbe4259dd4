"""When retrieval refuses: what a question names that the corpus never does, how much of its meaning that
carries, and the cut-offs on the embedder's cosine scale (`SearchSettings.refusal`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from assistant.answer.types import Hit
from assistant.retrieval.question import YEAR, evaluation_stages
from ingest.countries import country_mentions, spellings_of
from ingest.embed import Embedder
from ingest.lang import ENGLISH_FUNCTION_WORDS, NORWEGIAN
from ingest.settings import RefusalCutoffs
from ingest.snapshot.keyword import KeywordIndex, query_tokens

_WORD = re.compile(r"\w+", re.U)
_CAPITALISED = re.compile(r"(?<![.?!¿¡]\s)(?<!^)\b[A-ZÆØÅÉÁÍÓÚÑ][\w-]+")


class Unknowns(BaseModel):
    """What a question asks about that the corpus never mentions."""

    names: list[str] = Field(default_factory=list)  # proper nouns and years absent from every passage
    words: list[str] = Field(default_factory=list)  # an English question's content words absent from every passage
    weight: float = 0.0  # how much of the question's meaning those words carry (see `unknown_weight`)
    # countries and years the question names that some report mentions but none of the evidence found is about
    not_in_evidence: list[str] = Field(default_factory=list)
    # evaluation stages the question asks for ("mid-term") when the reports found are of another stage ("final")
    stages_not_in_evidence: list[str] = Field(default_factory=list)

    @property
    def said_absent(self) -> list[str]:
        """What an answer says the evidence is not about, before the evidence: the three lists, in that order."""
        return [*self.names, *self.not_in_evidence, *self.stages_not_in_evidence]


def unknown_terms(query: str, *, keyword: KeywordIndex, query_lang: str, embedder: Embedder | None = None) -> Unknowns:
    """Proper nouns, years and content words of the question that no passage contains.

    Years and countries count in any language (a country under any of its names in the corpus's languages, so a
    Spanish "Noruega" is the corpus' "Norway"). Other proper nouns count only for English and Norwegian questions
    (a French "ONUDC" is the reports' "UNODC"); unknown content words only for English.
    With an embedder, their weight in the question's meaning is measured too.
    """
    query = query.strip()
    names = [m.group(0) for m in YEAR.finditer(query) if not keyword.knows(m.group(0))]
    countries = country_mentions(query)
    names += [written for written, country, _, _ in countries if not _corpus_names(country, keyword)]
    if query_lang == "en" or query_lang in NORWEGIAN:
        in_country = {i for _, _, a, z in countries for i in range(a, z)}
        names += [m.group(0) for m in _CAPITALISED.finditer(query) if m.start() not in in_country
                  and not keyword.knows(m.group(0))]
    words: list[str] = []
    if query_lang == "en":
        content = [w for w in _WORD.findall(query) if len(w) > 2 and w.casefold() not in ENGLISH_FUNCTION_WORDS]
        words = [w for w in content if query_tokens(w) and not keyword.knows(w, typos=True)]
    weight = unknown_weight(query, words, embedder=embedder) if words and embedder is not None else 0.0
    return Unknowns(names=list(dict.fromkeys(names)), words=list(dict.fromkeys(words)), weight=weight)


def places_not_in_evidence(query: str, hits: list[Hit], *, absent: list[str]) -> list[str]:
    """The countries a question names (as written) that no hit is about: neither a hit's document lists it among
    its countries nor a hit's text names it, in any spelling. "How many survivors in Canada took part in <a study of
    the United States>" finds the study, not Canada. Names in `absent` (no report mentions them) are left out."""
    about = {country for hit in hits for country in hit.passage.countries}
    about |= {country for hit in hits
              for _, country, _, _ in country_mentions(f"{hit.passage.section}\n{hit.passage.text}")}
    return list(dict.fromkeys(written for written, country, _, _ in country_mentions(query)
                              if country not in about and written not in absent))


def years_not_in_evidence(query: str, hits: list[Hit], *, absent: list[str]) -> list[str]:
    """The years a question names that no hit is about: neither a hit's document is of that year nor its title,
    section or text names it. "What did the 2017 evaluation of the hotline conclude" finds a 2021 evaluation.
    Years in `absent` (no report mentions them) are left out."""
    about = {str(hit.passage.year) for hit in hits if hit.passage.year}
    about |= {m.group(0) for hit in hits for m in
              YEAR.finditer(f"{hit.passage.title}\n{hit.passage.section}\n{hit.passage.text}")}
    return list(dict.fromkeys(m.group(0) for m in YEAR.finditer(query)
                              if m.group(0) not in about and m.group(0) not in absent))


def stages_not_in_evidence(query: str, hits: list[Hit], *, titles: dict[str, set[str]]) -> list[str]:
    """The evaluation stages a question asks for ("what did the mid-term evaluation conclude") that none of the
    hits' evaluations is, when the titles of their documents (`titles`: by evaluation id, see
    `Snapshot.evaluation_titles`) say they are of another stage ("Final Evaluation: ..."); [] when no title of
    theirs names a stage."""
    asked = evaluation_stages(query)
    groups = {hit.passage.evaluation or hit.passage.doc_id for hit in hits}
    found = {stage for group in groups for title in titles.get(group, ()) for stage in evaluation_stages(title)}
    return [stage for stage in asked if found and stage not in found]


def _corpus_names(country: str, keyword: KeywordIndex) -> bool:
    """Whether some passage names `country` in one of its spellings in the corpus's languages (every word of it),
    so a French "Mexique" or an English "Cabo Verde" counts as known when the reports write "Mexico", "Cape Verde"."""
    return any(all(keyword.knows(word) for word in _WORD.findall(spelling)) for spelling in spellings_of(country))


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


def refusal_scale(embedders: Iterable[str]) -> str:
    """The embedder whose cosine scale the refusal reads: e5 when it runs, else the first one."""
    names = list(embedders)
    return "e5" if "e5" in names or not names else names[0]


def relevance(hits: list[Hit], *, embedder: str = "e5") -> float:
    """The calibrated relevance of a result list: the best `embedder` cosine, or best BM25 when no dense ran."""
    if any(name.startswith("dense_") for h in hits for name in h.scores):
        return max((h.scores.get(f"dense_{embedder}", 0.0) for h in hits), default=0.0)
    return max((h.scores.get("bm25", 0.0) for h in hits), default=0.0)
