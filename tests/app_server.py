"""Test helper: the seed corpus ingested with e5 (once per test session), served by the real app on a free port.

Ingesting the seed corpus takes minutes on two shared cores, so it happens once, in a subprocess (Chroma
flushes everything when that process exits), into a template folder; each test module gets its own copy
(corpus and data), so uploads and feedback never touch the real corpus/ or another module's index.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ingest.settings import PROJECT_ROOT, Settings

SEED_CORPUS = PROJECT_ROOT / "corpus"
_INGEST = """
import sys
from pathlib import Path
from ingest.pipeline import ingest_paths
from ingest.settings import Settings
root = Path(sys.argv[1])
settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", embedders=["e5"], threads=2)
files = sorted(p for p in settings.corpus_dir.iterdir() if p.suffix == ".txt")
summary = ingest_paths(files, settings=settings, progress=False)
print(summary.render())
sys.exit(1 if summary.failed or not summary.passages else 0)
"""
_template: Path | None = None


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _seed_template() -> Path:
    """A folder with corpus/ (copy of the seed corpus) and data/ (its e5 index), built once per session."""
    global _template
    if _template is None:
        root = Path(tempfile.mkdtemp(prefix="lessons-seed-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        shutil.copytree(SEED_CORPUS, root / "corpus")
        done = subprocess.run(
            [sys.executable, "-c", _INGEST, str(root)], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=1200
        )
        assert done.returncode == 0, f"seed ingestion failed:\n{done.stdout}\n{done.stderr[-3000:]}"
        _template = root
    return _template


def seeded_settings(root: Path, **overrides) -> Settings:
    """Settings over a private copy of the ingested seed corpus (corpus/ and data/ under `root`)."""
    template = _seed_template()
    for part in ("corpus", "data"):
        shutil.copytree(template / part, root / part)
    values = {"data_dir": root / "data", "corpus_dir": root / "corpus", "embedders": ["e5"], "threads": 2, "llm": None}
    return Settings(**{**values, **overrides})


@contextmanager
def running_app(settings: Settings) -> Iterator[str]:
    """Serve the real app (index and models loaded once) in a background thread; yields its URL."""
    from assistant.web.app import serve

    port = free_port()
    app = serve(settings, host="127.0.0.1", port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        app.close()


@contextmanager
def served_app(settings: Settings, *, log: Path, startup_s: float = 300) -> Iterator[str]:
    """`lessons serve` in its own process over `settings`' index, as a user runs it; yields its URL.

    Clients in the test process then share no interpreter (and no GIL) with the server, as browsers never do.
    """
    port = free_port()
    env = {**os.environ, "LESSONS_DATA_DIR": str(settings.data_dir), "LESSONS_CORPUS_DIR": str(settings.corpus_dir),
           "LESSONS_EMBEDDERS": json.dumps(list(settings.embedders)), "LESSONS_THREADS": str(settings.threads)}
    env.pop("LESSONS_LLM", None)
    script = Path(sys.executable).parent / "lessons"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]
    url = f"http://127.0.0.1:{port}/"
    with open(log, "wb") as out:
        proc = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            _wait_until_served(url, proc, log, startup_s)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)


def _wait_until_served(url: str, proc: subprocess.Popen, log: Path, seconds: float) -> None:
    """Poll the page until it answers 200; fail early, with the server's output, if the process died."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"lessons serve exited with code {proc.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"lessons serve did not answer at {url} within {seconds:g}s")
        time.sleep(0.5)
