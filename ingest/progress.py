"""How far an ingestion has got: `IngestProgress` (pages read, passages embedded, time left), kept up to date by
the pipeline through a `ProgressTracker`, and shown by the CLI's bar (`ProgressBar`) and the app's Documents tab.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import BaseModel
from tqdm import tqdm

Stage = Literal["queued", "reading", "embedding", "done", "failed"]


class IngestProgress(BaseModel):
    """A snapshot of one ingestion's progress."""

    stage: Stage = "queued"
    file: str = ""  # the file being read, or the last document indexed
    files: int = 0  # files to read this run
    files_read: int = 0
    pages_read: int = 0
    pages: int = 0  # pages of the files read so far and of the one being read
    passages: int = 0  # passages to embed (known once their files are read)
    passages_embedded: int = 0
    documents_indexed: int = 0
    elapsed_s: float = 0.0
    seconds_left: float | None = None  # None until a rate is known

    @property
    def finished(self) -> bool:
        """True once the run has ended, well or not."""
        return self.stage in ("done", "failed")

    def line(self) -> str:
        """One line for people: what is happening, how far, how long still."""
        if self.stage == "queued":
            return "waiting for the ingestion before it"
        if self.stage == "reading":
            head = f"reading {self.file}: {self.pages_read} of {self.pages} pages" if self.pages else f"reading {self.file}"
            head += f" (file {min(self.files_read + 1, self.files)} of {self.files})" if self.files > 1 else ""
        elif self.stage == "embedding":
            head = f"embedding: {self.passages_embedded} of {self.passages} passages; {self.pages_read} pages read"
        else:
            head = (f"{self.stage}: {self.documents_indexed} documents, {self.passages_embedded} passages, "
                    f"{self.pages_read} pages in {self.elapsed_s:.0f} s")
        left = "" if self.finished or self.seconds_left is None else f", about {_duration(self.seconds_left)} left"
        return head + left


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


class ProgressTracker:
    """Counts what the pipeline reports (thread-safe) and passes each new snapshot to `on_change`."""

    def __init__(self, on_change: Callable[[IngestProgress], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._state = IngestProgress()
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._stage_started = self._started
        self._steps = 0.0  # embedding work done, in model calls per passage
        self._steps_per_passage = 1
        self._pages_before = 0  # pages of the files read before the current one

    def snapshot(self) -> IngestProgress:
        with self._lock:
            return self._state.model_copy()

    def _update(self, **changes) -> None:
        with self._lock:
            now = self._clock()
            if changes.get("stage", self._state.stage) != self._state.stage:
                self._stage_started = now
            state = self._state.model_copy(update=changes)
            state.elapsed_s = now - self._started
            state.seconds_left = _seconds_left(state, now - self._stage_started)
            self._state = state
        if self._on_change:
            self._on_change(state)

    def reading(self, files: int) -> None:
        """Reading starts: `files` files to read."""
        self._update(stage="reading", files=files)

    def page(self, file: str, number: int, total: int) -> None:
        """Page `number` of `total` of `file` was read."""
        self._update(file=file, pages=self._pages_before + total, pages_read=self._pages_before + number)

    def file_read(self, file: str, passages: int, pages: int = 0) -> None:
        """A file was read and cut into `passages` passages (its pages as reported by `page`, else `pages`)."""
        self._pages_before = max(self._state.pages, self._pages_before + pages)
        s = self._state
        self._update(file=file, files_read=s.files_read + 1, pages=self._pages_before, pages_read=self._pages_before,
                     passages=s.passages + passages)

    def embedding(self, passages: int, steps_per_passage: int = 1) -> None:
        """Embedding starts: `passages` passages, each taking `steps_per_passage` model outputs."""
        with self._lock:
            self._steps, self._steps_per_passage = 0.0, max(1, steps_per_passage)
        self._update(stage="embedding", passages=passages, passages_embedded=0)

    def embedded(self, steps: int) -> None:
        """`steps` more model outputs are done (one per passage and model)."""
        with self._lock:
            self._steps += steps
            done = min(self._state.passages, int(self._steps / self._steps_per_passage))
        self._update(passages_embedded=done)

    def indexed(self, doc_id: str, passages: int) -> None:
        """A document entered the index with `passages` passages."""
        self._update(file=f"{doc_id}: {passages} passages", documents_indexed=self._state.documents_indexed + 1)

    def finish(self, ok: bool = True) -> None:
        """The run ended (`ok`) or was stopped by an error."""
        self._update(stage="done" if ok else "failed")


def _seconds_left(state: IngestProgress, stage_seconds: float) -> float | None:
    """Time left in the current stage at its rate so far (reading: pages of the current file)."""
    if state.stage == "reading" and state.pages_read and state.pages > state.pages_read:
        done, todo = state.pages_read, state.pages - state.pages_read
    elif state.stage == "embedding" and state.passages_embedded:
        done, todo = state.passages_embedded, state.passages - state.passages_embedded
    else:
        return None
    return stage_seconds / done * todo if stage_seconds > 0 else None


class ProgressBar:
    """The CLI's progress bar over a tracker's snapshots: files (with the page) while reading, passages while
    embedding, a line per indexed document."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._stage = ""
        self._indexed = 0

    def __call__(self, state: IngestProgress) -> None:
        if state.stage != self._stage and state.stage in ("reading", "embedding"):
            self.close()
            total, unit = (state.files, "file") if state.stage == "reading" else (state.passages, "passage")
            self._bar = tqdm(total=total, unit=unit, desc=state.stage, file=sys.stderr)
            self._stage = state.stage
        if self._bar is None:
            return
        if state.documents_indexed > self._indexed:
            self._indexed = state.documents_indexed
            self._bar.write(f"indexed {state.file}", file=sys.stderr)
        if state.stage == "reading":
            self._bar.set_postfix_str(f"{state.file} p. {state.pages_read} of {state.pages}" if state.pages
                                      else state.file, refresh=False)
            self._bar.update(state.files_read - self._bar.n)
        elif state.stage == "embedding":
            self._bar.update(state.passages_embedded - self._bar.n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


@contextmanager
def tracking(tracker: ProgressTracker | None, *, bar: bool) -> Iterator[ProgressTracker]:
    """The given tracker, or a new one drawing the CLI bar when `bar`; marked done at the end, failed on an error."""
    drawn = ProgressBar() if bar and tracker is None else None
    tracker = tracker or ProgressTracker(on_change=drawn)
    try:
        yield tracker
        tracker.finish(ok=True)
    except BaseException:
        tracker.finish(ok=False)
        raise
    finally:
        if drawn is not None:
            drawn.close()
