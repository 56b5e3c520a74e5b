"""Acceptance: the report, opened in a real headless Chromium with no network, shows every chart."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import segsql
from segsql.report.charts import CHARTS

from .cdp import Chromium, find_chromium
from .test_categorical import WHOLESALE_NUMERIC, WHOLESALE_TOML

CHROMIUM = find_chromium()


DATA = Path(__file__).resolve().parent.parent / "data"


def _categorical(tmp_path: Path) -> Path:
    """The bundled wholesale data with Channel and Region as categorical features, report on."""
    config = tmp_path / "wholesale.toml"
    config.write_text(
        WHOLESALE_TOML.format(path=(DATA / "wholesale.csv").as_posix(), numeric=WHOLESALE_NUMERIC)
    )
    return config


@pytest.mark.report
@pytest.mark.service
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary here (.ci/run installs Debian's `chromium`)")
@pytest.mark.parametrize("categorical", [False, True], ids=["numeric", "categorical"])
def test_the_report_renders_every_chart_in_headless_chromium_with_no_network(
    categorical, customers_config, tmp_path
):
    result = segsql.run(_categorical(tmp_path) if categorical else customers_config)
    assert result.report is not None and result.report.is_file()
    # the categories chart only for a run with categorical features
    charts = [chart for chart in CHARTS if categorical or not chart.needs_rows]
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
        while page.evaluate(count) < len(charts) and time.monotonic() < deadline:
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

    assert containers == len(charts)
    assert rendered == len(charts), f"{rendered} of {len(charts)} charts rendered"
    assert drawn == len(charts), "a chart rendered empty"
    assert cards == result.k
    assert errors == []
    assert requests, "the page load itself should be recorded"
    assert all(url.startswith(("file://", "data:", "about:")) for url in requests), requests
    assert screenshot.stat().st_size > 50_000
    print(f"screenshot: {screenshot}")
