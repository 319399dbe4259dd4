"""Files and folders in, an up-to-date index out: load -> clean -> blocks -> passages -> vectors -> Chroma.
With e5 and `search.use_sparse`, each passage also gets its sparse "latent terms" vector, once, here.
Idempotent and restartable: a document whose bytes, catalog entry, passage recipe and embedding models are
unchanged is skipped (no model is even loaded when nothing needs doing); a changed one is replaced whole; one whose
file left an ingested folder is removed. A document enters the manifest only after all its passages are written, so
killing an ingestion at any moment and running it again leaves every passage exactly once. Bad files are skipped.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from pydantic import BaseModel, Field

from ingest.catalog import CATALOG_NAMES, folder_catalogs
from ingest.clean import clean_document
from ingest.embed import DIM, EmbedderUnavailable, model_identity
from ingest.evaluations import stamp_evaluations
from ingest.load import LoadError, load_file
from ingest.lock import ingest_lock
from ingest.models import CatalogEntry, Document, IngestReport, Passage
from ingest.passages import make_passages
from ingest.progress import ProgressTracker, tracking
from ingest.report import complete_report, short_line
from ingest.retag import refresh_themes
from ingest.settings import Settings
from ingest.snapshot.build import build_snapshot
from ingest.sparse import SPARSE_EMBEDDER, SPARSE_TOP_K, sparse_enabled
from ingest.store import DocRecord, Store, open_store
from ingest.structure import parse_blocks
from ingest.write import embedding_text, write_documents  # noqa: F401 - embedding_text: public here too

_RECIPE_FIELDS = {"min_words", "target_words", "max_words", "overlap_sentences", "matrix_repeat_words"}
# raised with every change to loading, cleaning, structure or cutting that changes the passages a file gives:
# an index made by an earlier version is stale, and its documents are read again at the next ingestion
PARSER_VERSION = 3


class IngestSummary(BaseModel):
    """What one ingestion did."""

    added: int = 0
    updated: int = 0
    skipped: int = 0
    deleted: int = 0
    retagged: int = 0  # documents whose themes were re-tagged from stored vectors (taxonomy or tagger changed)
    failed: list[tuple[str, str]] = Field(default_factory=list)  # (path, reason)
    duplicates: list[tuple[str, str]] = Field(default_factory=list)  # (path, path of the identical file kept)
    warnings: list[str] = Field(default_factory=list)  # e.g. an invalid catalog entry (its file is guessed)
    reports: dict[str, IngestReport] = Field(default_factory=dict)  # doc_id -> report, documents read this run
    passages: int = 0  # passages written by this run
    documents: int = 0  # documents in the index afterwards
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # every thread of the process
    passages_per_second: float = 0.0

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def render(self) -> str:
        """The closing summary, for people."""
        lines = [f"FAILED {path}: {reason}" for path, reason in self.failed]
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines += [short_line(doc_id, report) for doc_id, report in self.reports.items()]
        lines += [f"duplicate {path}: same content as {kept}; ingested once" for path, kept in self.duplicates]
        lines.append(
            f"documents: {self.added} added, {self.updated} updated, {self.skipped} skipped (unchanged), "
            f"{len(self.failed)} failed, {self.deleted} deleted, {self.retagged} re-tagged; {self.documents} in the index"
        )
        lines.append(
            f"passages: {self.passages} written in {self.seconds:.1f} s ({self.passages_per_second:.1f} passages/s, "
            f"{self.cpu_seconds:.1f} CPU-seconds)"
        )
        return "\n".join(lines)


def recipe(settings: Settings) -> str:
    """Hash of the settings (and the parser's version) that decide how a document is cut into passages, and
    whether they get sparse vectors (so turning sparse vectors on or off re-indexes every document)."""
    fields = settings.ingest.model_dump(include=_RECIPE_FIELDS) | {"parser": PARSER_VERSION}
    if sparse_enabled(settings):
        fields["sparse"] = f"{SPARSE_EMBEDDER} top {SPARSE_TOP_K}"  # absent when off: older recipes stay valid
    body = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:12]


def _skipped_name(path: Path) -> bool:
    return path.name.startswith(".") or path.name.lower() in CATALOG_NAMES or path.name.upper().startswith("README")


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[Path], list[tuple[str, str]]]:
    """Files to ingest (folders walked recursively, hidden files, catalogs and READMEs left out),
    the folders given, and the arguments that do not exist."""
    files, folders, missing = set[Path](), list[Path](), list[tuple[str, str]]()
    for raw in paths:
        path = Path(raw).expanduser().resolve()
        if path.is_dir():
            folders.append(path)
            for f in path.rglob("*"):
                rel = f.relative_to(path).parts
                if f.is_file() and not any(part.startswith(".") for part in rel) and not _skipped_name(f):
                    files.add(f)
        elif path.is_file():
            files.add(path)
        else:
            missing.append((str(raw), "no such file or folder"))
    return sorted(files), folders, missing


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _up_to_date(
    rec: DocRecord | None, sha: str, entry: CatalogEntry | None, recipe_: str, models: dict[str, str]
) -> bool:
    return (
        rec is not None
        and rec.sha256 == sha
        and rec.recipe == recipe_
        and all(rec.models.get(name) == model for name, model in models.items())
        and (rec.meta.guessed if entry is None else entry == rec.meta)
    )


def _prepare(path: Path, catalog: dict[str, CatalogEntry], settings: Settings,
             tracker: ProgressTracker | None = None) -> tuple[Document, list[Passage]]:
    on_page = (lambda number, total: tracker.page(path.name, number, total)) if tracker else None
    doc = load_file(path, catalog=catalog, max_bytes=int(settings.ingest.max_file_mb * 1024 * 1024),
                    layout=settings.layout, on_page=on_page)
    doc = clean_document(doc)
    blocks = parse_blocks(doc.text, matrix_repeat_words=settings.ingest.matrix_repeat_words)
    passages = make_passages(doc, blocks, settings=settings.ingest)
    return doc.model_copy(update={"report": complete_report(doc, passages)}), passages


def _inside(path: str, folders: list[Path]) -> bool:
    return any(Path(path).is_relative_to(folder) for folder in folders)


def ingest_paths(
    paths: list[Path], *, settings: Settings, progress: bool = True, lock_timeout_s: float = 30.0,
    tracker: ProgressTracker | None = None,
) -> IngestSummary:
    """Bring the index up to date with `paths` (files or folders), one ingestion at a time per data dir; progress
    goes to `tracker` when given (the app reads it), else to a bar on stderr unless `progress` is False.
    Raises IngestLocked when another ingestion holds the lock past `lock_timeout_s`, and
    EmbedderUnavailable when a configured model cannot load; bad files are reported in the summary."""
    start, cpu = time.perf_counter(), time.process_time()
    with tracking(tracker, bar=progress) as tracker, ingest_lock(settings.data_dir, timeout_s=lock_timeout_s):
        summary = _ingest([Path(p) for p in paths], settings=settings, tracker=tracker)
        build_snapshot(open_store(settings), settings)  # what search reads, ready before anyone asks
    summary.seconds, summary.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    summary.passages_per_second = summary.passages / max(summary.seconds, 1e-9)
    return summary


def _ingest(paths: list[Path], *, settings: Settings, tracker: ProgressTracker) -> IngestSummary:
    summary = IngestSummary()
    files, folders, summary.failed = expand_paths(paths)
    catalogs = folder_catalogs({f.parent for f in files}, summary.failed, summary.warnings)
    if not settings.embedders:
        raise EmbedderUnavailable("no embedder configured (settings.embedders is empty)")
    models = {name: model_identity(name, runtime=settings.ingest.e5_runtime) for name in settings.embedders}
    store = open_store(settings)
    for name, model in models.items():
        store.ensure_collection(name, model=model, dim=DIM)
    manifest = store.manifest()
    present = set(files)
    gone = {
        rec.doc_id for rec in manifest.values()
        if _inside(rec.path, folders) and Path(rec.path) not in present and not Path(rec.path).exists()
    }
    live = {doc_id: rec for doc_id, rec in manifest.items() if doc_id not in gone}
    for doc_id in sorted(gone):
        store.delete_document(doc_id)
        summary.deleted += 1

    todo, stale = _plan(files, catalogs, live, settings, models, summary)
    for doc_id in stale:  # an indexed file whose content now duplicates another file's
        store.delete_document(doc_id)
        live.pop(doc_id, None)
        summary.deleted += 1
    work = _load_all(todo, catalogs, live, settings, summary, tracker)
    if work:
        _write_all(work, store, live, settings, tracker, summary)
    retagged = refresh_themes(store, settings, summary.warnings)  # an edited taxonomy: re-tag, don't re-embed
    summary.retagged = retagged.documents if retagged else 0
    stamp_evaluations(store)  # the files of one evaluation, among this run's documents and those already indexed
    summary.documents = len(store.manifest())
    return summary


def _plan(
    files: list[Path], catalogs: dict, live: dict[str, DocRecord], settings: Settings, models: dict[str, str],
    summary: IngestSummary,
) -> tuple[list[Path], list[str]]:
    """The files that need (re)indexing, and documents to drop because their file is now a copy of another.

    Unchanged files are counted as skipped, copies as duplicates."""
    max_bytes = settings.ingest.max_file_mb * 1024 * 1024
    by_path = {rec.path: rec for rec in live.values()}
    indexed_sha = {rec.sha256: Path(rec.path) for rec in live.values() if Path(rec.path).exists()}
    shas: dict[Path, str | None] = {}
    for f in files:
        try:
            shas[f] = None if f.stat().st_size > max_bytes else sha256_file(f)
        except OSError as exc:
            summary.failed.append((str(f), f"cannot read: {exc}"))
    # one file per content: prefer the copy already indexed under its own path, else the first by name
    keeper: dict[str, Path] = {}
    for f, sha in shas.items():
        if sha is not None and indexed_sha.get(sha) == f:
            keeper[sha] = f
    for f, sha in shas.items():
        if sha is not None:
            keeper.setdefault(sha, indexed_sha.get(sha, f))
    recipe_ = recipe(settings)
    todo, stale = [], []
    for f, sha in shas.items():
        if sha is not None and keeper[sha] != f:
            summary.duplicates.append((str(f), str(keeper[sha])))
            if str(f) in by_path:
                stale.append(by_path[str(f)].doc_id)
            continue
        entry = catalogs.get(f.parent, {}).get(f.name)
        if sha is not None and _up_to_date(by_path.get(str(f)), sha, entry, recipe_, models):
            summary.skipped += 1
        else:
            todo.append(f)
    return todo, stale


def _load_all(
    todo: list[Path], catalogs: dict, live: dict[str, DocRecord], settings: Settings, summary: IngestSummary,
    tracker: ProgressTracker,
) -> list[tuple[Document, list[Passage]]]:
    """Load and cut every file to do; failures are recorded and leave the index untouched."""
    work: list[tuple[Document, list[Passage]]] = []
    claimed: dict[str, str] = {}
    tracker.reading(len(todo))
    for f in todo:
        try:
            doc, passages = _prepare(f, catalogs.get(f.parent, {}), settings, tracker)
        except LoadError as exc:
            summary.failed.append((str(f), str(exc)))
            tracker.file_read(f.name, passages=0)
            continue
        except Exception as exc:  # noqa: BLE001 - a parser bug on one file must not stop the batch
            summary.failed.append((str(f), f"could not be parsed: {type(exc).__name__}: {exc}"))
            tracker.file_read(f.name, passages=0)
            continue
        tracker.file_read(f.name, passages=len(passages))
        owner = live.get(doc.doc_id)
        other = claimed.get(doc.doc_id) or (
            owner.path if owner and owner.path != str(f) and Path(owner.path).exists() else None
        )
        if other:
            summary.failed.append((str(f), f"its document id {doc.doc_id!r} is already used by {other}; rename one"))
            continue
        claimed[doc.doc_id] = str(f)
        summary.reports[doc.doc_id] = doc.report
        work.append((doc, passages))
    return work


def _write_all(
    work: list[tuple[Document, list[Passage]]], store: Store, live: dict[str, DocRecord], settings: Settings,
    tracker: ProgressTracker, summary: IngestSummary,
) -> None:
    """Embed every document to do (a group of documents per model call) and replace each in the store."""
    for doc, written, error in write_documents(work, store=store, settings=settings, recipe=recipe(settings),
                                               tracker=tracker):
        if error:
            summary.failed.append((doc.path, error))
            continue
        if doc.doc_id in live:
            summary.updated += 1
        else:
            summary.added += 1
        summary.passages += written
