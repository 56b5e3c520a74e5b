"""A report that holds wide data (issue 13): 20 features with long labels, skewed features
on a log axis, every feature in the heatmap, cards that never overflow in a real browser,
a recommendation that is a recommendation or nothing, and a `run` summary that fits a terminal.
"""

from __future__ import annotations

import base64
import io
import json
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pytest
from markupsafe import escape
from rich.console import Console
from typer.testing import CliRunner

import segsql
from segsql import cli

from .cdp import Chromium, find_chromium

CHROMIUM = find_chromium()
FEATURES = [f"f{i:02d}" for i in range(1, 21)]
SKEWED = FEATURES[:5]  # log-normal, log1p-transformed in the config
# long words either way: odd features in words, even ones as one unbreakable column-like name
LABELS = {
    f: f"Average monthly amount of activity number {i} on the customer's revolving accounts (in euros)"
    if i % 2
    else f"TOTAL_YEARLY_AMOUNT_OF_ACTIVITY_NUMBER_{i}_ON_THE_CUSTOMERS_REVOLVING_ACCOUNTS_IN_EUROS"
    for i, f in enumerate(FEATURES, start=1)
}
RULE = "Offer the premium plan to the heaviest users of the first product."


def _wide(folder: Path, *, report: bool = True) -> Path:
    """600 entities in 4 groups, 20 features (the first 5 skewed, 0 allowed), long labels; the
    one rule holds only for the group whose first feature is far above the rest."""
    rng = np.random.default_rng(13)
    groups = np.repeat(np.arange(4), 150)
    columns = {}
    for i, f in enumerate(FEATURES):
        shift = rng.normal(0, 1.5, 4)
        if i == 0:
            shift = np.array([4.0, 0.0, 0.0, 0.0])
        if f in SKEWED:
            values = np.expm1(np.maximum(0.0, rng.normal(3 + shift[groups], 0.6)))
            values[rng.random(600) < 0.05] = 0.0
            values[rng.integers(600)] = 250_000.0  # a long tail
        else:
            values = rng.normal(50 + 10 * shift[groups], 5)
        columns[f] = values
    lines = ["id," + ",".join(FEATURES)]
    lines += [f"{n}," + ",".join(f"{columns[f][n]:.4f}" for f in FEATURES) for n in range(600)]
    (folder / "wide.csv").write_text("\n".join(lines) + "\n")
    labels = "\n".join(f'{f} = "{label}"' for f, label in LABELS.items())
    transforms = "\n".join(f'{f} = "log1p"' for f in SKEWED)
    path = folder / "wide.toml"
    path.write_text(
        '[project]\nname = "wide"\ndatabase = "wide.duckdb"\n\n[sources.d]\npath = "wide.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM d"\n\n'
        f"[features.transforms]\n{transforms}\n\n[features.labels]\n{labels}\n\n"
        '[preprocess]\nscaling = "standard"\n\n[model]\nk = 4\nn_init = 3\n\n'
        f'[output]\ndir = "out"\nreport = {str(report).lower()}\n\n'
        f'[[recommendations]]\nwhen = {{ f01 = "high" }}\nsay = "{RULE}"\n'
    )
    return path


@pytest.fixture(scope="module")
def wide_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("wide")
    config = _wide(folder)
    return config, segsql.run(config)


def _spec(config: Path, name: str) -> dict[str, Any]:
    return json.loads((config.parent / "out" / "charts" / f"{name}.vl.json").read_text())


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [row for rows in spec.get("datasets", {}).values() for row in rows]


def _nodes(spec: Any) -> list[dict[str, Any]]:
    """Every dict in a spec (layers, concatenations), depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(spec, dict):
        found.append(spec)
        for value in spec.values():
            found += _nodes(value)
    elif isinstance(spec, list):
        for value in spec:
            found += _nodes(value)
    return found


@pytest.mark.report
def test_a_segment_no_rule_matches_has_no_recommendation_and_its_card_says_so(wide_run):
    config, result = wide_run
    summary = result.segment_summary.sort("segment")
    said = summary["recommendation"].to_list()
    assert said.count(RULE) == 1, said
    assert all(s is None for s in said if s != RULE), "an unmatched segment must have no recommendation"
    html = result.report.read_text()
    assert html.count("no rule matched") == 3
    for description in summary["description"]:
        assert html.count(escape(str(description))) == 1, "a description repeated as a recommendation"


@pytest.mark.report
def test_the_heatmap_shows_every_feature_and_grows_with_them(wide_run):
    config, _ = wide_run
    spec = _spec(config, "heatmap")
    shown = {row["feature"] for row in _values(spec)}
    assert shown == set(LABELS.values())
    sorts = [n["sort"] for n in _nodes(spec) if isinstance(n.get("sort"), list) and len(n["sort"]) == 20]
    assert sorts and set(sorts[0]) == set(LABELS.values())
    # every feature a row of at least 20 px, its words whole
    assert spec["height"] >= 20 * len(FEATURES)
    rows = [n["y"] for n in _nodes(spec) if isinstance(n.get("y"), dict) and n["y"].get("field") == "feature"]
    assert rows and all(y["axis"]["labelLimit"] >= 6 * max(len(w) for w in LABELS.values()) for y in rows)


@pytest.mark.report
def test_a_log1p_feature_is_drawn_on_a_log_axis_clipped_with_its_tail_shown(wide_run):
    config, _ = wide_run
    spec = _spec(config, "distributions")
    scales = [n["scale"] for n in _nodes(spec) if isinstance(n.get("scale"), dict) and "type" in n["scale"]]
    assert sum(s["type"] == "symlog" for s in scales) >= len(SKEWED)
    domains = [s["domain"] for s in scales if s["type"] == "symlog" and "domain" in s]
    assert domains and all(high < 250_000 for _, high in domains), "the axis must not run to the maximum"
    text = json.dumps(spec)
    assert "250,000" in text, "the tail beyond the axis must be shown with its value"
    legends = [n["legend"] for n in _nodes(spec) if isinstance(n.get("legend"), dict)]
    assert legends and all(legend.get("labelLimit", 0) >= 600 for legend in legends)


def _layout(page: Chromium, width: int) -> None:
    page.call(
        "Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=False
    )


def _screenshot(page: Chromium, width: int, path: Path) -> None:
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    page.call(
        "Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False
    )
    data = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"]
    path.write_bytes(base64.b64decode(data))


# for every card, the descendants whose right edge passes the card's (1 px of rounding allowed)
OVERFLOWS = """
[...document.querySelectorAll('section.card')].flatMap(card => {
  const edge = card.getBoundingClientRect().right + 1;
  return [...card.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > edge)
    .map(e => card.id + ' ' + e.tagName + ' '
              + Math.round(e.getBoundingClientRect().right - edge + 1) + 'px: '
              + (e.textContent || '').slice(0, 40));
})
"""

# chart containers with nothing drawn in them
EMPTY = """
[...document.querySelectorAll('.chart-container')].filter(c => {
  const drawn = c.querySelector('svg, canvas');
  return !drawn || drawn.getBoundingClientRect().width < 100
    || drawn.querySelectorAll('path, text').length < 5;
}).map(c => c.id)
"""


@pytest.mark.report
@pytest.mark.service
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary here (.ci/run installs Debian's `chromium`)")
@pytest.mark.parametrize("width", [1024, 1600])
def test_no_card_overflows_and_every_chart_is_drawn_in_headless_chromium(wide_run, tmp_path, width):
    _, result = wide_run
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with Chromium(CHROMIUM, profile) as page:
        for domain in ("Page", "Runtime", "Log"):
            page.call(f"{domain}.enable")
        _layout(page, width)
        page.call("Page.navigate", url=result.report.resolve().as_uri())
        page.wait_for("Page.loadEventFired")
        count = "document.querySelectorAll('.chart-container svg.marks').length"
        charts = page.evaluate("document.querySelectorAll('.chart-container').length")
        deadline = time.monotonic() + 60
        while page.evaluate(count) < charts and time.monotonic() < deadline:
            time.sleep(0.2)
        viewport = page.evaluate("window.innerWidth")
        cards = page.evaluate("document.querySelectorAll('section.card').length")
        overflows = page.evaluate(OVERFLOWS)
        empty = page.evaluate(EMPTY)
        screenshot = tmp_path / f"report-{width}.png"
        _screenshot(page, width, screenshot)
        errors = page.errors()
    print(f"screenshot at {width} px: {screenshot}")
    assert viewport == width
    assert cards == 4 and charts >= 6
    assert overflows == [], overflows[:10]
    assert empty == []
    assert errors == []
    assert screenshot.stat().st_size > 50_000


def test_the_run_summary_of_20_features_fits_a_100_column_terminal(tmp_path, monkeypatch):
    config = _wide(tmp_path, report=False)
    printed = io.StringIO()
    for name in ("out", "err"):
        console = Console(file=printed, width=100, highlight=False, markup=False, emoji=False, soft_wrap=True)
        monkeypatch.setattr(cli, name, console)
    answer = CliRunner().invoke(cli.app, ["run", str(config)])
    assert answer.exit_code == 0, answer.output
    lines = printed.getvalue().splitlines()
    too_long = [line for line in lines if len(line) > 100]
    assert too_long == [], too_long
    text = printed.getvalue()
    assert "…" not in text, "no cell may be truncated"
    # per segment its size, its share and the words of its strongest contrasts
    assert text.count("150 entities (25.0%)") == 4
    with duckdb.connect(str(tmp_path / "wide.duckdb"), read_only=True) as con:
        strongest = con.execute(
            "SELECT arg_max(feature, abs(z_model)) FROM segsql.profiles GROUP BY segment"
        ).fetchall()
    assert len(strongest) == 4
    for (feature,) in strongest:
        assert f"  - {LABELS[feature]} " in text.replace("\n    ", " ")
