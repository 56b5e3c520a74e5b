"""The report and what feeds it: names, recommendations, projection, chart files, one offline page."""

from __future__ import annotations

import json
import re
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.report.charts import CHARTS

from .conftest import DATA

# every test here is about the report: the fixtures keep it on
pytestmark = pytest.mark.report

SEED_NAMES = {
    1: "Typical",
    2: "Low income · Low spending",
    3: "High frequency · High spending",
    4: "High income · Low frequency",
}


@pytest.fixture(scope="module")
def seed_twice(tmp_path_factory):
    """data/customers.toml run twice into one database; the second run wrote the report."""
    tmp = tmp_path_factory.mktemp("report")
    text = (DATA / "customers.toml").read_text()
    text = text.replace('path = "customers.csv"', f'path = "{(DATA / "customers.csv").as_posix()}"')
    config = tmp / "customers.toml"
    config.write_text(text)
    return config, segsql.run(config), segsql.run(config)


def test_seed_segment_names_distinguish_all_four_segments(seed_twice):
    _, first, _ = seed_twice
    summary = first.segment_summary.sort("segment")
    assert dict(zip(summary["segment"], summary["name"], strict=True)) == SEED_NAMES
    assert summary["recommendation"].n_unique() == 4
    assert summary["description"].n_unique() == 4
    assert summary["recommendation"][2].startswith("VIP programme")  # high income and high spending


def test_seed_names_and_recommendations_are_the_same_on_a_rerun(seed_twice):
    _, first, second = seed_twice
    columns = ["segment", "name", "description", "recommendation"]
    assert first.segment_summary.select(columns).equals(second.segment_summary.select(columns))


def test_profiles_keep_the_quantiles_the_boxes_are_drawn_from(seed_twice):
    _, first, _ = seed_twice
    order = ["min", "p05", "p25", "median", "p75", "p95", "max"]
    for row in first.profiles.iter_rows(named=True):
        values = [row[c] for c in order]
        assert values == sorted(values), row
    customers = pd.read_csv(DATA / "customers.csv")
    assert first.profiles["min"].min() == customers["Purchase_Frequency"].min()


def test_the_projection_is_scikit_learns_pca_of_the_scaled_matrix(seed_twice):
    _, first, _ = seed_twice
    projection = first.tables["projection"]
    points = projection.filter(projection["kind"] == "point").sort("entity")
    centroids = projection.filter(projection["kind"] == "centroid").sort("segment")
    assert points.height == 200 and centroids["segment"].to_list() == [1, 2, 3, 4]
    assert centroids["entity"].null_count() == 4

    frame = pd.read_csv(DATA / "customers.csv").sort_values("CustomerID")
    X = StandardScaler().fit_transform(frame[["Annual_Income_K", "Spending_Score", "Purchase_Frequency"]])
    pca = PCA(n_components=2, random_state=42).fit(X)
    expected = pd.DataFrame(pca.transform(X), columns=["pc1", "pc2"])
    expected["entity"] = frame["CustomerID"].astype(str).to_numpy()
    expected = expected.sort_values("entity")
    np.testing.assert_allclose(points["pc1"].to_numpy(), expected["pc1"].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(points["pc2"].to_numpy(), expected["pc2"].to_numpy(), atol=1e-9)
    assert points["variance_pc1"][0] == pytest.approx(pca.explained_variance_ratio_[0])
    # a point's segment is its segment in the segments table
    segments = first.segments.with_columns(first.segments["CustomerID"].cast(str).alias("entity"))
    joined = points.join(segments, on="entity", suffix="_s")
    assert joined.height == 200 and (joined["segment"] == joined["segment_s"]).all()


def test_the_map_holds_at_most_5000_seeded_points_however_many_rows(write_config, tmp_path):
    rng = np.random.RandomState(0)
    rows = "".join(f"{i},{x:.4f},{y:.4f}\n" for i, (x, y) in enumerate(rng.normal(size=(6000, 2)), start=1))
    config = write_config(
        """
        [project]
        database = "big.duckdb"
        [sources.big]
        path = "big.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM big"
        [model]
        k = 2
        k_range = [2, 2]
        n_init = 1
        [output]
        report = false
        """,
        big__csv="id,x,y\n" + rows,
    )
    first, second = segsql.run(config), segsql.run(config)
    projection = first.tables["projection"]
    points = projection.filter(projection["kind"] == "point")
    assert points.height == 5000 and points["entity"].n_unique() == 5000
    assert projection.filter(projection["kind"] == "centroid").height == 2
    assert points["entity"].equals(
        second.tables["projection"].filter(projection["kind"] == "point")["entity"]
    )
    assert first.report is None and not (tmp_path / "out").exists()


def test_the_report_and_every_chart_file_are_written(seed_twice):
    config, _, second = seed_twice
    out = config.parent / "out" / "customers"
    assert second.report == out / "report.html"
    for chart in CHARTS:
        if chart.needs_rows:  # the categories of categorical features: this run has none
            assert not (out / "charts" / f"{chart.name}.vl.json").exists()
            continue
        spec = json.loads((out / "charts" / f"{chart.name}.vl.json").read_text())
        assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")
        # PNG and SVG files only on request: tests/test_report_speed.py (`segsql report --images`)
        assert not (out / "charts" / f"{chart.name}.png").exists()
    # charts speak the config's words for the features
    heatmap = json.loads((out / "charts" / "heatmap.vl.json").read_text())
    rows = next(iter(heatmap["datasets"].values()))
    assert {row["feature"] for row in rows} == {"income", "spending", "frequency"}


def test_the_report_is_one_self_contained_page(seed_twice):
    _, _, second = seed_twice
    html = second.report.read_text()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL)
    assert [attributes.strip() for attributes, _ in scripts] == ["", ""]  # inline, no src=
    library, embed = scripts[0][1], scripts[1][1]
    assert len(library) > 500_000 and "vegaEmbed" in library
    assert "vegaEmbed(" in embed
    # outside the library's code the page loads nothing and names no remote address at all
    page = html.replace(library, "")
    for pattern in (r"<link\b", r"@import", r"url\(", r"\bsrc\s*=", r"<iframe", r"<img", r"\bfetch\("):
        assert not re.search(pattern, page, flags=re.IGNORECASE), pattern
    assert "http://" not in page and "https://" not in page
    assert html.count('class="chart-container"') == len([c for c in CHARTS if not c.needs_rows])
    for name in SEED_NAMES.values():
        assert name in html
    assert "fixed by the config: k = 4" in html  # the K choice and why


def test_segsql_report_rewrites_a_chosen_run_from_the_database(seed_twice):
    config, first, _ = seed_twice
    out = config.parent / "out" / "customers"
    (out / "report.html").unlink()
    shutil.rmtree(out / f"run-{first.run_id}")
    result = CliRunner().invoke(app, ["report", str(config), "--run", str(first.run_id)])
    assert result.exit_code == 0, result.output
    # an older run's report goes to its own folder; report.html stays the latest run's address
    html = out / f"run-{first.run_id}" / "report.html"
    assert f"Report of run {first.run_id}: {html} " in result.output
    assert f"Run {first.run_id} · finished" in html.read_text()
    assert not (out / "report.html").exists()


def test_a_report_of_an_old_run_words_it_with_the_config_stored_with_that_run(customers_config):
    segsql.run(customers_config)
    customers_config.write_text(customers_config.read_text().replace('= "income"', '= "yearly pay"'))
    segsql.run(customers_config)
    old = segsql.write_report(customers_config, run_id=1)
    heatmap = json.loads(old.charts["heatmap"]["json"].read_text())
    assert "income" in json.dumps(heatmap) and "yearly pay" not in json.dumps(heatmap)
    assert "yearly pay" not in old.html.read_text()
    new = segsql.write_report(customers_config, run_id=2)
    assert "yearly pay" in json.dumps(json.loads(new.charts["heatmap"]["json"].read_text()))


def test_segsql_report_of_a_run_that_does_not_exist_is_a_one_line_error(seed_twice):
    config, _, _ = seed_twice
    result = CliRunner().invoke(app, ["report", str(config), "--run", "99"])
    assert result.exit_code == 1
    assert "Error:" in result.output and "no successful run 99" in result.output


def test_segsql_report_without_a_database_says_to_run_first(write_config):
    config = write_config('[features]\nentity = "id"\nsql = "SELECT 1 AS id, 2.0 AS x"\n')
    result = CliRunner().invoke(app, ["report", str(config)])
    assert result.exit_code == 1 and "run `segsql run` first" in result.output


def test_segsql_report_on_an_in_memory_database_says_why_not(write_config):
    config = write_config(
        '[project]\ndatabase = ":memory:"\n[features]\nentity = "id"\nsql = "SELECT 1 AS id"\n'
    )
    result = CliRunner().invoke(app, ["report", str(config)])
    assert result.exit_code == 1 and "keeps no runs to report on" in result.output


def test_a_run_on_an_in_memory_database_still_writes_its_report(write_config, tmp_path):
    config = write_config(
        """
        [project]
        database = ":memory:"
        [sources.c]
        path = "c.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM c"
        [model]
        k = 2
        k_range = [2, 3]
        """,
        c__csv="id,x,y\n" + "".join(f"{i},{i % 7},{(i * 5) % 11}\n" for i in range(1, 40)),
    )
    result = segsql.run(config)
    assert result.report == tmp_path / "out" / "report.html" and result.report.is_file()


def test_a_failing_report_leaves_the_run_saved_and_says_so(customers_config, monkeypatch):
    import segsql.report as report

    def broken(*args, **kwargs):
        raise OSError("disk full, say")

    monkeypatch.setattr(report, "write_report", broken)
    result = segsql.run(customers_config)
    assert result.report is None
    assert any("the report was not written (OSError: disk full, say)" in w for w in result.warnings)
    with duckdb.connect(str(customers_config.parent / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM segsql.segment_summary_latest").fetchall() == [(4,)]
        assert con.execute("SELECT status FROM segsql.runs").fetchall() == [("success",)]


def test_a_database_written_before_these_columns_existed_gets_them(customers_config):
    with duckdb.connect(str(customers_config.parent / "run.duckdb")) as con:
        con.execute("CREATE SCHEMA segsql")
        con.execute(
            "CREATE TABLE segsql.segment_summary (run_id BIGINT, segment INTEGER, size BIGINT, "
            "share DOUBLE, name VARCHAR)"
        )
    result = segsql.run(customers_config)
    assert result.segment_summary["recommendation"].null_count() == 0


def test_segsql_run_prints_where_the_report_is(customers_config):
    result = CliRunner().invoke(app, ["run", str(customers_config)])
    assert result.exit_code == 0, result.output
    html = customers_config.parent / "out" / "customers" / "report.html"
    assert f"Report: {html}" in result.output and html.is_file()


def test_a_segment_name_with_markup_cannot_break_out_of_the_page(customers_config):
    evil = "</script><img src=x onerror=alert(1)> & <b>"
    customers_config.write_text(customers_config.read_text() + f"\n[segments.names]\n1 = '{evil}'\n")
    result = segsql.run(customers_config)
    html = result.report.read_text()
    assert result.segment_summary.filter(result.segment_summary["segment"] == 1)["name"][0] == evil
    # the page still has exactly its two scripts, and outside them the name is escaped text
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    assert len(scripts) == 2
    outside = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert "<img" not in outside and "<b>" not in outside
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;" in outside
    # inside the specs' JSON it is data: "<\/script>" cannot end the element
    assert "<\\/script><img src=x" in scripts[1]
