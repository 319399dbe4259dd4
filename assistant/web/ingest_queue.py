"""Uploads ingested in the background, one after another, by a single worker thread, so chat never waits.

Each upload is a job with a state and live progress (`ingest.progress`); the app's Documents tab and the
`/ingest_status` endpoint read them. When a job's document is in, `on_added` runs (the app swaps in the new
search snapshot) before the job says "added", so chat answers from the previous index until then.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from assistant.web.uploads import UploadRefused, UploadResult
from ingest.progress import IngestProgress, ProgressTracker

log = logging.getLogger(__name__)
JobState = Literal["queued", "ingesting", "added", "refused"]
Work = Callable[[ProgressTracker], UploadResult]


class UploadJob(BaseModel):
    """One upload waiting for, in, or through ingestion."""

    id: int
    file_name: str
    state: JobState = "queued"
    message: str = ""
    progress: IngestProgress = Field(default_factory=IngestProgress)
    doc_id: str = ""
    passages: int = 0

    @property
    def finished(self) -> bool:
        return self.state in ("added", "refused")


class IngestQueue:
    """A FIFO of upload jobs and the one worker thread that runs them (started on the first job)."""

    def __init__(self, on_added: Callable[[], None] = lambda: None) -> None:
        self._on_added = on_added
        self._jobs: dict[int, UploadJob] = {}
        self._todo: queue.Queue[tuple[int, Work]] = queue.Queue()
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def submit(self, file_name: str, work: Work) -> UploadJob:
        """Queue `work` (called with a progress tracker, in its turn); returns the job as queued."""
        with self._lock:
            job = UploadJob(id=len(self._jobs) + 1, file_name=file_name,
                            message=f"{file_name!r} is queued for ingestion.")
            self._jobs[job.id] = job
            self._todo.put((job.id, work))
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="ingest-worker", daemon=True)
                self._worker.start()
            return job.model_copy(deep=True)

    def jobs(self) -> list[UploadJob]:
        """Every job of this process, oldest first (copies)."""
        with self._lock:
            return [job.model_copy(deep=True) for job in self._jobs.values()]

    def waiting_names(self) -> set[str]:
        """File names of the jobs not finished yet (a second upload of the same name is refused)."""
        with self._lock:
            return {job.file_name for job in self._jobs.values() if not job.finished}

    def ahead_of(self, job_id: int) -> int:
        """How many unfinished jobs come before this one."""
        with self._lock:
            return sum(1 for job in self._jobs.values() if job.id < job_id and not job.finished)

    def _set(self, job_id: int, **changes) -> None:
        with self._lock:
            job = self._jobs[job_id]
            self._jobs[job_id] = job.model_copy(update=changes)

    def _run(self) -> None:
        while True:
            job_id, work = self._todo.get()
            self._set(job_id, state="ingesting", message="")
            tracker = ProgressTracker(on_change=lambda state, job_id=job_id: self._set(job_id, progress=state))
            try:
                result = work(tracker)
                self._on_added()
            except UploadRefused as exc:
                self._set(job_id, state="refused", message=str(exc))
            except Exception as exc:  # noqa: BLE001 - the worker must survive any one upload
                log.exception("ingesting upload job %s failed", job_id)
                self._set(job_id, state="refused", message=f"Ingestion failed ({type(exc).__name__}: {exc}).")
            else:
                self._set(job_id, state="added", message=result.message, doc_id=result.doc_id,
                          passages=result.passages)
            finally:
                self._todo.task_done()
