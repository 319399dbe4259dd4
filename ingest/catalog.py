"""The document catalog (corpus/catalog.yaml) and metadata guessed for files without an entry."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import yaml
from pydantic import ValidationError

from ingest.countries import count_countries
from ingest.lang import detect_language
from ingest.models import CatalogEntry


class CatalogError(ValueError):
    """The catalog file is unreadable or one of its entries is invalid."""


def read_catalog(path: Path) -> dict[str, CatalogEntry]:
    """The valid entries of a catalog file (keys are file names); see `read_catalog_with_problems`."""
    return read_catalog_with_problems(path)[0]


def read_catalog_with_problems(path: Path) -> tuple[dict[str, CatalogEntry], list[str]]:
    """Read a catalog leniently: free-text fields are kept, an invalid entry is reported by file name and field
    and left out (its file falls back to guessed metadata), and every other entry is applied.
    Raises CatalogError only when the file itself cannot be read as a mapping."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise CatalogError(f"catalog {path} must map file names to entries, got {type(raw).__name__}")
    entries: dict[str, CatalogEntry] = {}
    problems: list[str] = []
    for name, value in raw.items():
        if not isinstance(value, dict):
            problems.append(f"catalog entry {name!r}: must be a mapping of fields, got {type(value).__name__}")
            continue
        try:
            entries[str(name)] = CatalogEntry.model_validate(value)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'entry'}: {e['msg']}" for e in exc.errors())
            problems.append(f"catalog entry {name!r} is invalid ({fields}); its metadata is guessed")
    return entries, problems


def _guess_title(text: str, filename: str, hint: str = "") -> str:
    if hint and len(re.findall(r"[^\W\d_]{2,}", hint)) >= 2:
        return " ".join(hint.split())[:200]
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


def _guess_year(text: str) -> int | None:
    years = Counter(int(y) for y in re.findall(r"(?<![\d/.-])(19[89]\d|20[0-4]\d)(?![\d/-])", text))
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n >= top / 2)  # a report is dated by the latest year it names often


def _guess_countries(text: str) -> list[str]:
    """The (up to three) countries the first pages name most, at least twice each, as canonical English names."""
    return [name for name, n in count_countries(text).most_common(3) if n >= 2]


def _guess_organisation(text: str) -> str:
    """The acronym the first pages use most, when it is spelled out there ("... (ABC)") or used often."""
    defined = set(re.findall(r"\(([A-Z][A-Za-z]{1,7})\)", text))
    counts = Counter(t for t in re.findall(r"\b[A-Z][A-Z&]{1,6}\b", text) if not re.fullmatch(r"[IVXLC]+", t))
    ranked = [(t, n) for t, n in counts.most_common(10) if t in defined or n >= 5]
    return ranked[0][0] if ranked else ""


def guess_entry(text: str, filename: str, *, title_hint: str = "", first_pages: str = "") -> CatalogEntry:
    """Catalog metadata guessed from the file: title (the file's own title when meaningful, else the first heading
    or substantial line), organisation, year and countries from the first pages, detected language."""
    opening = first_pages or text[:15000]
    return CatalogEntry(title=_guess_title(text, filename, title_hint), organisation=_guess_organisation(opening),
                        year=_guess_year(opening), countries=_guess_countries(opening),
                        languages=[detect_language(text)], guessed=True)


CATALOG_NAMES = {"catalog.yaml", "catalog.yml"}


def folder_catalogs(folders: set[Path], failed: list[tuple[str, str]], warnings: list[str]) -> dict[Path, dict]:
    """The catalog of each folder (file name -> entry); a catalog that cannot be read is reported in `failed` and
    its folder's files fall back to guessed metadata, an entry's problems go to `warnings`."""
    out: dict[Path, dict[str, CatalogEntry]] = {}
    for folder in folders:
        out[folder] = {}
        for name in sorted(CATALOG_NAMES):
            if (folder / name).is_file():
                try:
                    out[folder], problems = read_catalog_with_problems(folder / name)
                    warnings.extend(f"{folder / name}: {problem}" for problem in problems)
                except ValueError as exc:  # CatalogError: report it, ingest with guessed metadata
                    failed.append((str(folder / name), str(exc)))
                break
    return out
