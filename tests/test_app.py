"""The web app: the real Gradio server driven through gradio_client (helpers: test_app_helpers.py)."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from app_server import SEED_CORPUS, running_app, seeded_settings
from assistant.answer.feedback import feedback_path
from ingest.models import Passage
from ingest.settings import Settings

UNODC_FILE = "unodc-2022-mexico-tip-cluster-evaluation-brief.txt"
APPAREL = "How can we engage the apparel private sector on TiP?"
UNODC_REC = (
    "Give continuity to the collaboration agreements developed with private sector companies that can be "
    "central for delivering prevention messages against TIP, helping sustain the Blue Heart campaign in strategic spaces."
)


# ---------------------------------------------------------------- the real server (slow)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(client, settings, url) for a real server over an ingested copy of the seed corpus."""
    from gradio_client import Client

    settings = seeded_settings(tmp_path_factory.mktemp("app"), ingest={"max_file_mb": 1.0})
    with running_app(settings) as url:
        yield Client(url, verbose=False), settings, url


def _passages(settings: Settings) -> dict[str, Passage]:
    from ingest.store import open_store

    return {p.id: p for p in open_store(settings).all_passages()}


def _ask(client, question: str, *, history=(), filters=None, role: str = "") -> tuple[str, list[dict]]:
    answer, citations = client.predict(
        question, json.dumps(list(history)), json.dumps(filters or {}), role, api_name="/ask"
    )
    return answer, citations


@pytest.mark.slow
def test_ask_cites_verbatim_passages(served) -> None:
    client, settings, _ = served
    answer, citations = _ask(client, APPAREL, role="designer")
    assert "[1]" in answer and citations
    passages = _passages(settings)
    for c in citations:
        assert c["quote"] in passages[c["passage_id"]].text
    assert any(c["doc_id"].startswith("iom-2021-puebla") for c in citations), citations


@pytest.mark.slow
def test_follow_up_uses_the_conversation(served) -> None:
    client, settings, _ = served
    first, _ = _ask(client, APPAREL)
    alone, alone_cites = _ask(client, "and for government partners?")
    follow, cites = _ask(client, "and for government partners?", history=[[APPAREL, first]])
    assert cites and "[1]" in follow
    assert "Read as a follow-up" in follow and "Read as a follow-up" not in alone
    passages = _passages(settings)
    texts = [passages[c["passage_id"]].text.lower() for c in cites]
    assert any("private sector" in t for t in texts)  # the topic carried over from the first question
    assert any("government" in t for t in texts)  # the follow-up's own angle
    assert cites != alone_cites


@pytest.mark.slow
@pytest.mark.parametrize(
    "filters",
    [{"kinds": ["recommendation"]}, {"doc_ids": ["unodc-2022-mexico-tip-cluster-evaluation-brief"]}],
)
def test_filters_restrict_citations(served, filters) -> None:
    client, _, _ = served
    _, unfiltered = _ask(client, APPAREL)
    _, citations = _ask(client, APPAREL, filters=filters)
    assert citations
    for c in citations:
        if "kinds" in filters:
            assert c["kind"] in filters["kinds"]
        else:
            assert c["doc_id"] in filters["doc_ids"]
    assert citations != unfiltered


@pytest.mark.slow
def test_coverage_check_judges_lines(served) -> None:
    client, _, _ = served
    unrelated = "Replace the office printers with a leasing contract before the next fiscal year."
    rows = client.predict(f"- {UNODC_REC}\n\n{unrelated}\n", "{}", api_name="/coverage")
    assert [r["line"] for r in rows] == [UNODC_REC, unrelated]
    covered, new = rows
    assert covered["verdict"] == "covered" and covered["doc_id"].startswith("unodc-2022")
    assert covered["quote"] and covered["title"] and covered["year"] == 2022
    assert new["verdict"] == "new" and new["score"] < covered["score"]


@pytest.mark.slow
def test_feedback_is_written(served) -> None:
    client, settings, _ = served
    answer, citations = _ask(client, APPAREL)
    message = client.predict("up", APPAREL, answer, json.dumps(citations), "designer", api_name="/feedback")
    assert "recorded" in message
    record = json.loads(feedback_path(settings).read_text().splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == APPAREL and record["answer"] == answer
    assert record["citations"][0]["passage_id"] == citations[0]["passage_id"]


def _corrupt_pdf(path: Path) -> Path:
    path.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n this is not a pdf body \x00\x01\x02" * 20)
    return path


def _job(client, job_id: int) -> dict:
    return next(j for j in client.predict(api_name="/ingest_status") if j["id"] == job_id)


def _queue(client, src: Path, save_as: str = "", title: str = "", organisation: str = "", year: str = "") -> tuple[str, int | None]:
    """Upload a file; the message and the id of its queued job (None when refused at once)."""
    from gradio_client import handle_file

    message, _ = client.predict(handle_file(src), save_as, title, organisation, year, api_name="/upload")
    found = re.search(r"Upload (\d+);", message)
    return message, int(found[1]) if found else None


def _finished(client, job_id: int, *, polls: int = 2400) -> dict:
    """The job once it is added or refused (polled twice a second; the test's timeout bounds the wait)."""
    for _ in range(polls):
        job = _job(client, job_id)
        if job["state"] in ("added", "refused"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"upload {job_id} still {job['state']}")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "make", "save_as", "reason"),
    [
        ("big.txt", lambda p: p.write_text("words and more words\n" * 80_000), "", "too large"),
        ("fine.txt", lambda p: p.write_text("A short but readable note about shelters.\n" * 20), "../evil.txt", "not allowed"),
        ("tool.exe", lambda p: p.write_bytes(b"MZ\x90\x00" * 100), "", "Unsupported file type .exe"),
        ("broken.pdf", _corrupt_pdf, "", "Could not read"),
        ("copy.txt", lambda p: p.write_bytes((SEED_CORPUS / UNODC_FILE).read_bytes()), "", "same content as"),
    ],
)
def test_upload_refusals_leave_the_index_unchanged(served, tmp_path, name, make, save_as, reason) -> None:
    client, settings, _ = served
    src = tmp_path / name
    make(src)
    before_docs = client.predict(api_name="/documents")
    before_files = sorted(p.name for p in settings.corpus_dir.iterdir())
    before_catalog = (settings.corpus_dir / "catalog.yaml").read_text()
    message, job_id = _queue(client, src, save_as, "A title", "IOM", "2021")
    if job_id is None:  # refused by the quick checks, before queueing
        assert "Not added" in message and reason in message, message
    else:  # refused when its turn came
        job = _finished(client, job_id)
        assert job["state"] == "refused" and reason in job["message"], job
    assert client.predict(api_name="/documents") == before_docs
    assert sorted(p.name for p in settings.corpus_dir.iterdir()) == before_files
    assert (settings.corpus_dir / "catalog.yaml").read_text() == before_catalog
    assert not (settings.corpus_dir.parent / "evil.txt").exists()


@pytest.mark.slow
def test_upload_adds_a_document_with_its_metadata(served, tmp_path) -> None:
    client, settings, _ = served
    src = tmp_path / "Field notes 2023.md"
    src.write_text(
        "# Field notes on labour inspection\n\n## Recommendations\n\n"
        "- Labour inspectors should receive joint training with prosecutors on identifying forced labour "
        "in agricultural supply chains, because inspections alone rarely lead to prosecutions.\n"
        "- Municipal authorities should map recruitment agencies operating in the region and share the "
        "register with the labour inspectorate every six months.\n"
    )
    message, job_id = _queue(client, src, "", "Field notes on labour inspection", "ILO", "2023")
    assert "Queued" in message and job_id, message
    job = _finished(client, job_id)
    assert job["state"] == "added" and "Added" in job["message"], job
    docs = {d["file"]: d for d in client.predict(api_name="/documents")}
    doc = docs["Field-notes-2023.md"]
    assert (doc["title"], doc["organisation"], doc["year"]) == ("Field notes on labour inspection", "ILO", 2023)
    assert doc["passages"] >= 1 and (settings.corpus_dir / "Field-notes-2023.md").exists()
    assert job["doc_id"] == doc["doc_id"] and job["progress"]["stage"] == "done"
    assert job["progress"]["passages_embedded"] == doc["passages"] == job["passages"]
    report = client.predict(doc["doc_id"], api_name="/document_report")
    assert report["passages"] == doc["passages"] and report["passages_by_kind"]
    _, citations = _ask(client, "Who should labour inspectors train with?", filters={"doc_ids": [doc["doc_id"]]})
    assert citations and citations[0]["organisation"] == "ILO"


@pytest.mark.slow
def test_two_uploads_queue_and_both_are_ingested_in_order(served, tmp_path) -> None:
    client, _, _ = served
    files = []
    for n, topic in enumerate(["safe migration counselling", "reintegration grants"], start=1):
        src = tmp_path / f"queued-{n}.md"
        src.write_text(f"# Queued note {n} on {topic}\n\n" + "\n\n".join(
            f"Observation {k} on {topic}: partners in district {k + n} reported that {topic} worked best when "
            f"municipal staff and civil society met every month and shared their case lists." for k in range(12)))
        files.append(src)
    (first_message, first), (second_message, second) = _queue(client, files[0]), _queue(client, files[1])
    assert first and second and second > first, (first_message, second_message)
    assert "1 ahead of it" in second_message, second_message  # the first is still being ingested
    seen = []
    while True:  # watch the queue: the second never starts before the first is in
        jobs = {j["id"]: j for j in client.predict(api_name="/ingest_status")}
        seen.append((jobs[first]["state"], jobs[second]["state"]))
        if jobs[second]["state"] in ("added", "refused"):
            break
        time.sleep(0.3)
    assert all(b == "queued" for a, b in seen if a in ("queued", "ingesting")), seen
    assert (jobs[first]["state"], jobs[second]["state"]) == ("added", "added"), jobs
    files_indexed = {d["file"] for d in client.predict(api_name="/documents")}
    assert {"queued-1.md", "queued-2.md"} <= files_indexed


@pytest.mark.slow
def test_shared_deployment_requires_login(served) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    client, settings, _ = served
    shared = settings.model_copy(update={"server": settings.server.model_copy(update={"username": "team", "password": "s3cret"})})
    with running_app(shared) as url:
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False).predict(api_name="/documents")
        with pytest.raises(ValueError, match="Could not login"):
            Client(url, auth=("team", "wrong"), verbose=False)
        docs = Client(url, auth=("team", "s3cret"), verbose=False).predict(api_name="/documents")
        assert docs == client.predict(api_name="/documents")
