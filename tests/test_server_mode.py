"""Chroma server mode end to end: the real `lessons` CLI against a real `chroma run`, in separate processes.

Only LESSONS_CHROMA_URL changes; every process keeps its own data folder (BM25 cache, lock), as separate
machines would. The keyword index must always reflect what the server holds (same fingerprint).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chroma_server import chroma_server  # noqa: F401 - the fixture
from ingest.settings import PROJECT_ROOT, Settings
from ingest.snapshot.build import load_or_build_keyword
from ingest.store import open_store

pytestmark = [pytest.mark.server, pytest.mark.slow]

LESSONS = str(Path(sys.executable).parent / "lessons")
CORPUS = PROJECT_ROOT / "corpus"
PUEBLA = "iom-2021-puebla-self-evaluation-lessons-learned"
APPAREL_QUESTION = "How do we get apparel manufacturers interested in working with us against trafficking?"
FISHERIES_QUESTION = "How were trafficked fishermen identified during port inspections of fishing vessels?"
FISHERIES_DOC = """# Forced labour at sea: port inspections in the Gulf of Guinea, 2023

## Findings

Labour inspectors boarded 212 fishing vessels in Tema and Abidjan between March and October 2023. Trafficked
fishermen were identified through private interviews held away from the captain, in the crew's own language,
with a checklist of forced-labour indicators: confiscated identity documents, unpaid wages and debt bondage.

Port state control officers and labour inspectors shared one referral form, so that a fisherman identified
during an inspection was handed to a shelter within 24 hours instead of being returned to the vessel.

## Recommendations

- Train port inspectors to interview fishermen separately from officers, with interpreters who speak the crew's language.
- Make transshipment at sea subject to prior notification, because trafficked crews were moved between vessels to avoid inspection.
"""


def run_lessons(*args: str, data_dir: Path, url: str) -> subprocess.CompletedProcess:
    """The `lessons` console script in its own process, pointed at the server (e5 only, no LLM)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LESSONS_")}
    env.update({"LESSONS_CHROMA_URL": url, "LESSONS_DATA_DIR": str(data_dir), "LESSONS_THREADS": "2"})
    proc = subprocess.run([LESSONS, "--embedder", "e5", *args], env=env, capture_output=True, text=True,
                          timeout=900, cwd=data_dir.parent)
    assert proc.returncode == 0, f"lessons {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
    return proc


def search_json(question: str, *, data_dir: Path, url: str) -> dict:
    """`lessons search --json` from a fresh process."""
    proc = run_lessons("search", "--json", "-k", "8", question, data_dir=data_dir, url=url)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def settings_for(url: str, data_dir: Path) -> Settings:
    return Settings(chroma_url=url, data_dir=data_dir, embedders=["e5"], threads=2, llm=None)


@pytest.fixture(scope="module")
def served(chroma_server: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:  # noqa: F811
    """The seed corpus ingested into the server by a `lessons ingest` process; yields (url, root folder)."""
    root = tmp_path_factory.mktemp("served")
    proc = run_lessons("ingest", "--quiet", str(CORPUS), data_dir=root / "ingester", url=chroma_server)
    assert "4 added" in proc.stdout, proc.stdout
    return chroma_server, root


def test_ingest_and_search_go_through_the_server(served):
    url, root = served
    result = search_json(APPAREL_QUESTION, data_dir=root / "searcher", url=url)
    assert not result["refused"]
    assert any(p["doc_id"] == PUEBLA and "Apparel industry" in p["text"] for p in result["passages"]), result
    stats = json.loads(run_lessons("stats", "--json", data_dir=root / "searcher", url=url).stdout)
    assert stats["location"] == url
    assert len(stats["documents"]) == 4
    assert stats["embedders"]["e5"]["records"] == stats["passages"] > 100
    for folder in ("ingester", "searcher"):  # no process wrote an embedded Chroma database
        assert not (root / folder / "chroma").exists()


def test_keyword_index_matches_what_the_server_holds(served):
    url, root = served
    settings = settings_for(url, root / "inproc")
    store = open_store(settings)
    built = load_or_build_keyword(store, settings)
    assert built.fingerprint == store.fingerprint()
    assert (root / "inproc" / "snapshot" / built.fingerprint / "fingerprint.txt").is_file()
    manifest = store.manifest()
    col = store.client.get_collection("passages_e5")
    server_ids = col.get(include=[])["ids"]
    assert len(server_ids) == len(set(server_ids)) == col.count() == sum(r.passages for r in manifest.values())
    assert sorted(p.id for p in built.passages) == sorted(server_ids)
    loaded = load_or_build_keyword(open_store(settings), settings)  # second time: read back from disk, same content
    assert loaded.fingerprint == built.fingerprint and loaded.passages == built.passages
    top, _ = loaded.search("apparel industry textile private sector", k=3)[0]
    assert top.doc_id == PUEBLA


def test_a_second_process_sees_documents_ingested_by_another(served, tmp_path):
    from assistant.retrieval.search import SearchIndex, retrieve

    url, root = served
    live = SearchIndex.open(settings_for(url, root / "live"))  # a long-running reader, opened before the ingestion
    before = search_json(FISHERIES_QUESTION, data_dir=root / "searcher", url=url)  # caches BM25 for the old content
    stale = {p.name for p in (root / "searcher" / "snapshot").iterdir()}
    assert not any("fisheries" in p["doc_id"] for p in before["passages"])

    new = tmp_path / "new"
    new.mkdir()
    (new / "gulf-fisheries-2023.txt").write_text(FISHERIES_DOC, encoding="utf-8")
    proc = run_lessons("ingest", "--quiet", str(new), data_dir=root / "ingester", url=url)
    assert "1 added" in proc.stdout and "5 in the index" in proc.stdout, proc.stdout

    after = search_json(FISHERIES_QUESTION, data_dir=root / "searcher", url=url)
    assert after["passages"][0]["doc_id"] == "gulf-fisheries-2023", after
    store = open_store(settings_for(url, root / "searcher"))
    current = store.fingerprint()
    assert current not in stale
    assert (root / "searcher" / "snapshot" / current / "fingerprint.txt").is_file()  # that process rebuilt BM25
    keyword = load_or_build_keyword(store, settings_for(url, root / "searcher"))
    assert keyword.fingerprint == current
    hits = keyword.search("transshipment fishermen port inspectors", k=3)
    assert hits and hits[0][0].doc_id == "gulf-fisheries-2023"

    assert live.refresh() is True  # the long-running reader picks the new document up as well
    assert live.keyword.fingerprint == current
    found = retrieve(FISHERIES_QUESTION, index=live, settings=live.settings)
    assert not found.refused and found.hits[0].passage.doc_id == "gulf-fisheries-2023"
