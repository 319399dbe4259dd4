"""One ingestion at a time per index: a second one waits for the lock, then refuses or runs after the first."""

from __future__ import annotations

import os
import threading
import time

import pytest

from ingest.lock import IngestLocked, ingest_lock
from ingest.pipeline import ingest_paths
from ingest.store import open_store


def test_a_second_ingestion_waits_then_refuses(small_corpus, tmp_settings):
    with ingest_lock(tmp_settings.data_dir, timeout_s=0):
        start = time.monotonic()
        with pytest.raises(IngestLocked, match=rf"another ingestion is running \(pid {os.getpid()}\)"):
            ingest_paths([small_corpus], settings=tmp_settings, progress=False, lock_timeout_s=0.5)
        assert time.monotonic() - start >= 0.5
    assert not (tmp_settings.chroma_dir).exists() or open_store(tmp_settings).manifest() == {}


def test_a_waiting_ingestion_runs_after_the_first_finishes(small_corpus, tmp_settings):
    release = threading.Event()

    def hold():
        with ingest_lock(tmp_settings.data_dir, timeout_s=0):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    threading.Timer(0.5, release.set).start()
    summary = ingest_paths([small_corpus], settings=tmp_settings, progress=False, lock_timeout_s=10)
    holder.join()
    assert summary.added == 3
