"""Shared fixtures: settings pointing into tmp_path, models loaded once per session, small corpora built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings
from ingest_helpers import build_small_corpus


@pytest.fixture
def tmp_settings(tmp_path: Path) -> Settings:
    """Settings whose data directory (Chroma, BM25, lock) lives in this test's tmp_path; e5 only."""
    return Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", embedders=["e5"], threads=2)


@pytest.fixture(scope="session")
def e5_embedder():
    """The e5 embedder, loaded once for the session (it loads in well under a second)."""
    from ingest.embed import get_embedder

    return get_embedder("e5", threads=2)


@pytest.fixture(scope="session")
def minilm_embedder():
    """The MiniLM embedder, loaded once for the session (several seconds: only slow tests use it)."""
    from ingest.embed import get_embedder

    return get_embedder("minilm", threads=2)


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    """Three short documents with a catalog, in tmp_path/corpus."""
    return build_small_corpus(tmp_path / "corpus")


