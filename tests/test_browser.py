"""The real app in Debian's chromium: ask a question, see the answer and its source cards, rate it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from app_server import running_app, seeded_settings
from assistant.answer.feedback import feedback_path
from assistant.evidence.footnotes import footnote_texts

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
QUESTION = "How can we engage the apparel private sector on TiP?"
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]


def _ensure_chromium() -> None:
    """Install Debian's chromium when missing and we are root (as `make browser` does); else skip."""
    if CHROMIUM.exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, check=False, timeout=900)
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not at /usr/bin/chromium and could not be installed (run `make browser` as root)")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """(url, settings) of the real app over an ingested copy of the seed corpus."""
    _ensure_chromium()
    settings = seeded_settings(tmp_path_factory.mktemp("browser"))
    with running_app(settings) as url:
        yield url, settings


@pytest.fixture()
def page():
    """A fresh chromium page."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1100})
        yield context.new_page()
        browser.close()


def test_ask_shows_answer_with_source_cards_and_records_feedback(app_url, page) -> None:
    url, settings = app_url
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#question textarea").fill(QUESTION)
    page.locator("#ask-button").click()

    cards = page.locator("#chat details.source-card")
    cards.first.wait_for(state="attached", timeout=180_000)
    bot = page.locator("#chat [data-testid='bot']").last
    assert "[1]" in bot.inner_text()
    assert cards.count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    bot.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "ask.png"), full_page=True)

    first = cards.first
    assert "[1]" in first.locator("summary").inner_text()
    first.locator("summary").click()
    assert first.evaluate("el => el.open") is True
    assert first.locator("mark").count() == 1  # the quoted span, highlighted inside the full passage
    assert first.locator("mark").inner_text().split() == first.locator("blockquote").inner_text().split()
    first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "ask-source-open.png"), full_page=True)
    assert (ARTIFACTS / "ask.png").stat().st_size > 10_000

    with page.expect_download(timeout=60_000) as download:  # the answer as a DOCX brief, quotes footnoted
        page.locator("#answer-docx").click()
    brief = docx.Document(download.value.path())
    notes = list(footnote_texts(brief).values())
    assert notes and all(", p. " in n or "page unknown" in n for n in notes)
    assert any(QUESTION in p.text for p in brief.paragraphs)

    page.get_by_role("button", name="Like").last.click()
    page.locator("#feedback-status").get_by_text("recorded").wait_for(timeout=30_000)
    record = json.loads(feedback_path(settings).read_text().splitlines()[-1])
    assert record["rating"] == "up" and record["question"] == QUESTION and "[1]" in record["answer"]


REPORT_PAGES = 140
REPORT_TITLE = "Synthetic field report on shelter monitoring"


def test_chat_answers_while_an_upload_is_being_ingested(app_url, page, tmp_path, monkeypatch) -> None:
    """Upload a 140-page PDF; while it is being read (held halfway, so the test does not race the machine's speed)
    the progress shows in the Documents tab and chat answers with citations; then the document is listed."""
    import threading

    from fixtures_docs import make_long_pdf
    from gradio_client import Client

    from ingest.progress import ProgressTracker

    url, _ = app_url
    pdf = make_long_pdf(tmp_path / "field-report.pdf", REPORT_PAGES, title=REPORT_TITLE)
    halfway, release, page_read = threading.Event(), threading.Event(), ProgressTracker.page

    def held_page(self, file: str, number: int, total: int) -> None:
        page_read(self, file, number, total)
        if file == pdf.name and number == total // 2:
            halfway.set()
            release.wait(300)

    monkeypatch.setattr(ProgressTracker, "page", held_page)
    try:
        page.goto(url, wait_until="domcontentloaded")
        page.get_by_role("tab", name="Documents").click()
        page.locator("#upload-file input[type=file]").set_input_files(str(pdf))
        page.get_by_role("button", name="Add to corpus").click()
        page.locator("#upload-result").get_by_text("Queued").wait_for(timeout=60_000)
        assert halfway.wait(300)
        progress = page.locator("#ingest-progress")
        progress.get_by_text(f"{REPORT_PAGES // 2} of {REPORT_PAGES} pages").wait_for(timeout=30_000)
        assert progress.locator("progress").count() == 1 and "Ingesting field-report.pdf" in progress.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "upload-progress.png"), full_page=True)

        page.get_by_role("tab", name="Ask").click()
        page.locator("#question textarea").fill(QUESTION)
        page.locator("#ask-button").click()
        page.locator("#chat details.source-card").first.wait_for(state="attached", timeout=180_000)
        assert "[1]" in page.locator("#chat [data-testid='bot']").last.inner_text()
        job = Client(url, verbose=False).predict(api_name="/ingest_status")[-1]
        assert job["file_name"] == pdf.name and job["state"] == "ingesting", job  # answered during the ingestion
        assert job["progress"]["pages_read"] == REPORT_PAGES // 2
    finally:
        release.set()

    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents-table")
    table.get_by_text(REPORT_TITLE).first.wait_for(timeout=600_000)
    page.locator("#ingest-progress").get_by_text("Added").wait_for(timeout=30_000)
    table.get_by_text(REPORT_TITLE).first.click()
    report = page.locator("#document-report")
    report.get_by_text("Ingestion report").wait_for(timeout=30_000)
    assert str(REPORT_PAGES) in report.inner_text() and "With a section path" in report.inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-done.png"), full_page=True)
