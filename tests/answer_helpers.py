"""Shared fixtures for the answer tests: real passages cut verbatim from the seed corpus, and retrievals.

Passages are built by hand (slices of corpus/*.txt with catalog metadata) so the answer tests do not
depend on ingestion; `Retrieval` is the real model from assistant.retrieval.search.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import yaml
from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.llms import CustomLLM
from llama_index.core.llms.callbacks import llm_completion_callback
from pydantic import Field

from assistant.answer.types import Hit
from assistant.retrieval.search import Retrieval
from ingest.models import Kind, Passage

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
PUEBLA = "iom-2021-puebla-self-evaluation-lessons-learned.txt"
UNODC = "unodc-2022-mexico-tip-cluster-evaluation-brief.txt"
DEVFUND = "iom-devfund-2020-review-ct-px-projects.txt"
NORAD = "norad-2011-iom-counter-trafficking-followup-memo.txt"


def corpus_passage(
    filename: str, start: str, end: str | None, *, kind: Kind, section: str = "", page: int | None = None
) -> Passage:
    """A passage whose text is the corpus file's text from `start` up to (not including) `end`."""
    text = (CORPUS / filename).read_text(encoding="utf-8")
    at = text.index(start)
    stop = text.index(end, at + len(start)) if end else len(text)
    body = text[at:stop].strip()
    meta = yaml.safe_load((CORPUS / "catalog.yaml").read_text(encoding="utf-8"))[filename]
    fields: dict[str, str] = {}
    if kind == Kind.lesson:  # "Label<TAB>value" rows of a lesson table
        for line in body.splitlines():
            label, sep, value = line.partition("\t")
            if sep and value.strip():
                fields[label.strip()] = value.strip()
    doc_id = filename.removesuffix(".txt")
    return Passage(
        id=Passage.make_id(doc_id, at, body),
        doc_id=doc_id,
        title=meta["title"],
        organisation=meta["organisation"],
        year=meta["year"],
        countries=meta["countries"],
        language=meta["languages"][0],
        doc_type=meta["doc_type"],
        section=section,
        kind=kind,
        page=page,
        text=body,
        start=at,
        end=at + len(body),
        fields=fields,
    )


def puebla_lesson(n: int) -> Passage:
    """Lesson n (1-4) of the IOM Puebla self-evaluation, as one lesson passage."""
    return corpus_passage(PUEBLA, f"Element\tLesson {n}", f"Element\tLesson {n + 1}", kind=Kind.lesson,
                          section="Self-evaluation", page=n)


def unodc_lessons() -> Passage:
    """The LESSONS LEARNED paragraph of the UNODC Mexico evaluation brief."""
    return corpus_passage(UNODC, "It was learned that working", "Map 1", kind=Kind.lesson, section="LESSONS LEARNED")


def unodc_good_practices() -> Passage:
    """The GOOD PRACTICES paragraph of the UNODC brief."""
    return corpus_passage(UNODC, "To strengthen and organize", "METHODOLOGY", kind=Kind.good_practice,
                          section="GOOD PRACTICES")


def unodc_shelter_recommendation() -> Passage:
    """The UNODC recommendation on shelters (a bullet)."""
    return corpus_passage(UNODC, "Continue building capacities", "- Human Rights", kind=Kind.recommendation,
                          section="RECOMMENDATIONS")


def unodc_findings() -> Passage:
    """The MAIN FINDINGS paragraph of the UNODC brief (plain text under a findings heading)."""
    return corpus_passage(UNODC, "Both interventions were highly relevant", "Poster", kind=Kind.text,
                          section="MAIN FINDINGS")


def devfund_synergies() -> Passage:
    """The IOM Development Fund recommendation on synergies and private-sector partnerships."""
    return corpus_passage(DEVFUND, "- **Promote synergies between relevant projects/initiatives and new",
                          "- **Encourage innovative", kind=Kind.recommendation, section="6. RECOMMENDATIONS",
                          page=26)


def devfund_challenges() -> Passage:
    """The first paragraph of section 5.8 Challenges of the IOM Development Fund review."""
    return corpus_passage(DEVFUND, "All projects encountered challenges during project implementation. The Figure",
                          "**Figure 10", kind=Kind.text, section="5. FINDINGS > 5.8 Challenges", page=20)


def norad_findings() -> Passage:
    """A Nynorsk paragraph of the Norad memo (central findings)."""
    return corpus_passage(NORAD, "Evalueringa finn at hovudstyrken", "Rapporten finn at IOM har medverka",
                          kind=Kind.text, section="2. Sentrale funn og konklusjonar")


def retrieval_of(query: str, passages: list[Passage], *, refused: bool = False) -> Retrieval:
    """A retrieval returning `passages` best first, with decreasing scores."""
    hits = [Hit(passage=p, score=1.0 - i * 0.1, scores={"dense_e5": 0.9 - i * 0.01}) for i, p in enumerate(passages)]
    return Retrieval(query=query, hits=hits, refused=refused, best_score=0.9 if passages else 0.0)


def private_sector_retrieval() -> Retrieval:
    """What retrieval plausibly returns for a question on engaging the private sector."""
    query = "How should projects engage the private sector?"
    return retrieval_of(query, [puebla_lesson(2), devfund_synergies(), puebla_lesson(3), unodc_findings(),
                                unodc_good_practices(), devfund_challenges()])


class FakeLLM(CustomLLM):
    """A llama-index LLM that returns a fixed reply (word by word when streamed), optionally slowly or failing."""

    reply: str = ""
    delay_s: float = 0.0
    error: str = ""
    prompts: list[str] = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="fake")

    def _start(self, prompt: str) -> None:
        self.prompts.append(prompt)
        time.sleep(self.delay_s)
        if self.error:
            raise RuntimeError(self.error)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        self._start(prompt)
        return CompletionResponse(text=self.reply)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        self._start(prompt)
        text = ""
        for word in re.findall(r"\S+\s*", self.reply):
            text += word
            yield CompletionResponse(text=text, delta=word)
