"""The document catalog (corpus/catalog.yaml) and metadata guessed for files without an entry."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.lang import detect_language
from ingest.models import CatalogEntry


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
