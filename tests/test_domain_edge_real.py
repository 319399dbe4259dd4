"""The domain's edge over a real report: a country the corpus mentions but the evidence found is not about is said
before the evidence; the country the report is about is not."""

from __future__ import annotations

import shutil

import pytest

from assistant.answer.compose import compose_answer
from assistant.retrieval.search import SearchIndex, retrieve
from ingest.pipeline import ingest_paths
from ingest_helpers import REAL_REPORTS
from tests.app_server import seeded_settings

STUDY = "Polaris_2023_In_Harms_Way_Survivor_Study.pdf"  # a survey of survivors in the United States

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not (REAL_REPORTS / STUDY).is_file(), reason=f"real reports not found at {REAL_REPORTS}")]


@pytest.fixture(scope="module")
def seeded_with_study(tmp_path_factory):
    settings = seeded_settings(tmp_path_factory.mktemp("edge"))  # the seed corpus names Canada (a donor)
    shutil.copy(REAL_REPORTS / STUDY, settings.corpus_dir / STUDY)
    summary = ingest_paths([settings.corpus_dir], settings=settings, progress=False)
    assert not summary.failed
    return settings, SearchIndex.open(settings)


def test_a_country_the_corpus_mentions_but_the_study_found_is_not_about_is_said_first(seeded_with_study):
    settings, index = seeded_with_study
    question = "How many trafficking survivors living in Canada answered the national survivor survey?"
    retrieval = retrieve(question, index=index, settings=settings)
    assert not retrieval.refused and retrieval.unknowns.names == []  # Canada is in the corpus
    assert retrieval.hits[0].passage.doc_id.startswith("polaris")
    assert retrieval.unknowns.not_in_evidence == ["Canada"]
    answer = compose_answer(question, retrieval, settings=settings)
    assert answer.answer.startswith("None of the reports found is about Canada; the nearest evidence is:\n- ")
    assert answer.citations and answer.absent == ["Canada"]
    spanish = retrieve("¿Cuántos sobrevivientes de trata en Estados Unidos respondieron la encuesta nacional?",
                       index=index, settings=settings)
    assert spanish.hits[0].passage.doc_id.startswith("polaris") and spanish.unknowns.not_in_evidence == []
