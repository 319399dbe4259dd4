"""50 concurrent chat sessions against `lessons serve` in its own process, through gradio_client on the loopback
interface.

Each session is its own client (its own Gradio session) asking a question and then a follow-up with the
conversation so far. Bounded: 50 sessions, one thread each, a deadline for the whole run. Every answer must
arrive without error and be cited, with quotes taken verbatim from stored passages; the p95 latency is printed.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np
import pytest

from app_server import seeded_settings, served_app
from ingest.store import open_store

pytestmark = pytest.mark.slow

SESSIONS = 50
DEADLINE_S = 480
QUESTIONS = [
    "How do we get apparel manufacturers interested in working with us against trafficking?",
    "What should a project put in place before it ends so that its results are kept up afterwards?",
    "Businesses and the state authorities in our project distrust each other. How can we get them to collaborate?",
    "What should we look at when choosing NGOs to partner with on victim assistance?",
    "How can shelters for trafficking victims be strengthened?",
    "What challenges did counter-trafficking projects face during implementation?",
]
FOLLOW_UP = "And what were the challenges?"
ROLES = ["", "designer", "trainer", "evaluator"]


def chat_session(url: str, n: int) -> list[tuple[float, str, list[dict]]]:
    """One user: a question, then a follow-up carrying the history; (seconds, answer, citations) per turn."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    question = QUESTIONS[n % len(QUESTIONS)]
    turns = []
    history: list[list[str]] = []
    for text in (question, FOLLOW_UP):
        start = time.perf_counter()
        answer, citations = client.predict(text, json.dumps(history), "{}", ROLES[n % len(ROLES)], api_name="/ask")
        turns.append((time.perf_counter() - start, answer, citations))
        history.append([text, answer])
    return turns


@pytest.mark.timeout(DEADLINE_S + 240)
def test_fifty_concurrent_chat_sessions_are_all_answered_with_citations(tmp_path):
    settings = seeded_settings(tmp_path / "app")
    passages = {p.id: p for p in open_store(settings).all_passages()}
    with served_app(settings, log=tmp_path / "serve.log") as url:
        assert url.startswith("http://127.0.0.1:")
        pool = ThreadPoolExecutor(max_workers=SESSIONS, thread_name_prefix="session")
        started = time.perf_counter()
        futures = [pool.submit(chat_session, url, n) for n in range(SESSIONS)]
        done, pending = wait(futures, timeout=DEADLINE_S)
        wall = time.perf_counter() - started
        pool.shutdown(wait=not pending, cancel_futures=True)
        assert not pending, f"{len(pending)} of {SESSIONS} sessions still running after {DEADLINE_S}s"
        sessions = [f.result() for f in futures]  # re-raises the first error of any session

    latencies = [seconds for turns in sessions for seconds, _, _ in turns]
    for turns in sessions:
        for _, answer, citations in turns:
            assert citations and "[1]" in answer, answer[:500]
            for c in citations:
                assert c["quote"] in passages[c["passage_id"]].text
    p50, p95 = np.percentile(latencies, 50) * 1000, np.percentile(latencies, 95) * 1000
    print(f"\n{SESSIONS} concurrent sessions, {len(latencies)} answers in {wall:.1f}s: "
          f"latency p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    assert len(latencies) == 2 * SESSIONS
