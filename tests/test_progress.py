"""Ingestion progress (pages read, passages embedded, time left) and the background queue of uploads."""

from __future__ import annotations

import threading

import pytest

from assistant.web.ingest_queue import IngestQueue
from assistant.web.render import ingest_status_html
from assistant.web.uploads import UploadRefused, UploadResult
from ingest.progress import ProgressBar, ProgressTracker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_reading_counts_pages_across_files_and_estimates_time_left():
    clock, seen = Clock(), []
    tracker = ProgressTracker(on_change=seen.append, clock=clock)
    tracker.reading(files=2)
    clock.now += 2
    tracker.page("a.pdf", 1, 4)
    clock.now += 2
    tracker.page("a.pdf", 2, 4)
    state = tracker.snapshot()
    assert (state.stage, state.pages_read, state.pages, state.file) == ("reading", 2, 4, "a.pdf")
    assert state.seconds_left == pytest.approx(4.0)  # 4 s for 2 pages, 2 pages to go
    assert "2 of 4 pages" in state.line() and "file 1 of 2" in state.line() and "4 s left" in state.line()
    tracker.page("a.pdf", 4, 4)
    tracker.file_read("a.pdf", passages=7)
    tracker.file_read("notes.md", passages=3)  # no pages of its own
    tracker.page("c.pdf", 1, 10)
    state = tracker.snapshot()
    assert (state.files_read, state.pages_read, state.pages, state.passages) == (2, 5, 14, 10)
    assert len(seen) == 7 and seen[-1] == state


def test_embedding_counts_passages_over_every_model_output():
    clock = Clock()
    tracker = ProgressTracker(clock=clock)
    tracker.embedding(10, steps_per_passage=2)  # dense and sparse outputs for each passage
    assert tracker.snapshot().seconds_left is None  # no rate yet
    clock.now += 3
    tracker.embedded(4)
    tracker.embedded(2)
    state = tracker.snapshot()
    assert (state.stage, state.passages_embedded) == ("embedding", 3)
    assert state.seconds_left == pytest.approx(7.0)  # 3 s for 3 passages, 7 to go
    tracker.embedded(100)
    assert tracker.snapshot().passages_embedded == 10  # never past the total
    tracker.indexed("doc-a", 10)
    tracker.finish()
    done = tracker.snapshot()
    assert done.finished and done.stage == "done" and done.documents_indexed == 1 and done.seconds_left is None
    assert "1 documents, 10 passages" in done.line()


def test_progress_bar_draws_reading_then_embedding_with_a_line_per_document(capsys):
    tracker = ProgressTracker(on_change=(bar := ProgressBar()))
    tracker.reading(files=1)
    tracker.page("a.pdf", 1, 2)
    tracker.file_read("a.pdf", passages=2)
    tracker.embedding(2)
    tracker.embedded(2)
    tracker.indexed("doc-a", 2)
    bar.close()
    err = capsys.readouterr().err
    assert "reading" in err and "1/1" in err and "embedding" in err and "2/2" in err and "indexed doc-a: 2 passages" in err


def _result(name: str) -> UploadResult:
    return UploadResult(file_name=name, doc_id=name, title=name, passages=3, message=f"Added {name}.")


def test_uploads_queue_behind_each_other_and_finish_in_order():
    release, started, order, swaps = threading.Event(), threading.Event(), [], []
    jobs = IngestQueue(on_added=lambda: swaps.append(list(order)))

    def first(tracker):
        started.set()
        tracker.reading(1)
        tracker.page("first.pdf", 3, 9)
        release.wait(10)
        order.append("first")
        return _result("first.pdf")

    def second(tracker):
        order.append("second")
        return _result("second.pdf")

    def refused(tracker):
        raise UploadRefused("'third.txt' gave no passages to index (too little text?).")

    one, two, three = jobs.submit("first.pdf", first), jobs.submit("second.pdf", second), jobs.submit("third.txt", refused)
    assert started.wait(10)
    running, waiting, last = jobs.jobs()
    assert (running.state, waiting.state, last.state) == ("ingesting", "queued", "queued")
    assert running.progress.pages_read == 3 and jobs.ahead_of(two.id) == 1 and jobs.ahead_of(three.id) == 2
    assert jobs.waiting_names() == {"first.pdf", "second.pdf", "third.txt"}
    html = ingest_status_html(jobs.jobs())
    assert "Ingesting first.pdf" in html and 'value="3" max="9"' in html and "second.pdf</b> is queued" in html
    release.set()
    jobs._todo.join()
    states = [(j.id, j.state, j.doc_id) for j in jobs.jobs()]
    assert states == [(one.id, "added", "first.pdf"), (two.id, "added", "second.pdf"), (three.id, "refused", "")]
    assert order == ["first", "second"] and swaps == [["first"], ["first", "second"]]  # index swapped after each
    assert "Not added: 'third.txt' gave no passages" in ingest_status_html(jobs.jobs())
    assert not jobs.waiting_names()


def test_a_pdf_reports_each_page_as_it_is_read(tmp_path):
    from fixtures_docs import make_pdf

    from ingest.load import load_file

    pages = []
    load_file(make_pdf(tmp_path / "r.pdf"), catalog={}, max_bytes=10**7, on_page=lambda n, total: pages.append((n, total)))
    assert pages == [(1, 3), (2, 3), (3, 3)]
