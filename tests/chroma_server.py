"""A real Chroma server for tests: `chroma run` from the venv on a free loopback port, stopped afterwards.

Import the fixture into a test module (`from chroma_server import chroma_server`); it yields the
server's URL once its heartbeat answers, and terminates (then kills) the process on the way out.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

STARTUP_S = 60.0


def chroma_executable() -> str:
    """The `chroma` script next to this interpreter (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).parent / "chroma"
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise RuntimeError("the `chroma` command is not installed (pip install chromadb)")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_heartbeat(url: str, proc: subprocess.Popen, *, seconds: float = STARTUP_S) -> None:
    """Poll the server's heartbeat until it answers; fail early if the process died."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"chroma server exited with code {proc.returncode} before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"chroma server at {url} did not answer within {seconds:g}s")
        time.sleep(0.2)


@contextmanager
def running_chroma(path: Path, *, log: Path | None = None) -> Iterator[str]:
    """Run `chroma run --path <path>` on a free loopback port; yields its URL, stops the server afterwards."""
    port = free_port()
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [chroma_executable(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_heartbeat(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        if log:
            out.close()


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a real Chroma server with its own empty data folder, shared by the tests of one module."""
    root = tmp_path_factory.mktemp("chroma-server")
    try:
        with running_chroma(root / "db", log=root / "server.log") as url:
            yield url
    except RuntimeError as exc:
        log = root / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        pytest.fail(f"{exc}\n{tail}")
