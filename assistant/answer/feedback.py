"""Thumbs up/down on answers, appended to a local JSONL file for later review."""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from assistant.answer.types import Citation
from ingest.settings import Settings

Rating = Literal["up", "down"]
_WRITE_LOCK = threading.Lock()


class FeedbackRecord(BaseModel):
    """One rating of one answer, with what was asked and answered."""

    time: str = Field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    rating: Rating
    question: str
    answer: str
    citations: list[Citation] = Field(default_factory=list)
    role: str | None = None
    comment: str = ""


def feedback_path(settings: Settings) -> Path:
    """Where feedback is written: `settings.server.feedback_file`, relative to the data folder."""
    path = Path(settings.server.feedback_file)
    return path if path.is_absolute() else settings.data_dir / path


def record_feedback(record: FeedbackRecord, *, settings: Settings) -> Path:
    """Append one record as a JSON line (thread-safe within the process); returns the file."""
    path = feedback_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = record.model_dump_json() + "\n"
    with _WRITE_LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(line)
    return path
