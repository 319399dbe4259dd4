"""`lessons passages` and `lessons stats --doc`: what was indexed, and one document's ingestion report."""

from __future__ import annotations

import json

from assistant.cli import main
from ingest.settings import Settings
from ingest.store import open_store


def test_passages_as_json_lines_and_the_document_report(small_corpus, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["ingest", str(small_corpus), "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "with a section)" in out and "header/footer lines removed" in out  # the short report per document
    manifest = open_store(Settings(data_dir=data)).manifest()
    doc_id = sorted(manifest)[0]

    assert main(["passages", "--doc", doc_id, "--json", "--data-dir", str(data)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(rows) == manifest[doc_id].passages and {r["doc_id"] for r in rows} == {doc_id}
    assert set(rows[0]) == {"id", "doc_id", "title", "evaluation", "section", "kind", "page", "text", "fields"}

    assert main(["stats", "--doc", doc_id, "--json", "--data-dir", str(data)]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["path"] == manifest[doc_id].path and body["title"] == manifest[doc_id].meta.title
    assert body["report"]["passages"] == len(rows) and body["report"]["passages_by_kind"]

    assert main(["stats", "--doc", "no-such-document", "--data-dir", str(data)]) == 1
    assert main(["stats", "--json", "--data-dir", str(data)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert all("report" in d and d["path"] and d["title"] for d in stats["documents"])
