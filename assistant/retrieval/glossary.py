"""Cross-language query expansion for keyword search, from a small domain glossary (`glossary.yaml`).

BM25 matches words, so a Spanish question finds no English passage and an English question no Nynorsk one,
however well the dense search does. The glossary lists each concept in the languages of the reports; a
question that uses one of its words also searches for the others. Words match after the keyword index's own
stemming and accent folding (`query_tokens`), so "recomendaciones" meets "recomendación".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, TypeAdapter

from ingest.snapshot.keyword import query_tokens

SHIPPED_GLOSSARY = Path(__file__).resolve().with_name("glossary.yaml")


class Term(BaseModel):
    """One word or phrase of a concept, with the stems each of its words may take."""

    text: str
    words: list[frozenset[str]]  # per word: its English and Norwegian stems

    def found_in(self, stems: set[str]) -> bool:
        """Whether every word of the term occurs among a question's stems."""
        return bool(self.words) and all(word & stems for word in self.words)


class Glossary(BaseModel):
    """Concepts, each a list of equivalent terms across languages."""

    concepts: list[list[Term]]

    @classmethod
    def from_groups(cls, groups: list[list[str]]) -> Glossary:
        """Build from plain word lists (one list per concept)."""
        def term(text: str) -> Term:
            return Term(text=text, words=[frozenset(query_tokens(w)) for w in text.split() if query_tokens(w)])
        return cls(concepts=[[term(t) for t in dict.fromkeys(group)] for group in groups])

    def expansions(self, query: str) -> list[str]:
        """The other-language terms of every concept the question uses (none it already contains)."""
        stems = set(query_tokens(query))
        extra: list[str] = []
        for terms in self.concepts:
            if any(t.found_in(stems) for t in terms):
                extra += [t.text for t in terms if len(t.words) == 1 and not t.found_in(stems)]
        return list(dict.fromkeys(extra))

    def expand(self, query: str) -> str:
        """The question followed by its cross-language expansions, for keyword search."""
        extra = self.expansions(query)
        return f"{query} {' '.join(extra)}" if extra else query


@lru_cache(maxsize=4)
def load_glossary(path: Path | str = SHIPPED_GLOSSARY) -> Glossary:
    """Read and validate a glossary file (a YAML list of word lists); a clear error names a bad file."""
    path = SHIPPED_GLOSSARY if path == "shipped" else Path(path)
    try:
        groups = TypeAdapter(list[list[str]]).validate_python(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"glossary {path}: {exc}") from exc
    return Glossary.from_groups(groups)
