"""A theme tagger for tests that need no model: every theme vector the same, so words and sections decide."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ingest.settings import PROJECT_ROOT, ThemeSettings
from ingest.themes import Tagger, load_taxonomy, make_tagger

SHIPPED = PROJECT_ROOT / "ingest" / "themes.yaml"


def flat_tagger(taxonomy_path: Path = SHIPPED, *, rows: int = 3, dim: int = 4, **settings) -> tuple[Tagger, np.ndarray]:
    """A tagger whose theme vectors are all one unit vector, and `rows` passage vectors: meaning is 0 for all."""
    taxonomy = load_taxonomy(taxonomy_path)
    same = np.zeros((1, dim), dtype=np.float32)
    same[0, 0] = 1.0
    tagger = make_tagger(taxonomy, [same] * len(taxonomy.themes), ThemeSettings(**settings))
    vector = np.zeros((1, dim), dtype=np.float32)
    vector[0, :2] = (0.6, 0.8)
    return tagger, np.tile(vector, (rows, 1))
