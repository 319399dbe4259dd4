"""One ingestion at a time per data directory: an exclusive `flock` on data_dir/ingest.lock."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class IngestLocked(RuntimeError):
    """Another ingestion holds the lock and did not finish within the waiting time."""


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


@contextmanager
def ingest_lock(data_dir: Path, *, timeout_s: float = 30.0) -> Iterator[None]:
    """Hold the data directory's ingestion lock, waiting up to `timeout_s` for another holder to finish.

    The lock is on an open file, so the kernel releases it if the holder dies (even by SIGKILL).
    Raises IngestLocked naming the holder's pid when the wait runs out.
    """
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "ingest.lock"
    fh = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole ingestion
    deadline = time.monotonic() + max(0.0, timeout_s)
    try:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestLocked(
                        f"another ingestion is running (pid {_holder(path)}) on {data_dir}; "
                        f"waited {timeout_s:g}s. Try again when it has finished."
                    ) from None
                time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.truncate(0)
            fh.flush()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()
