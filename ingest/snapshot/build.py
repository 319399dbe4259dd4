"""One fingerprinted folder holding the search snapshot: built when ingestion ends, loaded (or rebuilt when
missing or damaged) by whoever searches, so every process reads the same passages in the same order."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from ingest.models import Passage
from ingest.settings import Settings
from ingest.snapshot.dense import DenseMatrix
from ingest.snapshot.keyword import DONE, KeywordIndex
from ingest.snapshot.names import FILE as NAMES_FILE
from ingest.snapshot.names import load_or_build_names
from ingest.sparse import SparseVector
from ingest.store import Store

FOLDER = "snapshot"  # under data_dir


@dataclass(frozen=True)
class Snapshot:
    """Everything search reads for one fingerprint of the store."""

    keyword: KeywordIndex
    dense: dict[str, DenseMatrix] = field(default_factory=dict)  # embedder -> vectors in keyword-passage order
    doc_names: dict[str, set[str]] = field(default_factory=dict)  # doc_id -> distinctive name keys

    @property
    def fingerprint(self) -> str:
        return self.keyword.fingerprint

    @property
    def passages(self) -> list[Passage]:
        return self.keyword.passages

    @cached_property
    def evaluation_titles(self) -> dict[str, set[str]]:
        """The titles of the documents of each evaluation (brief, report, management response), by evaluation id;
        a document belonging to none is its own evaluation, under its doc_id."""
        titles: dict[str, set[str]] = {}
        for p in self.passages:
            titles.setdefault(p.evaluation or p.doc_id, set()).add(p.title)
        return titles


def snapshot_folder(settings: Settings, fingerprint: str) -> Path:
    """Where the snapshot of `fingerprint` lives."""
    return Path(settings.data_dir) / FOLDER / fingerprint


def _read_store(store: Store) -> tuple[str, list[Passage], dict[str, SparseVector]]:
    """Passages, their sparse vectors and the fingerprint they belong to (retried if an ingestion commits
    in between)."""
    for _ in range(5):
        before = store.fingerprint()
        passages, sparse = store.passages_and_sparse()
        if store.fingerprint() == before:
            return before, passages, sparse
    return before, passages, sparse


def load_or_build_keyword(store: Store, settings: Settings) -> KeywordIndex:
    """The keyword index of the store's current content: loaded from its snapshot folder, or built and put
    in place as a new folder (older ones removed)."""
    folder = snapshot_folder(settings, store.fingerprint())
    if (folder / DONE).exists():
        try:
            return KeywordIndex.load(folder)
        except (OSError, ValueError):
            pass  # damaged: rebuild below
    fingerprint, passages, sparse = _read_store(store)
    index = KeywordIndex.build(passages, fingerprint=fingerprint, sparse=sparse)
    root = folder.parent
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=root))
    index.save(tmp)
    final = root / fingerprint
    if final.exists():
        shutil.rmtree(final, ignore_errors=True)
    try:
        os.replace(tmp, final)
    except OSError:  # another process put the same index there first
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.iterdir():
        if old.name != fingerprint and not old.name.startswith(".build-"):
            shutil.rmtree(old, ignore_errors=True)
    return index


def open_snapshot(store: Store, settings: Settings, *, embedders: Iterable[str]) -> Snapshot:
    """The snapshot of the store's current content with a dense matrix per embedder, each part loaded from
    the fingerprint's folder or built into it."""
    keyword = load_or_build_keyword(store, settings)
    folder = snapshot_folder(settings, keyword.fingerprint)
    dense = {name: DenseMatrix.load_or_build(store, keyword, embedder=name, folder=folder) for name in embedders}
    return Snapshot(keyword=keyword, dense=dense, doc_names=load_or_build_names(keyword.passages, folder=folder))


def build_snapshot(store: Store, settings: Settings) -> None:
    """Build the snapshot at the end of an ingestion, for the configured embedders (nothing to do when the
    store's fingerprint already has a complete one: an ingestion that changed nothing costs a few file checks)."""
    folder = snapshot_folder(settings, store.fingerprint())
    parts = [DONE, NAMES_FILE, *(f"{name}.npy" for name in settings.embedders)]
    if not all((folder / part).is_file() for part in parts):
        open_snapshot(store, settings, embedders=settings.embedders)
