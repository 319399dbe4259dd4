"""The document catalog (corpus/catalog.yaml) and metadata guessed for files without an entry."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.models import CatalogEntry

_NYNORSK = re.compile(
    r"\b(ikkje|eit|ein|dei|frå|korleis|kva|berre|vere|blir|òg|hovud\w*|tilråd\w*|dokumentasjonen|medan|verknad\w*|"
    r"noko|mykje|sjølv|heller|gjer|gjere|saman\w*|vidare|fleire|fleir\w*|meir|utanriks\w*)\b",
    re.IGNORECASE,
)
_BOKMAAL = re.compile(r"\b(ikke|et|en|de|fra|hvordan|hva|bare|være|blir|også|hoved\w*|anbefal\w*|mye|selv|gjøre|mer|flere)\b", re.IGNORECASE)


class CatalogError(ValueError):
    """The catalog file is unreadable or one of its entries is invalid."""


def read_catalog(path: Path) -> dict[str, CatalogEntry]:
    """Read and validate corpus/catalog.yaml; keys are file names. Raises CatalogError naming the bad entry."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog {path} must map file names to entries, got {type(raw).__name__}")
    entries: dict[str, CatalogEntry] = {}
    for name, value in raw.items():
        if not isinstance(value, dict):
            raise CatalogError(f"catalog entry {name!r} must be a mapping of fields, got {type(value).__name__}")
        try:
            entries[str(name)] = CatalogEntry.model_validate(value)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise CatalogError(f"catalog entry {name!r} is invalid: {problems}") from exc
    return entries


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def language_scores(text: str) -> dict[str, float]:
    """Probability of each language code for a text (py3langid, Norwegian variants resolved to nn/no)."""
    ranked = dict(_identifier().rank(text))
    norwegian = ranked.get("nn", 0.0) + ranked.get("no", 0.0)
    if norwegian:
        code = _norwegian_variant(text, ranked)
        ranked["nn" if code == "nn" else "no"] = norwegian
        ranked["no" if code == "nn" else "nn"] = 0.0
    return ranked


def _norwegian_variant(text: str, ranked: dict[str, float]) -> str:
    nynorsk, bokmaal = len(_NYNORSK.findall(text)), len(_BOKMAAL.findall(text))
    if nynorsk != bokmaal:
        return "nn" if nynorsk > bokmaal else "no"
    return "nn" if ranked.get("nn", 0.0) >= ranked.get("no", 0.0) else "no"


def detect_language(text: str, *, allowed: list[str] | None = None) -> str:
    """ISO 639-1 code of the text's language ("nn" for Nynorsk, "no" for other Norwegian), optionally among `allowed`."""
    sample = text[:20000]
    if not re.search(r"[^\W\d_]{2,}", sample):
        return (allowed or ["en"])[0]
    scores = language_scores(sample)
    candidates = allowed or list(scores)
    return max(candidates, key=lambda code: scores.get(code, 0.0))


def _guess_title(text: str, filename: str) -> str:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            title = stripped.lstrip("#").strip()
            if title and not re.fullmatch(r"(table of )?contents", title, re.IGNORECASE):
                return title[:200]
    for line in text.splitlines():
        stripped = re.sub(r"<[^>]+>|\*\*", "", line).strip()
        if len(re.findall(r"[^\W\d_]{2,}", stripped)) >= 3:
            return stripped[:200]
    return Path(filename).stem.replace("_", " ").replace("-", " ").strip() or filename


def guess_entry(text: str, filename: str) -> CatalogEntry:
    """Catalog metadata guessed from the text: title from the first heading or substantial line, detected language."""
    return CatalogEntry(title=_guess_title(text, filename), languages=[detect_language(text)], guessed=True)
