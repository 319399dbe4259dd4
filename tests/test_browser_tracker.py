"""The Recommendations tab in Debian's chromium, over a fixture index holding a management-response matrix:
filter by response status, see the recurring view, download the DOCX brief and read its footnotes back."""

from __future__ import annotations

import docx
import pytest
from playwright.sync_api import expect

from app_server import running_app
from assistant.evidence.footnotes import footnote_texts
from ingest.settings import Settings
from test_browser import ARTIFACTS, _ensure_chromium, page  # noqa: F401 - `page` is the chromium page fixture
from tracker_helpers import DOCS, write_tracker_index

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def tracker_url(tmp_path_factory):
    """The real app over the tracker's fixture passages (written straight into the store: no parsing)."""
    _ensure_chromium()
    root = tmp_path_factory.mktemp("tracker-browser")
    settings = Settings(data_dir=root / "data", corpus_dir=root / "corpus", embedders=["e5"], threads=2, llm=None)
    write_tracker_index(settings)
    with running_app(settings) as url:
        yield url


def _pick(page, elem_id: str, option: str) -> None:
    """Choose one option of a multiselect dropdown."""
    page.locator(f"#{elem_id} input").click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_tracker_filters_by_response_and_downloads_a_brief(tracker_url, page, tmp_path) -> None:  # noqa: F811
    page.goto(tracker_url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Recommendations").click()
    count = page.locator("#tracker-count")
    count.get_by_text("6 of 6 recommendations").wait_for(timeout=60_000)
    table = page.locator("#tracker-table")
    assert "Multi-year grants agreed" in table.inner_text()

    _pick(page, "tracker-response", "not accepted")
    count.get_by_text("1 of 6 recommendations").wait_for(timeout=30_000)
    text = table.inner_text()
    assert "Recommendation 2: Train prosecutors" in text and "Recommendation 1" not in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "tracker-not-accepted.png"), full_page=True)

    with page.expect_download(timeout=30_000) as download:
        page.locator("#tracker-brief").click()
    path = tmp_path / "brief.docx"
    download.value.save_as(str(path))
    brief = docx.Document(str(path))
    [note] = footnote_texts(brief).values()
    report = DOCS["shelter-report"]
    assert report["title"] in note and 'section "4. Recommendations"' in note and "p. " in note
    assert str(report["year"]) in note
    assert any("Management response: not accepted" in p.text for p in brief.paragraphs)

    page.locator("#tracker-response .token-remove, #tracker-response [aria-label='Remove not accepted']").first.click()
    count.get_by_text("6 of 6 recommendations").wait_for(timeout=30_000)
    page.get_by_role("tab", name="Recurring").click()
    recurring = page.locator("#tracker-recurring-table")
    expect(recurring).to_contain_text("Oppfølgingsnotat (2011)", timeout=30_000)
    assert "Review of the national hotline (2019)" in recurring.inner_text()
    page.screenshot(path=str(ARTIFACTS / "tracker-recurring.png"), full_page=True)
