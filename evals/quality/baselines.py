"""The two baselines Lessons is compared with, built in-process over the raw corpus files.

- stock llama-index: `SimpleDirectoryReader` + `SentenceSplitter()` defaults (1024 tokens, 200 overlap) +
  in-memory `VectorStoreIndex`, embedded with *our* embedder (same model as Lessons) through a `BaseEmbedding`
  adapter; `Settings.llm = None`, nothing touches the network. PDFs and DOCX files are read as
  llama-index's default readers do (`PDFReader`: pypdf, one document per page with its page label;
  `DocxReader`: the document's text, one document per file), ported here because llama-index-readers-file
  pins pypdf below the version Lessons uses; README and catalog files are not documents, as for Lessons.
- BM25: `bm25s` with the English stopword list and Snowball stemmer, over those same stock nodes.

Both are `Baseline`s: a callable from a query to `(text, score)` pairs, best first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from llama_index.core import Settings as LlamaSettings
from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.embeddings import BaseEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import BaseNode, Document
from pydantic import PrivateAttr

Baseline = Callable[[str], list[tuple[str, float]]]

TEXT_EXTS = [".txt", ".md", ".pdf", ".docx", ".html", ".htm"]


class EmbedderAdapter(BaseEmbedding):
    """A llama-index embedding model that delegates to a Lessons `Embedder` (query/passage prefixes included)."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Any, **kwargs: Any) -> None:
        super().__init__(model_name=f"lessons:{embedder.name}", embed_batch_size=32, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        """Name llama-index records for this embedding class."""
        return "LessonsEmbedderAdapter"

    def _get_query_embedding(self, query: str) -> list[float]:
        return np.asarray(self._embedder.embed_query(query), dtype=np.float32).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return np.asarray(self._embedder.embed_passages(list(texts)), dtype=np.float32).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    async def _aget_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embedding(text)


class StockPDFReader(BaseReader):
    """llama-index-readers-file's default `PDFReader`: pypdf's text of each page, one document per page."""

    def load_data(self, file: Path, extra_info: dict | None = None, **_: Any) -> list[Document]:
        import pypdf

        pdf = pypdf.PdfReader(str(file))
        return [Document(text=page.extract_text(), metadata={"page_label": pdf.page_labels[n],
                                                             "file_name": Path(file).name, **(extra_info or {})})
                for n, page in enumerate(pdf.pages)]


class StockDocxReader(BaseReader):
    """llama-index-readers-file's default `DocxReader`: every paragraph of the file (tables' too), one document."""

    def load_data(self, file: Path, extra_info: dict | None = None, **_: Any) -> list[Document]:
        import docx
        from docx.oxml.ns import qn

        body = docx.Document(str(file)).element.body
        text = "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p")))
        return [Document(text=text, metadata={"file_name": Path(file).name, **(extra_info or {})})]


def stock_nodes(folders: Path | list[Path]) -> list[BaseNode]:
    """The files of one or more folders as llama-index reads and splits them by default (catalog and README
    files are not documents)."""
    documents: list[Document] = []
    for folder in [folders] if isinstance(folders, Path) else folders:
        reader = SimpleDirectoryReader(
            input_dir=str(folder), required_exts=TEXT_EXTS, filename_as_id=True, raise_on_error=False,
            recursive=True, exclude=["README*", "catalog.*"],
            file_extractor={".pdf": StockPDFReader(), ".docx": StockDocxReader()},
        )
        documents += reader.load_data()
    return SentenceSplitter().get_nodes_from_documents(documents)


def llamaindex_baseline(nodes: list[BaseNode], *, embedder: Any, k: int = 10) -> Baseline:
    """Stock dense retrieval: in-memory `VectorStoreIndex` over the nodes, top-k by cosine."""
    LlamaSettings.llm = None  # MockLLM: retrieval only, no network
    model = EmbedderAdapter(embedder)
    LlamaSettings.embed_model = model
    index = VectorStoreIndex(nodes, embed_model=model, show_progress=False)
    retriever = index.as_retriever(similarity_top_k=k)

    def search(query: str) -> list[tuple[str, float]]:
        return [(hit.node.get_content(), float(hit.score or 0.0)) for hit in retriever.retrieve(query)]

    return search


def bm25_baseline(nodes: list[BaseNode], *, k: int = 10) -> Baseline:
    """Plain bm25s over the node texts; results with a zero score (no query term matched) are dropped."""
    texts = [node.get_content() for node in nodes]
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False), show_progress=False)

    def search(query: str) -> list[tuple[str, float]]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False)
        if not tokens[0]:
            return []
        ids, scores = retriever.retrieve(tokens, k=min(k, len(texts)), show_progress=False)
        return [(texts[int(i)], float(s)) for i, s in zip(ids[0], scores[0]) if s > 0]

    return search
