"""The Evidence map tab in Debian's chromium: the heat map renders, a cell opens its passages as source cards."""

from __future__ import annotations

import re

import pytest

from test_browser import ARTIFACTS, app_url, page  # noqa: F401 - the real app over the seed corpus, a chromium page

pytestmark = [pytest.mark.browser, pytest.mark.slow]
GAP = "–"


def test_a_map_cell_opens_its_passages_and_a_gap_says_so(app_url, page) -> None:  # noqa: F811
    url, _ = app_url
    page.goto(url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Evidence map").click()
    table = page.locator("#evidence-map")
    table.locator("[data-testid='cell-0-1']").wait_for(timeout=120_000)
    cells = table.locator("[data-testid^='cell-']")
    counts = {}
    for i in range(cells.count()):
        cell = cells.nth(i)
        row, col = (int(x) for x in cell.get_attribute("data-testid").split("-")[1:])
        if col > 0:
            counts[(row, col)] = cell.inner_text().strip()
    filled = [rc for rc, text in counts.items() if text.isdigit()]
    gaps = [rc for rc, text in counts.items() if text == GAP]
    assert filled and gaps, counts  # the seed corpus covers some themes, not all

    row, col = max(filled, key=lambda rc: int(counts[rc]))
    table.locator(f"[data-testid='cell-{row}-{col}']").click()
    cards = page.locator("#map-cards details.source-card")
    cards.first.wait_for(state="attached", timeout=60_000)
    n = int(counts[(row, col)])
    assert cards.count() == min(n, 50)
    assert re.search(rf"\b{n} passages?\b", page.locator("#map-cell").inner_text())
    first = cards.first
    first.locator("summary").click()
    assert first.evaluate("el => el.open") is True and first.locator("mark").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "evidence-map.png"), full_page=True)

    row, col = gaps[0]
    table.locator(f"[data-testid='cell-{row}-{col}']").click()
    page.locator("#map-cell").get_by_text("a gap").wait_for(timeout=30_000)
    assert page.locator("#map-cards details.source-card").count() == 0
