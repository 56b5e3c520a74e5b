"""What makes the report cheap: a run writes the page and the charts' Vega-Lite specs (the page
draws them), images are made on request (`segsql report --images`), and the JavaScript
bundle the page inlines is built once and kept on disk.

The time itself is measured in bench/ (bench/README.md, "Report and start-up"), never here.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.report import writer
from segsql.report.charts import CHARTS, RERUN_CHARTS

from .conftest import DATA

pytestmark = pytest.mark.report

EVERY_CHART = [chart.name for chart in (*CHARTS, *RERUN_CHARTS)]


@pytest.fixture(scope="module")
def reran(tmp_path_factory):
    """data/customers.toml run twice into one database, with a categorical feature (a region made
    up from the id): the second report has every chart, the categories among them."""
    tmp = tmp_path_factory.mktemp("report_speed")
    text = (DATA / "customers.toml").read_text()
    config = tmp / "customers.toml"
    data = (DATA / "customers.csv").as_posix()
    text = text.replace('path = "customers.csv"', f'path = "{data}"')
    region = "CASE WHEN CustomerID % 3 = 0 THEN 'north' ELSE 'south' END AS region"
    text = text.replace('sql = "SELECT * FROM customers"', f'sql = "SELECT *, {region} FROM customers"')
    config.write_text(text.replace("\n[features.labels]", 'categorical = ["region"]\n\n[features.labels]', 1))
    segsql.run(config)
    return config, segsql.run(config)


def _images(folder):
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".png", ".svg"))


def test_a_run_writes_the_page_with_every_chart_and_their_specs_but_no_images(reran):
    config, second = reran
    out = config.parent / "out" / "customers"
    html = second.report.read_text()
    for name in EVERY_CHART:
        assert f'id="chart-{name}"' in html, name
        spec = json.loads((out / "charts" / f"{name}.vl.json").read_text())
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
    embedded = json.loads(re.search(r"const specs = (\{.*?\});\n", html, flags=re.DOTALL).group(1))
    assert sorted(embedded) == sorted(EVERY_CHART)
    assert _images(out / "charts") == []
    assert _images(out / f"run-{second.run_id}" / "charts") == []


def test_segsql_report_images_draws_every_chart_as_png_and_svg(reran):
    config, second = reran
    out = config.parent / "out" / "customers"
    folders = (out / "charts", out / f"run-{second.run_id}" / "charts")
    result = CliRunner().invoke(app, ["report", str(config), "--images"])
    assert result.exit_code == 0, result.output
    assert f"({len(EVERY_CHART)} charts beside it, Vega-Lite, SVG and PNG)" in result.output
    for folder in folders:
        for name in EVERY_CHART:
            png = (folder / f"{name}.png").read_bytes()
            svg = (folder / f"{name}.svg").read_text()
            assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000, name
            assert svg.lstrip().startswith("<svg") and "</svg>" in svg, name
    # a report without images takes away the images of the one before: none pass for its charts
    result = CliRunner().invoke(app, ["report", str(config)])
    assert result.exit_code == 0, result.output
    assert f"({len(EVERY_CHART)} charts beside it, Vega-Lite)" in result.output
    for folder in folders:
        assert _images(folder) == []
        specs = sorted(p.name.removesuffix(".vl.json") for p in folder.glob("*.vl.json"))
        assert specs == sorted(EVERY_CHART)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty cache folder for the bundle; the process's copy of it forgotten before and after."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    writer._javascript.cache_clear()
    yield tmp_path / "cache" / "segsql"
    writer._javascript.cache_clear()


def test_the_javascript_bundle_is_kept_on_disk_and_read_back_when_whole(reran, cache_home):
    config, _ = reran
    page = segsql.write_report(config).html
    [kept] = cache_home.glob("vega-bundle-*.js")
    header, _, bundle = kept.read_text().partition("\n")
    assert header == f"// sha256 {hashlib.sha256(bundle.encode()).hexdigest()}"
    assert "vegaEmbed" in bundle and bundle[:2000] in page.read_text()

    # the next process reads it back rather than building it
    fake = "/* the kept bundle */ window.vegaEmbed = function () {};"
    kept.write_text(f"// sha256 {hashlib.sha256(fake.encode()).hexdigest()}\n{fake}")
    writer._javascript.cache_clear()
    assert "/* the kept bundle */" in segsql.write_report(config).html.read_text()

    # a file that is not what its digest says is built again, and replaced
    kept.write_text(f"{header}\n{fake}")
    writer._javascript.cache_clear()
    assert "/* the kept bundle */" not in segsql.write_report(config).html.read_text()
    assert kept.read_text() == f"{header}\n{bundle}"
