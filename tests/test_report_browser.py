"""Acceptance: the report, opened in a real headless Chromium with no network, shows every chart."""

from __future__ import annotations

import time

import pytest

import segsql
from segsql.report.charts import CHARTS

from .cdp import Chromium, find_chromium

CHROMIUM = find_chromium()


@pytest.mark.report
@pytest.mark.service
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary here (.ci/run installs Debian's `chromium`)")
def test_the_report_renders_every_chart_in_headless_chromium_with_no_network(customers_config, tmp_path):
    result = segsql.run(customers_config)
    assert result.report is not None and result.report.is_file()
    profile = tmp_path / "chromium-profile"
    profile.mkdir()

    with Chromium(CHROMIUM, profile) as page:
        for domain in ("Page", "Runtime", "Network", "Log"):
            page.call(f"{domain}.enable")
        page.call("Page.navigate", url=result.report.resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        # vega-embed renders asynchronously: wait until every container holds its chart
        count = "document.querySelectorAll('.chart-container svg.marks').length"
        deadline = time.monotonic() + 30
        while page.evaluate(count) < len(CHARTS) and time.monotonic() < deadline:
            time.sleep(0.2)
        rendered = page.evaluate(count)
        containers = page.evaluate("document.querySelectorAll('.chart-container').length")
        drawn = page.evaluate(
            "[...document.querySelectorAll('.chart-container svg.marks')]"
            ".filter(s => s.getBoundingClientRect().width > 100"
            " && s.querySelectorAll('path, text').length > 5)"
            ".length"
        )
        cards = page.evaluate("document.querySelectorAll('section.card').length")
        screenshot = tmp_path / "report.png"
        page.screenshot(screenshot)
        requests, errors = page.requests(), page.errors()

    assert containers == len(CHARTS)
    assert rendered == len(CHARTS), f"{rendered} of {len(CHARTS)} charts rendered"
    assert drawn == len(CHARTS), "a chart rendered empty"
    assert cards == 4
    assert errors == []
    assert requests, "the page load itself should be recorded"
    assert all(url.startswith(("file://", "data:", "about:")) for url in requests), requests
    assert screenshot.stat().st_size > 50_000
    print(f"screenshot: {screenshot}")
