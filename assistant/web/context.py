"""What every session of the web app shares: settings, the search index (models loaded once) and lookups.

Reads are thread-safe: the index is opened once under a lock, and the passage lookup is rebuilt
(under the same lock) only when the store's fingerprint changes, e.g. after an upload.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from assistant.evidence.map import theme_label
from assistant.web.ingest_queue import IngestQueue
from ingest.models import Passage
from ingest.settings import Settings
from ingest.themes import Taxonomy, TaxonomyError, load_taxonomy

if TYPE_CHECKING:
    from assistant.retrieval.search import SearchIndex


class FilterChoices(BaseModel):
    """Values a user can filter on, read from the index (documents as (label, doc_id) pairs)."""

    documents: list[tuple[str, str]] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    years: list[int] = Field(default_factory=list)
    kinds: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=list)
    themes: list[tuple[str, str]] = Field(default_factory=list)  # (label, theme id), approximate ones marked
    responses: list[str] = Field(default_factory=list)  # management responses the recommendations carry


class AppContext:
    """Process-wide state of the app: one SearchIndex shared by all sessions."""

    def __init__(self, settings: Settings, index: SearchIndex | None = None) -> None:
        self.settings = settings
        self._index = index
        self._lock = threading.RLock()
        self._passages: dict[str, Passage] = {}
        self._fingerprint: str | None = None
        self._queue: IngestQueue | None = None

    @property
    def index(self) -> SearchIndex:
        """The shared search index, opened (models loaded) on first use."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    from assistant.retrieval.search import SearchIndex

                    self._index = SearchIndex.open(self.settings)
        return self._index

    @property
    def ingest_queue(self) -> IngestQueue:
        """The one background worker that ingests uploads; each finished one swaps in the new index."""
        if self._queue is None:
            with self._lock:
                if self._queue is None:
                    self._queue = IngestQueue(on_added=self.refresh)
        return self._queue

    def refresh(self) -> None:
        """Pick up documents added since the index was opened (keyword index and passage lookup). The new snapshot
        is built while queries keep reading the old one, then swapped in at once."""
        self.index.refresh()
        with self._lock:
            self._fingerprint = None

    def passages(self) -> dict[str, Passage]:
        """All stored passages by id, cached until the store changes."""
        store = self.index.store
        fingerprint = store.fingerprint()
        if fingerprint != self._fingerprint:
            with self._lock:
                if fingerprint != self._fingerprint:
                    self._passages = {p.id: p for p in store.all_passages()}
                    self._fingerprint = fingerprint
        return self._passages

    def passage(self, passage_id: str) -> Passage | None:
        """One stored passage, or None when it is gone."""
        return self.passages().get(passage_id)

    def taxonomy(self) -> Taxonomy | None:
        """The theme taxonomy passages are tagged with (read afresh: users edit it), None when the file is invalid."""
        try:
            return load_taxonomy(self.settings.themes.taxonomy)
        except TaxonomyError:
            return None

    def filter_choices(self) -> FilterChoices:
        """Filter options from the manifest (documents), the passages (organisations, years, kinds, languages) and
        the taxonomy (the themes some passage carries, in taxonomy order)."""
        manifest = self.index.store.manifest()
        passages = list(self.passages().values())
        taxonomy, tagged = self.taxonomy(), {t for p in passages for t in p.themes}
        documents = sorted(
            ((_doc_label(rec.meta.title, rec.meta.year), doc_id) for doc_id, rec in manifest.items()),
            key=lambda pair: pair[0].lower(),
        )
        return FilterChoices(
            documents=documents,
            organisations=sorted({p.organisation for p in passages if p.organisation}),
            years=sorted({p.year for p in passages if p.year}, reverse=True),
            kinds=sorted({p.kind.value for p in passages}),
            languages=sorted({p.language for p in passages if p.language}),
            themes=[(theme_label(t), t.id) for t in (taxonomy.themes if taxonomy else []) if t.id in tagged],
            responses=sorted({p.fields["response"] for p in passages if p.fields.get("response")}),
        )


def _doc_label(title: str, year: int | None) -> str:
    """A short dropdown label for a document."""
    short = title if len(title) <= 70 else title[:67].rstrip() + "…"
    return f"{short} ({year})" if year else short
