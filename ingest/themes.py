"""Themes on every passage: the taxonomy (a YAML file users edit) and the tagger that assigns zero or more themes.

A passage gets a theme when its evidence for it clears the theme's threshold. The evidence, all of it already at
hand after embedding:
- meaning: the cosine of the passage's e5 vector to the theme's descriptions (the best over their languages),
  less the passage's mean cosine over all themes, so a passage that resembles everything favours nothing;
- words: how many of the theme's keywords (Snowball-stemmed in each keyword language) occur in the text;
- section: a theme's label or keyword in the passage's section path ("5.11 Sustainability", "DURABILITE");
- kind: a structured item (lesson, recommendation, finding, ...) reads its section heading as its subject, so the
  section evidence weighs more for it.
Weights and thresholds live in `settings.themes` (fitted on the tuning half of evals/quality/themes_labels.yaml by
evals/themes_eval.py). Tagging reads stored vectors, so an edited taxonomy re-tags without re-embedding.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ingest.embed import Embedder
from ingest.models import Kind, Passage
from ingest.settings import ThemeSettings
from ingest.theme_words import KeywordMatcher

REQUIRED_LANGUAGES = ("en", "fr", "es")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
STRUCTURED_KINDS = frozenset({Kind.lesson, Kind.recommendation, Kind.finding, Kind.good_practice, Kind.challenge})


class TaxonomyError(ValueError):
    """The theme file is missing, is not YAML, or does not describe a valid taxonomy."""


class Theme(BaseModel):
    """One theme: an id, its labels and one-line descriptions per language, optional keywords per language."""

    model_config = ConfigDict(extra="forbid")

    id: str
    group: Literal["counter_trafficking", "criteria", "topic"] = "topic"
    labels: dict[str, str]
    descriptions: dict[str, str]
    examples: dict[str, list[str]] = Field(default_factory=dict)  # sentences as a passage about it would read
    keywords: dict[str, list[str]] = Field(default_factory=dict)
    approximate: bool = False  # test F1 under 0.6 on the labelled sample (written by evals/themes_eval.py)

    @field_validator("id")
    @classmethod
    def _snake_case(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"id {value!r} must be lower_snake_case (letters, digits, underscores)")
        return value

    @field_validator("labels", "descriptions")
    @classmethod
    def _all_languages(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [lang for lang in REQUIRED_LANGUAGES if not str(value.get(lang) or "").strip()]
        if missing:
            raise ValueError(f"needs a non-empty entry for {', '.join(missing)}")
        return {lang: text.strip() for lang, text in value.items()}

    def label(self, language: str = "en") -> str:
        """The theme's name in `language`, or in English when it has none."""
        return self.labels.get(language) or self.labels["en"]


class Taxonomy(BaseModel):
    """The themes passages are tagged with, in file order."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    themes: list[Theme]

    @model_validator(mode="after")
    def _unique_ids(self) -> Taxonomy:
        if not self.themes:
            raise ValueError("no themes")
        ids = [t.id for t in self.themes]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"theme ids used more than once: {', '.join(repeated)}")
        return self

    @property
    def ids(self) -> list[str]:
        """Theme ids in file order."""
        return [t.id for t in self.themes]

    def get(self, theme_id: str) -> Theme | None:
        """The theme called `theme_id`, or None."""
        return next((t for t in self.themes if t.id == theme_id), None)

    def approximate(self) -> list[str]:
        """Ids of the themes whose tags are flagged as approximate."""
        return [t.id for t in self.themes if t.approximate]


def load_taxonomy(path: Path) -> Taxonomy:
    """The taxonomy in a YAML file; TaxonomyError naming the file and the faulty theme when it is not valid."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TaxonomyError(f"cannot read the theme file {path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TaxonomyError(f"the theme file {path} is not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise TaxonomyError(f"the theme file {path} must hold a mapping with a 'themes' list")
    try:
        return Taxonomy.model_validate(raw)
    except ValidationError as exc:
        raise TaxonomyError(f"the theme file {path} is invalid: {_problems(exc, raw)}") from exc


def _problems(exc: ValidationError, raw: dict) -> str:
    """Pydantic's errors as 'theme 3 (prosecution) labels: needs ...' rather than bare index paths."""
    themes = raw.get("themes") if isinstance(raw.get("themes"), list) else []
    out = []
    for err in exc.errors():
        loc = list(err["loc"])
        where = ".".join(str(part) for part in loc) or "file"
        if len(loc) >= 2 and loc[0] == "themes" and isinstance(loc[1], int):
            entry = themes[loc[1]] if loc[1] < len(themes) else {}
            name = entry.get("id", "?") if isinstance(entry, dict) else "?"
            where = f"theme {loc[1] + 1} ({name})" + "".join(f" {part}" for part in loc[2:])
        out.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
    return "; ".join(out)


def taxonomy_fingerprint(taxonomy: Taxonomy, settings: ThemeSettings) -> str:
    """A hash of everything that decides the tags (themes and tagger settings, not the file's comments)."""
    body = taxonomy.model_dump_json(exclude={"themes": {"__all__": {"approximate"}}}) + settings.model_dump_json()
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def description_texts(theme: Theme) -> list[str]:
    """A theme's descriptions as embedded: "label: description", once per language it is described in."""
    return [f"{theme.label(lang)}: {text}" for lang, text in sorted(theme.descriptions.items())]


def example_texts(theme: Theme) -> list[str]:
    """A theme's example sentences, every language."""
    return [text for _, texts in sorted(theme.examples.items()) for text in texts if text.strip()]


def theme_vectors(taxonomy: Taxonomy, embedder: Embedder, *, as_query: bool) -> list[np.ndarray]:
    """Per theme, unit vectors (one row per text): its descriptions, as e5 queries or passages, then its examples,
    as passages (they are written as passages)."""
    out = []
    for theme in taxonomy.themes:
        texts = description_texts(theme)
        rows = [embedder.embed_query(t) for t in texts] if as_query else list(embedder.embed_passages(texts))
        examples = example_texts(theme)
        rows += list(embedder.embed_passages(examples)) if examples else []
        out.append(np.stack(rows).astype(np.float32))
    return out


@dataclass(frozen=True)
class Tagger:
    """A taxonomy made ready to tag: its description vectors, keyword matchers and settings."""

    taxonomy: Taxonomy
    vectors: tuple[np.ndarray, ...]  # per theme, (languages, dim)
    matchers: tuple[KeywordMatcher, ...]
    settings: ThemeSettings


def make_tagger(taxonomy: Taxonomy, vectors: list[np.ndarray], settings: ThemeSettings) -> Tagger:
    """A Tagger from a taxonomy and its description vectors (`theme_vectors`)."""
    if len(vectors) != len(taxonomy.themes):
        raise ValueError(f"{len(vectors)} vector sets for {len(taxonomy.themes)} themes")
    matchers = tuple(KeywordMatcher.build(t.keywords, t.labels) for t in taxonomy.themes)
    return Tagger(taxonomy=taxonomy, vectors=tuple(vectors), matchers=matchers, settings=settings)


def load_tagger(settings: ThemeSettings, embedder: Embedder) -> Tagger:
    """The tagger for the taxonomy file named in settings (embeds its ~70 descriptions once)."""
    taxonomy = load_taxonomy(settings.taxonomy)
    return make_tagger(taxonomy, theme_vectors(taxonomy, embedder, as_query=settings.descriptions_as_query), settings)


class Evidence(BaseModel):
    """Per passage (rows) and theme (columns): the signals the tagger weighs."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    meaning: np.ndarray  # cosine to the theme less the passage's mean cosine over themes
    keywords: np.ndarray  # distinct keywords found in the text
    section: np.ndarray  # 1.0 when the section path names the theme
    structured: np.ndarray  # per passage: 1.0 for lessons, recommendations, findings, ...


def gather_evidence(tagger: Tagger, passages: list[Passage], vectors: np.ndarray) -> Evidence:
    """The tagger's signals for passages whose e5 vectors are the rows of `vectors` (in the same order)."""
    vectors = np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1)
    if passages and vectors.shape[1] != tagger.vectors[0].shape[1]:
        raise ValueError(f"passage vectors have {vectors.shape[1]} dimensions, the theme descriptions "
                         f"{tagger.vectors[0].shape[1]}: tag with the vectors of the model that embedded them (e5)")
    cosine = np.stack([(vectors @ v.T).max(axis=1) for v in tagger.vectors], axis=1) if passages else np.zeros(
        (0, len(tagger.vectors)), dtype=np.float32)
    meaning = cosine - cosine.mean(axis=1, keepdims=True)
    keywords = np.zeros_like(meaning)
    section = np.zeros_like(meaning)
    for i, p in enumerate(passages):
        for j, matcher in enumerate(tagger.matchers):
            keywords[i, j] = matcher.count(p.text, p.language)
            section[i, j] = float(matcher.in_section(p.section, p.language))
    structured = np.array([float(p.kind in STRUCTURED_KINDS) for p in passages], dtype=np.float32)
    return Evidence(meaning=meaning, keywords=keywords, section=section, structured=structured)


def theme_scores(evidence: Evidence, settings: ThemeSettings) -> np.ndarray:
    """One score per passage and theme: meaning + keyword and section evidence, by the settings' weights."""
    words = np.minimum(evidence.keywords, settings.keyword_cap) * settings.weight_keyword
    section_weight = settings.weight_section + settings.weight_section_structured * evidence.structured[:, None]
    return evidence.meaning * settings.weight_meaning + words + evidence.section * section_weight


def thresholds(taxonomy: Taxonomy, settings: ThemeSettings) -> np.ndarray:
    """Each theme's threshold: its own when fitted, else the shared one."""
    return np.array([settings.threshold + settings.theme_offsets.get(t.id, 0.0) for t in taxonomy.themes])


def decide(scores: np.ndarray, limits: np.ndarray, max_themes: int) -> np.ndarray:
    """Passages x themes, True where the score reaches the theme's threshold and is among the passage's best few."""
    ranks = np.argsort(np.argsort(-scores, axis=1, kind="stable"), axis=1, kind="stable")
    return (scores >= limits[None, :]) & (ranks < max_themes)


def assign_themes(tagger: Tagger, passages: list[Passage], vectors: np.ndarray) -> list[list[str]]:
    """Zero or more theme ids per passage (taxonomy order), from its vector, words, section and kind."""
    scores = theme_scores(gather_evidence(tagger, passages, vectors), tagger.settings)
    chosen = decide(scores, thresholds(tagger.taxonomy, tagger.settings), tagger.settings.max_themes)
    ids = tagger.taxonomy.ids
    return [[ids[j] for j in np.flatnonzero(row)] for row in chosen]


def tag_passages(passages: list[Passage], vectors: np.ndarray, tagger: Tagger) -> list[Passage]:
    """Copies of `passages` with their themes set, from their e5 passage vectors (rows in the same order)."""
    tags = assign_themes(tagger, passages, vectors)
    return [p.model_copy(update={"themes": t}) for p, t in zip(passages, tags, strict=True)]
