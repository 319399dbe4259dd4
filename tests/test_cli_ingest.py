"""`lessons ingest` and `lessons stats`: in-process for the plain cases, real subprocesses for kill and lock."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from assistant.cli import build_parser, main, settings_from_args
from ingest.embed import model_identity
from ingest.lock import ingest_lock
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
from ingest.store import open_store
from ingest_helpers import SMALL_CORPUS, write_catalog, write_doc


def test_ingest_then_stats(small_corpus, tmp_path, capsys):
    data = tmp_path / "data"
    assert main(["ingest", str(small_corpus), "--data-dir", str(data), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 added, 0 updated, 0 skipped" in out and "0 failed" in out and "passages/s" in out

    assert main(["--data-dir", str(data), "stats"]) == 0  # the option works before the subcommand too
    text = capsys.readouterr().out
    store = open_store(Settings(data_dir=data))
    assert f"index: {data / 'chroma'}" in text
    assert f"e5: {model_identity('e5')}" in text
    for doc_id, rec in store.manifest().items():
        assert re.search(rf"\b{rec.passages}\s+{re.escape(rec.meta.title)}\s+\[{doc_id}\]", text)
    assert "passages by kind:" in text and re.search(r"\d+\s+finding", text)  # each paragraph opens "Finding n ...:"

    assert main(["stats", "--json", "--data-dir", str(data)]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert sorted(d["title"] for d in stats["documents"]) == sorted(t for t, _, _ in SMALL_CORPUS.values())
    assert stats["passages"] == sum(stats["by_document"].values()) == sum(stats["by_kind"].values())
    assert stats["embedders"]["e5"]["model"] == model_identity("e5")
    assert stats["location"] == str(data / "chroma")


def test_query_commands_take_the_index_options_after_their_name(small_corpus, tmp_path, monkeypatch, capsys):
    """`lessons search Q --data-dir X` (and `ask`) read the index at X, exactly as `lessons --data-dir X search Q`."""
    data = tmp_path / "data"
    monkeypatch.setenv("LESSONS_DATA_DIR", str(tmp_path / "empty"))  # where an ignored option would send them
    assert main(["ingest", str(small_corpus), "--data-dir", str(data), "--quiet"]) == 0
    capsys.readouterr()
    question = "Which hotline operation improved where local partners joined early and budgets were predictable?"
    assert main(["search", question, "-k", "3", "--json", "--data-dir", str(data), "--embedder", "e5"]) == 0
    after = json.loads(capsys.readouterr().out)
    assert main(["--data-dir", str(data), "search", question, "-k", "3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == after
    assert not after["refused"] and after["passages"][0]["doc_id"] == "hotline"
    assert main(["ask", question, "--json", "--data-dir", str(data)]) == 0
    assert json.loads(capsys.readouterr().out)["citations"][0]["doc_id"] == "hotline"


def test_eval_and_bench_hand_their_own_options_over_to_evals(monkeypatch, tmp_path):
    import evals.bench.run as bench
    import evals.quality.harness as harness

    seen: dict = {}
    monkeypatch.setattr(harness, "main", lambda argv, *, settings, command: seen.update(eval=(argv, settings)) or 0)
    monkeypatch.setattr(bench, "main", lambda argv, *, settings: seen.update(bench=(argv, settings)) or 0)
    assert main(["eval", "--split", "tuning", "--data-dir", str(tmp_path / "x"), "--ablate", "-k", "5"]) == 0
    assert seen["eval"][0] == ["--split", "tuning", "--ablate", "-k", "5"]
    assert seen["eval"][1].data_dir == tmp_path / "x"
    assert main(["--embedder", "minilm", "bench", "--sizes", "1000"]) == 0
    assert seen["bench"][0] == ["--sizes", "1000"] and seen["bench"][1].embedders == ["minilm"]
    with pytest.raises(SystemExit):
        main(["stats", "--split", "tuning"])  # other commands still refuse options they do not know


def test_failures_give_a_non_zero_exit_and_name_the_file(small_corpus, tmp_path, capsys):
    (small_corpus / "empty.txt").write_bytes(b"")
    code = main(["ingest", str(small_corpus), "--data-dir", str(tmp_path / "data"), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert re.search(r"FAILED \S*empty\.txt: .*empty", out) and "3 added" in out and "1 failed" in out


def test_default_path_is_the_corpus_dir(small_corpus, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LESSONS_CORPUS_DIR", str(small_corpus))
    monkeypatch.setenv("LESSONS_DATA_DIR", str(tmp_path / "env-data"))
    assert main(["ingest", "--quiet"]) == 0
    assert "3 added" in capsys.readouterr().out
    assert len(open_store(Settings(data_dir=tmp_path / "env-data")).manifest()) == 3


def test_overrides_reach_the_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("LESSONS_DATA_DIR", str(tmp_path / "from-env"))
    args = build_parser().parse_args(["ingest", "--embedder", "e5,minilm", "--chroma-url", "http://h:9000"])
    settings = settings_from_args(args)
    assert settings.embedders == ["e5", "minilm"] and settings.chroma_url == "http://h:9000"
    assert settings.data_dir == tmp_path / "from-env"
    args = build_parser().parse_args(["--data-dir", str(tmp_path / "x"), "stats", "--embedder", "minilm"])
    assert settings_from_args(args).data_dir == tmp_path / "x"
    assert settings_from_args(args).embedders == ["minilm"]


def test_a_locked_data_dir_is_refused_with_exit_2(small_corpus, tmp_path, capsys):
    data = tmp_path / "data"
    with ingest_lock(data, timeout_s=0):
        code = main(["ingest", str(small_corpus), "--data-dir", str(data), "--wait", "0", "--quiet"])
    assert code == 2
    assert f"another ingestion is running (pid {os.getpid()})" in capsys.readouterr().err


def test_unknown_embedder_is_refused_with_exit_2(small_corpus, tmp_path, capsys):
    code = main(["ingest", str(small_corpus), "--data-dir", str(tmp_path / "d"), "--embedder", "bert", "--quiet"])
    assert code == 2 and re.search(r"invalid settings: embedders.*'bert'", capsys.readouterr().err)


# --- real processes ------------------------------------------------------------------------------

def lessons(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "lessons"
    return [str(script), *args] if script.exists() else [sys.executable, "-m", "assistant.cli", *args]


class Watched:
    """A `lessons` subprocess whose stderr is collected as it arrives."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(lessons(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.err = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for chunk in iter(lambda: os.read(self.proc.stderr.fileno(), 4096), b""):
            self.err += chunk.decode("utf-8", "replace")

    def progress(self) -> tuple[int, int]:
        found = re.findall(r"embedding: *\d+%\|[^|]*\| *(\d+)/(\d+)", self.err)  # the embedding bar's counts
        return (int(found[-1][0]), int(found[-1][1])) if found else (0, 0)

    def wait_for(self, condition, timeout: float = 300) -> bool:
        """True once `condition(self)` holds while the process still runs; False if it ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if condition(self):
                return True
            time.sleep(0.01)
        raise TimeoutError(self.err[-2000:])

    def finish(self, timeout: float = 300) -> tuple[int, str]:
        out = self.proc.stdout.read()  # stderr belongs to the reader thread
        self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return self.proc.returncode, out.decode()


def kill_corpus(folder: Path) -> Path:
    topics = ["shelters", "hotlines", "police training", "reintegration", "data protection", "labour inspection"]
    catalog = {}
    for i, topic in enumerate(topics):
        name = f"report-{i}.txt"
        write_doc(folder, name, f"Report {i} on {topic}", [topic, f"{topic} funding", f"{topic} partners"])
        catalog[name] = {"title": f"Report {i} on {topic}", "organisation": "IOM", "year": 2015 + i}
    write_catalog(folder, catalog)
    return folder


def records(settings: Settings) -> list[str]:
    store = open_store(settings)
    return store.client.get_collection("passages_e5").get(include=[])["ids"]


@pytest.mark.slow
def test_killed_ingestion_reruns_to_exactly_one_copy_of_every_passage(tmp_path):
    corpus = kill_corpus(tmp_path / "corpus")
    clean = Settings(data_dir=tmp_path / "clean", embedders=["e5"])
    assert ingest_paths([corpus], settings=clean, progress=False).added == 6
    expected = open_store(clean)

    killed = Settings(data_dir=tmp_path / "killed", embedders=["e5"])
    kill_points = [
        ("first vectors", lambda w: w.progress()[0] >= 1),
        ("a document written", lambda w: "indexed report-" in w.err),
        ("two documents written", lambda w: w.err.count("indexed report-") >= 2),
        ("last embedding done", lambda w: w.progress()[1] > 0 and w.progress()[0] >= w.progress()[1]),
    ]
    partial = []
    for label, condition in kill_points:
        run = Watched("ingest", str(corpus), "--data-dir", str(killed.data_dir))
        if run.wait_for(condition):
            run.proc.send_signal(signal.SIGKILL)
            code, _ = run.finish()
            assert code == -signal.SIGKILL, label
            written = len(open_store(killed).manifest())
            partial.append(written)
        else:
            run.finish()
        ids = records(killed) if (killed.chroma_dir).exists() else []
        assert len(ids) == len(set(ids)), f"duplicate records after kill at {label}"
    print("documents in the manifest after each kill:", partial)
    assert any(0 < n < 6 for n in partial), f"no kill landed mid-corpus: {partial}"

    code, out = Watched("ingest", str(corpus), "--data-dir", str(killed.data_dir)).finish()
    assert code == 0, out
    store = open_store(killed)
    ids = records(killed)
    assert len(ids) == len(set(ids)) == len(records(clean))
    assert set(ids) == set(records(clean))
    assert store.manifest() == expected.manifest()
    assert store.all_passages() == expected.all_passages()
    assert store.fingerprint() == expected.fingerprint()


@pytest.mark.slow
def test_concurrent_ingestions_never_interleave(tmp_path):
    corpus = kill_corpus(tmp_path / "corpus")
    data = str(tmp_path / "data")
    first = Watched("ingest", str(corpus), "--data-dir", data)
    assert first.wait_for(lambda w: "embedding" in w.err)  # it holds the lock now
    first.proc.send_signal(signal.SIGSTOP)  # and keeps it, however fast the engine embeds
    waiting = Watched("ingest", str(corpus), "--data-dir", data, "--wait", "600")
    refused_code, _ = Watched("ingest", str(corpus), "--data-dir", data, "--wait", "0.5").finish()
    first.proc.send_signal(signal.SIGCONT)
    first_code, first_out = first.finish()
    waiting_code, waiting_out = waiting.finish()
    assert refused_code == 2
    assert first_code == 0 and "6 added" in first_out
    assert waiting_code == 0 and "0 added, 0 updated, 6 skipped" in waiting_out  # ran after, found nothing to do
    ids = records(Settings(data_dir=Path(data)))
    assert len(ids) == len(set(ids))


@pytest.mark.slow
def test_refusal_message_names_the_running_pid(tmp_path):
    corpus = kill_corpus(tmp_path / "corpus")
    data = str(tmp_path / "data")
    first = Watched("ingest", str(corpus), "--data-dir", data)
    assert first.wait_for(lambda w: "embedding" in w.err)
    first.proc.send_signal(signal.SIGSTOP)  # holds the lock while the second one asks
    refused = Watched("ingest", str(corpus), "--data-dir", data, "--wait", "0.3")
    code, _ = refused.finish()
    first.proc.send_signal(signal.SIGKILL)
    first.finish()
    assert code == 2
    assert f"another ingestion is running (pid {first.proc.pid})" in refused.err
