"""Adding a user's document to the corpus: quick checks and a private staged copy when it arrives
(`accept_upload`), then, in its turn, copy into the corpus, catalog and ingest (`add_document`).

A failed ingest is rolled back: the corpus, the catalog and the index are as before.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections.abc import Collection
from pathlib import Path

import yaml
from pydantic import BaseModel

from ingest.load import SUPPORTED, LoadError, load_file, slugify
from ingest.lock import IngestLocked
from ingest.models import CatalogEntry
from ingest.pipeline import IngestSummary, ingest_paths
from ingest.progress import ProgressTracker
from ingest.settings import Settings
from ingest.store import open_store

CATALOG_NAME = "catalog.yaml"
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_INGEST_LOCK = threading.Lock()  # one upload at a time per process


class UploadRefused(ValueError):
    """A clear, user-facing reason why an upload was not added."""


class UploadMeta(BaseModel):
    """Optional catalog metadata typed by the uploader."""

    title: str = ""
    organisation: str = ""
    year: int | None = None

    def is_empty(self) -> bool:
        """True when the uploader gave no metadata at all."""
        return not (self.title or self.organisation or self.year)


class UploadResult(BaseModel):
    """What happened to an upload that was accepted."""

    file_name: str
    doc_id: str
    title: str
    passages: int
    message: str


def safe_filename(name: str) -> str:
    """A file name that can only land directly inside the corpus folder; refuses names that try to escape."""
    raw = (name or "").strip()
    if not raw:
        raise UploadRefused("The file has no name.")
    if "/" in raw or "\\" in raw or "\x00" in raw or raw in {".", ".."} or ".." in raw:
        raise UploadRefused(
            f"File name {raw!r} is not allowed: a name may not contain path separators or '..'."
        )
    stem, dot, ext = raw.rpartition(".")
    if not dot:
        stem, ext = raw, ""
    stem = _SAFE_CHARS.sub("-", stem).strip("-.") or "document"
    ext = _SAFE_CHARS.sub("", ext).lower()
    return f"{stem[:120]}.{ext}" if ext else stem[:120]


def parse_year(text: str | int | float | None) -> int | None:
    """An optional year typed in a form field; refuses anything that is not a plausible year."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    try:
        year = int(float(str(text).strip()))
    except ValueError:
        raise UploadRefused(f"Year {text!r} is not a number; type a year such as 2021, or leave it empty.") from None
    if not 1900 <= year <= 2100:
        raise UploadRefused(f"Year {year} is out of range; type a year between 1900 and 2100.")
    return year


def _check_file(src: Path, name: str, *, settings: Settings) -> None:
    """Refuse unsupported types and oversized files before reading them."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        kinds = ", ".join(sorted(SUPPORTED))
        shown = suffix or "(no extension)"
        raise UploadRefused(f"Unsupported file type {shown} for {name!r}. Supported types: {kinds}.")
    size_mb = src.stat().st_size / (1024 * 1024)
    if size_mb > settings.ingest.max_file_mb:
        raise UploadRefused(
            f"{name!r} is too large ({size_mb:.1f} MB); the limit is {settings.ingest.max_file_mb:g} MB."
        )


def _append_catalog(catalog: Path, name: str, entry: CatalogEntry) -> None:
    """Append one entry to the catalog as text, keeping the existing entries and comments intact."""
    data = {name: entry.model_dump(mode="json", exclude={"guessed"})}
    block = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    existing = catalog.read_text(encoding="utf-8") if catalog.exists() else ""
    sep = "" if not existing or existing.endswith("\n") else "\n"
    catalog.write_text(existing + sep + block, encoding="utf-8")


class PendingUpload(BaseModel):
    """An upload that passed the quick checks and waits, as a private staged copy, to be ingested."""

    file_name: str  # the safe name it will have in the corpus
    staged: Path
    meta: UploadMeta


def accept_upload(src: Path, *, file_name: str | None, meta: UploadMeta, settings: Settings,
                  taken_names: Collection[str] = (), known_doc_ids: Collection[str] = ()) -> PendingUpload:
    """The quick checks (name, type, size, name and id not taken) and a private copy of the file, so the
    upload can wait its turn; raises UploadRefused with a clear reason."""
    name = safe_filename(file_name or src.name)
    _check_file(src, name, settings=settings)
    corpus = settings.corpus_dir.resolve()
    if (corpus / name).resolve().parent != corpus:
        raise UploadRefused(f"File name {name!r} would be stored outside the corpus folder.")
    if (corpus / name).exists() or name in taken_names:
        raise UploadRefused(f"A document named {name!r} is already in the corpus; rename the file to add it.")
    if slugify(Path(name).stem) in known_doc_ids:
        raise UploadRefused(f"A document with id {slugify(Path(name).stem)!r} is already indexed; rename the file.")
    staged = Path(tempfile.mkdtemp(prefix="lessons-upload-")) / name
    shutil.copyfile(src, staged)
    return PendingUpload(file_name=name, staged=staged, meta=meta)


def add_document(pending: PendingUpload, *, settings: Settings, known_doc_ids: Collection[str] = (),
                 tracker: ProgressTracker | None = None) -> UploadResult:
    """Copy an accepted upload into the corpus, catalog it and ingest it (progress to `tracker`).

    Raises UploadRefused with a clear reason; in that case the corpus, catalog and index are unchanged.
    The staged copy is removed either way.
    """
    name, staged = pending.file_name, pending.staged
    corpus = settings.corpus_dir.resolve()
    dest, catalog = corpus / name, corpus / CATALOG_NAME
    try:
        with _INGEST_LOCK:
            if dest.exists():
                raise UploadRefused(f"A document named {name!r} is already in the corpus; rename the file to add it.")
            entry = None if pending.meta.is_empty() else _entry_with_meta(name, staged, pending.meta, settings=settings)
            before = catalog.read_text(encoding="utf-8") if catalog.exists() else None
            corpus.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged, dest)
            try:
                if entry is not None:
                    _append_catalog(catalog, name, entry)
                summary = _ingest_one(dest, settings=settings, tracker=tracker)
            except BaseException:
                dest.unlink(missing_ok=True)
                if before is None:
                    catalog.unlink(missing_ok=True)
                else:
                    catalog.write_text(before, encoding="utf-8")
                raise
    finally:
        shutil.rmtree(staged.parent, ignore_errors=True)
    doc_id, report = next(iter(summary.reports.items()))
    title = entry.title if entry is not None else _indexed_title(doc_id, settings)
    message = f"Added {name!r} ({title}): {summary.passages} passages indexed from {report.pages or 'no'} pages."
    return UploadResult(file_name=name, doc_id=doc_id, title=title, passages=summary.passages, message=message)


def _entry_with_meta(name: str, staged: Path, meta: UploadMeta, *, settings: Settings) -> CatalogEntry:
    """The guessed entry of the staged file (refusing unreadable ones) with the uploader's metadata over it."""
    max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
    try:
        doc = load_file(staged, catalog={}, max_bytes=max_bytes, layout=settings.layout)
    except LoadError as exc:
        raise UploadRefused(f"Could not read {name!r}: {exc}") from None
    update = {"guessed": False, "title": meta.title or doc.meta.title}
    if meta.organisation:
        update["organisation"] = meta.organisation
    if meta.year:
        update["year"] = meta.year
    return doc.meta.model_copy(update=update)


def _ingest_one(dest: Path, *, settings: Settings, tracker: ProgressTracker | None) -> IngestSummary:
    """Ingest one file of the corpus; raises UploadRefused when it did not enter the index."""
    name = dest.name
    try:
        summary = ingest_paths([dest], settings=settings, progress=False, tracker=tracker)
    except IngestLocked:
        raise UploadRefused("Another ingestion is running; try again in a minute.") from None
    if summary.failed:
        raise UploadRefused(f"Could not read {name!r}: {summary.failed[0][1]}")
    if summary.duplicates:
        kept = Path(summary.duplicates[0][1]).name
        raise UploadRefused(f"{name!r} has the same content as {kept!r}, which is already indexed.")
    if not summary.added or not summary.passages or not summary.reports:
        raise UploadRefused(f"{name!r} gave no passages to index (too little text?).")
    return summary


def _indexed_title(doc_id: str, settings: Settings) -> str:
    record = open_store(settings).manifest().get(doc_id)
    return record.meta.title if record else doc_id
