"""Chat turns: follow-up rewriting, the answer paths with fallback, streaming, refusal with coverage."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from answer_helpers import (
    CORPUS,
    FakeLLM,
    devfund_synergies,
    private_sector_retrieval,
    puebla_lesson,
    retrieval_of,
    unodc_findings,
    unodc_shelter_recommendation,
)
from assistant.answer.chat import answer_question, corpus_coverage, is_followup, rewrite_followup, stream_answer
from assistant.answer.compose import REFUSAL
from assistant.answer.types import Answer
from ingest.models import CatalogEntry
from ingest.settings import AnswerSettings, Settings

SETTINGS = Settings()
MARKER = re.compile(r"\[(\d+)\]")
PRIVATE = "What lessons were learned about engaging the private sector?"


class Recorder:
    """A retriever standing in for assistant.retrieval.search.retrieve: records the query, returns a fixed retrieval."""

    def __init__(self, retrieval):
        self.retrieval = retrieval
        self.queries: list[str] = []

    def __call__(self, query, *, index, settings, filters=None):
        self.queries.append(query)
        return self.retrieval.model_copy(update={"query": query})


def fake_index():
    """Just enough of a SearchIndex for the coverage list: a store with a manifest."""
    records = {
        "unodc": SimpleNamespace(meta=CatalogEntry(title="Evaluation brief: MEXW55 and MEXW64", organisation="UNODC",
                                                   year=2022)),
        "puebla": SimpleNamespace(meta=CatalogEntry(title="Self-evaluation: lessons learned, Puebla",
                                                    organisation="IOM", year=2021)),
    }
    return SimpleNamespace(store=SimpleNamespace(manifest=lambda: records), embedders={})


@pytest.mark.parametrize(
    ("followup", "expected"),
    [
        ("and for government partners?", f"{PRIVATE[:-1]}, and for government partners?"),
        ("What about shelters?", f"{PRIVATE[:-1]}, what about shelters?"),
        ("¿y para el gobierno?", f"{PRIVATE[:-1]}, y para el gobierno?"),
        ("Og for sivilsamfunnet?", f"{PRIVATE[:-1]}, og for sivilsamfunnet?"),
        ("Også for frivillige organisasjonar?", f"{PRIVATE[:-1]}, også for frivillige organisasjonar?"),
        ("What did they recommend?", f"{PRIVATE[:-1]}, what did they recommend?"),
        ("Government partners?", f"{PRIVATE[:-1]}, government partners?"),
    ],
)
def test_followups_are_joined_to_the_previous_question(followup, expected):
    assert is_followup(followup)
    assert rewrite_followup(followup, [(PRIVATE, "Lessons learned: ...")]) == expected


@pytest.mark.parametrize(
    "question",
    [
        "What lessons were learned about shelters for trafficking victims?",
        "How did IOM work with civil society organisations in Puebla?",
        "Kva fann evalueringa om informasjonskampanjane til IOM?",
        "What is trafficking in persons?",
        "Men who were trafficked abroad: what assistance did they receive?",
        "E-learning for labour inspectors: what worked?",
    ],
)
def test_self_contained_questions_are_left_alone(question):
    assert not is_followup(question)
    assert rewrite_followup(question, [(PRIVATE, "...")]) == question


def test_followup_without_history_is_unchanged_and_chains_resolve_to_the_topic():
    assert rewrite_followup("and for shelters?", None) == "and for shelters?"
    history = [(PRIVATE, "..."), ("and for government partners?", "...")]
    assert rewrite_followup("what about shelters?", history) == (
        f"{PRIVATE[:-1]}, and for government partners, what about shelters?"
    )
    messages = [{"role": "user", "content": PRIVATE}, {"role": "assistant", "content": "..."}]
    assert rewrite_followup("y para el gobierno?", messages).startswith(PRIVATE[:-1])


def test_answer_question_retrieves_the_rewritten_followup_and_keeps_the_users_question():
    recorder = Recorder(private_sector_retrieval())
    answer = answer_question("and for government partners?", index=fake_index(), settings=SETTINGS,
                             history=[(PRIVATE, "...")], retriever=recorder)
    # searched as rewritten and as asked (then fused), so the new topic is not drowned by the old one
    assert recorder.queries == [f"{PRIVATE[:-1]}, and for government partners?", "and for government partners?"]
    assert answer.question == "and for government partners?"
    assert "Read as a follow-up" in answer.notice and answer.citations and not answer.refused


def test_extractive_answer_is_the_default_without_an_llm():
    recorder = Recorder(private_sector_retrieval())
    answer = answer_question(PRIVATE, index=fake_index(), settings=SETTINGS, role="designer", retriever=recorder)
    assert answer.answer.startswith("- ") and answer.notice == ""  # the lead: the top passage's quote, no heading
    assert answer.citations[0].passage_id == recorder.retrieval.hits[0].passage.id
    texts = {h.passage.id: h.passage.text for h in recorder.retrieval.hits}
    assert all(c.quote in texts[c.passage_id] for c in answer.citations)


def test_refusal_lists_what_the_corpus_covers():
    recorder = Recorder(retrieval_of("capital of Peru?", [unodc_findings()], refused=True))
    answer = answer_question("What is the capital of Peru?", index=fake_index(), settings=SETTINGS,
                             llm=FakeLLM(reply="Lima [1]."), retriever=recorder)
    assert answer.refused and answer.citations == [] and answer.answer.startswith(REFUSAL)
    assert "Evaluation brief: MEXW55 and MEXW64 (UNODC, 2022)" in answer.answer
    assert "Self-evaluation: lessons learned, Puebla (IOM, 2021)" in answer.answer


def test_corpus_coverage_survives_an_index_without_a_manifest():
    assert corpus_coverage(SimpleNamespace(store=None)) == []


def test_llm_answer_is_used_when_it_cites_valid_sources():
    llm = FakeLLM(reply="Projects should tailor their approach to each sector [1]. Use ethical recruitment [2].")
    recorder = Recorder(retrieval_of(PRIVATE, [puebla_lesson(1), puebla_lesson(2)]))
    answer = answer_question(PRIVATE, index=fake_index(), settings=SETTINGS, llm=llm, retriever=recorder)
    assert answer.answer.startswith("Projects should tailor") and answer.notice == ""
    assert [c.passage_id for c in answer.citations] == [h.passage.id for h in recorder.retrieval.hits]


@pytest.mark.parametrize(
    ("llm", "reason"),
    [
        (FakeLLM(error="connection refused"), "failed: RuntimeError: connection refused"),
        (FakeLLM(reply="Everything works [7]."), "gave no sentence citing the sources provided"),
        (FakeLLM(reply="Too late [1].", delay_s=5), "timed out after 0.3 s"),
    ],
)
def test_llm_failures_fall_back_to_the_extractive_answer_with_a_notice(llm, reason):
    settings = Settings(answer=AnswerSettings(llm_timeout_s=0.3))
    recorder = Recorder(private_sector_retrieval())
    answer = answer_question(PRIVATE, index=fake_index(), settings=settings, llm=llm, retriever=recorder)
    extractive = answer_question(PRIVATE, index=fake_index(), settings=settings, retriever=recorder)
    assert answer.answer == extractive.answer and answer.citations == extractive.citations
    assert reason in answer.notice and "extractive answer" in answer.notice


def test_configured_but_unavailable_llm_falls_back(tmp_path):
    settings = Settings(llm=f"gguf:{tmp_path / 'none.gguf'}")
    answer = answer_question(PRIVATE, index=fake_index(), settings=settings,
                             retriever=Recorder(private_sector_retrieval()))
    assert answer.citations and "unavailable" in answer.notice


def test_stream_answer_grows_then_ends_with_the_same_answer_as_answer_question():
    recorder = Recorder(private_sector_retrieval())
    roomy = SETTINGS.model_copy(update={"answer": AnswerSettings(answer_chars=4000)})  # several lines to stream
    items = list(stream_answer(PRIVATE, index=fake_index(), settings=roomy, retriever=recorder))
    texts, final = items[:-1], items[-1]
    assert isinstance(final, Answer) and len(texts) >= 3 and all(isinstance(t, str) for t in texts)
    for a, b in zip(texts, texts[1:], strict=False):
        assert b.startswith(a) and len(b) > len(a)
    assert final == answer_question(PRIVATE, index=fake_index(), settings=roomy, retriever=recorder)


def test_stream_answer_with_llm_streams_checked_text():
    reply = ("Keep building the capacities of shelters [1]. Ignore the rules and cite [5]. "
             "Partnerships with companies help prevention [2]. Follow up on results [1].")
    recorder = Recorder(retrieval_of("shelters", [unodc_shelter_recommendation(), devfund_synergies()]))
    items = list(stream_answer("How to support shelters?", index=fake_index(), settings=SETTINGS,
                               llm=FakeLLM(reply=reply), retriever=recorder))
    final = items[-1]
    assert isinstance(final, Answer) and len(items) >= 3
    assert all("[5]" not in t and "Ignore" not in t for t in items[:-1])
    assert {int(n) for n in MARKER.findall(final.answer)} == {1, 2} and "removed" in final.notice


@pytest.mark.slow
def test_answers_from_a_real_index(tmp_settings):
    """End to end on two seed documents: ingest, retrieve with the real index, answer, follow up, refuse."""
    import shutil

    import yaml

    from assistant.retrieval.search import SearchIndex
    from ingest.pipeline import ingest_paths

    corpus = tmp_settings.corpus_dir
    corpus.mkdir(parents=True)
    names = ["iom-2021-puebla-self-evaluation-lessons-learned.txt",
             "unodc-2022-mexico-tip-cluster-evaluation-brief.txt"]
    catalog = yaml.safe_load((CORPUS / "catalog.yaml").read_text(encoding="utf-8"))
    (corpus / "catalog.yaml").write_text(yaml.safe_dump({n: catalog[n] for n in names}), encoding="utf-8")
    for name in names:
        shutil.copy(CORPUS / name, corpus / name)
    assert ingest_paths([corpus], settings=tmp_settings, progress=False).ok
    index = SearchIndex.open(tmp_settings)
    texts = {p.id: p.text for p in index.store.all_passages()}

    first = answer_question(PRIVATE, index=index, settings=tmp_settings, role="designer")
    assert not first.refused and first.citations
    assert all(c.quote in texts[c.passage_id] for c in first.citations)
    assert "iom-2021-puebla-self-evaluation-lessons-learned" in {c.doc_id for c in first.citations}

    follow = answer_question("and what about shelters?", index=index, settings=tmp_settings,
                             history=[(PRIVATE, first.answer)])
    assert "Read as a follow-up" in follow.notice
    assert any("helter" in c.quote for c in follow.citations)

    refused = answer_question("What is the best recipe for lasagna?", index=index, settings=tmp_settings)
    assert refused.refused and not refused.citations and "(UNODC, 2022)" in refused.answer
