"""Themes through ingestion (real parser, real e5, real Chroma): tagged at write, stamped, filtered, re-tagged
from stored vectors when the taxonomy changes."""

from __future__ import annotations

import json

import yaml

from assistant.cli import main
from ingest.pipeline import ingest_paths
from ingest.retag import passages_with_vectors, tagger_for
from ingest.settings import ThemeSettings
from ingest.store import open_store
from ingest.themes import load_taxonomy, tag_passages, taxonomy_fingerprint
from ingest_helpers import write_catalog, write_doc
from theme_helpers import SHIPPED

DOCS = {
    "shelters.txt": ("Shelters for victims of trafficking", ["shelter and psychosocial support for victims",
                                                             "funding from donors"]),
    "hiring.txt": ("Fair recruitment of migrant workers", ["recruitment fees and labour migration",
                                                          "gender and women migrant workers"]),
}


def corpus(folder):
    for name, (title, topics) in DOCS.items():
        write_doc(folder, name, title, topics)
    write_catalog(folder, {name: {"title": title, "year": 2021} for name, (title, _) in DOCS.items()})
    return folder


def test_ingestion_tags_passages_filters_by_theme_and_retags_without_re_embedding(tmp_path, tmp_settings, capsys,
                                                                                   monkeypatch):
    folder = corpus(tmp_path / "corpus")
    first = ingest_paths([folder], settings=tmp_settings, progress=False)
    assert first.ok and first.retagged == 0
    store = open_store(tmp_settings)
    stamp = taxonomy_fingerprint(load_taxonomy(SHIPPED), ThemeSettings())
    assert {r.themes for r in store.manifest().values()} == {stamp}
    passages, vectors = passages_with_vectors(store)
    assert passages == store.all_passages()
    e5_tagger = tagger_for(tmp_settings, _e5(tmp_settings))
    assert tag_passages(passages, vectors, e5_tagger) == passages  # what was stored is the tagging of the vectors
    by_id = {p.id: p for p in passages}
    shelters = [p for p in passages if p.doc_id == "shelters"]
    assert any("victim_assistance" in p.themes for p in shelters)

    data = ["--data-dir", str(tmp_settings.data_dir)]
    assert main(["search", "support for victims", "--where", "theme=victim_assistance", "--json", *data]) == 0
    hits = json.loads(capsys.readouterr().out)["passages"]
    assert hits and all("victim_assistance" in by_id[h["id"]].themes for h in hits)
    assert len(hits) < len(passages)

    edited = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    edited["themes"] = [t for t in edited["themes"] if t["id"] != "victim_assistance"]  # a user drops a theme
    path = tmp_path / "themes.yaml"
    path.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    changed = tmp_settings.model_copy(update={"themes": ThemeSettings(taxonomy=path)})
    again = ingest_paths([folder], settings=changed, progress=False)
    assert (again.added, again.updated, again.skipped, again.passages, again.retagged) == (0, 0, 2, 0, 2)
    after = open_store(changed).all_passages()
    assert [p.id for p in after] == [p.id for p in passages]  # same passages, nothing re-cut or re-embedded
    assert not any("victim_assistance" in p.themes for p in after)
    new_stamp = taxonomy_fingerprint(load_taxonomy(path), ThemeSettings(taxonomy=path))
    assert {r.themes for r in open_store(changed).manifest().values()} == {new_stamp}
    assert ingest_paths([folder], settings=changed, progress=False).retagged == 0

    monkeypatch.delenv("LESSONS_THEMES__TAXONOMY", raising=False)  # back to the shipped file, by `lessons retag`
    assert main(["retag", "--json", *data]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["documents"] == 2 and report["stamp"] == stamp and report["by_theme"]["victim_assistance"] > 0
    assert open_store(tmp_settings).all_passages() == passages


def _e5(settings):
    from ingest.embed import get_embedder

    return get_embedder("e5", threads=settings.threads, runtime=settings.ingest.e5_runtime)


def test_an_invalid_theme_file_is_reported_and_ingestion_goes_on_untagged(tmp_path, tmp_settings):
    folder = corpus(tmp_path / "corpus")
    broken = tmp_path / "themes.yaml"
    broken.write_text("themes: [unclosed", encoding="utf-8")
    settings = tmp_settings.model_copy(update={"themes": ThemeSettings(taxonomy=broken)})
    summary = ingest_paths([folder], settings=settings, progress=False)
    assert summary.ok and summary.added == 2 and summary.retagged == 0
    assert any("themes not updated" in w and str(broken) in w for w in summary.warnings)
    store = open_store(settings)
    assert all(p.themes == [] for p in store.all_passages()) and {r.themes for r in store.manifest().values()} == {""}
    fixed = ingest_paths([folder], settings=tmp_settings, progress=False)  # the shipped file: tagged, not re-embedded
    assert (fixed.skipped, fixed.passages, fixed.retagged) == (2, 0, 2)
    assert any(p.themes for p in open_store(tmp_settings).all_passages())
