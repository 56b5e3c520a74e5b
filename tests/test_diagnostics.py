"""Diagnostics before fitting: measured in SQL, stored with the run, warned about with a
suggestion, printed by `validate`, and used by `segsql init` (README, "Diagnostics")."""

from __future__ import annotations

import csv
import re
from collections import Counter

import duckdb
import numpy as np
import pytest
from scipy.stats import skew
from typer.testing import CliRunner

from segsql import config_from_dict, load_config, run, validate
from segsql.cli import app
from segsql.starter import init_config
from segsql.steps.diagnostics import diagnose_columns


def _data(tmp_path, n=300, seed=4):
    """id; recency (normal); monetary (lognormal, heavily right-skewed); spend (2 × monetary
    plus noise: correlated at ~1); flag (constant); score (mostly NULL)."""
    rng = np.random.default_rng(seed)
    recency = rng.normal(50, 10, n)
    monetary = rng.lognormal(3, 1.4, n)
    spend = 2 * monetary + rng.normal(0, 0.5, n)
    score = np.where(rng.random(n) < 0.4, np.nan, rng.normal(0, 1, n))
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "recency", "monetary", "spend", "flag", "score"])
        for i in range(n):
            writer.writerow([i, recency[i], monetary[i], spend[i], 1, "" if np.isnan(score[i]) else score[i]])
    columns = {"recency": recency, "monetary": monetary, "spend": spend, "score": score}
    return path, columns


def _config(tmp_path, path, **preprocess):
    return config_from_dict(
        {
            "project": {"database": str(tmp_path / "run.duckdb")},
            "sources": {"customers": {"path": str(path)}},
            "features": {
                "entity": "customer_id",
                "sql": "SELECT * FROM customers",
                "columns": ["recency", "monetary", "spend", "flag", "score"],
                "transforms": {"spend": "log1p"},
            },
            "preprocess": {"impute": "median", **preprocess},
            "model": {"k": 3},
            "output": {"report": False, "dir": str(tmp_path / "out")},
        }
    )


def _measures(result):
    table = result.tables["diagnostics"]
    return {(r["feature"], r["measure"], r["other_feature"]): r["value"] for r in table.iter_rows(named=True)}


def test_skewness_null_share_and_constancy_match_numpy_and_scipy(tmp_path):
    path, columns = _data(tmp_path)
    m = _measures(run(_config(tmp_path, path)))
    for name in ("recency", "monetary", "spend"):
        assert m[(name, "skewness", None)] == pytest.approx(skew(columns[name], bias=False), rel=1e-9)
    assert m[("spend", "skewness_transformed", None)] == pytest.approx(
        skew(np.log1p(columns["spend"][columns["spend"] > -1]), bias=False), rel=1e-9
    )
    present = columns["score"][~np.isnan(columns["score"])]
    assert m[("score", "skewness", None)] == pytest.approx(skew(present, bias=False), rel=1e-9)
    assert m[("score", "null_share", None)] == pytest.approx(np.isnan(columns["score"]).mean())
    assert m[("flag", "top_value_share", None)] == 1.0 and m[("flag", "distinct_values", None)] == 1.0
    assert m[("recency", "top_value_share", None)] == pytest.approx(1 / 300)


def test_variance_share_and_correlation_match_numpy_on_the_scaled_matrix(tmp_path):
    path, _ = _data(tmp_path)
    result = run(_config(tmp_path, path, scaling="minmax"))
    m = _measures(result)
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        scaler = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT feature, transform, impute_value, center, scale FROM segsql.scaler"
            ).fetchall()
        }
    raw = np.genfromtxt(path, delimiter=",", names=True)
    scaled = {}
    for name, (how, impute, center, scale) in scaler.items():
        x = np.where(np.isnan(raw[name]), impute, raw[name])
        x = np.log1p(x) if how == "log1p" else x
        scaled[name] = (x - center) / scale
    var = {name: np.var(x) for name, x in scaled.items()}
    for name in scaled:
        assert m[(name, "variance_share", None)] == pytest.approx(var[name] / sum(var.values()), rel=1e-9)
    r = np.corrcoef(scaled["monetary"], scaled["spend"])[0, 1]
    # log1p(spend) against raw monetary: still above 0.95? only if so is it stored
    pairs = {(a, b): v for (a, meas, b), v in m.items() if meas == "correlation"}
    expected = {
        (a, b): np.corrcoef(scaled[a], scaled[b])[0, 1]
        for i, a in enumerate(scaled)
        for b in list(scaled)[i + 1 :]
        if np.std(scaled[a]) > 0
        and np.std(scaled[b]) > 0
        and abs(np.corrcoef(scaled[a], scaled[b])[0, 1]) > 0.95
    }
    assert pairs.keys() == expected.keys()
    for pair, value in expected.items():
        assert pairs[pair] == pytest.approx(value, rel=1e-9)
    assert r == pytest.approx(np.corrcoef(scaled["monetary"], scaled["spend"])[0, 1])


def test_run_warns_with_a_concrete_suggestion_and_stores_the_warnings(tmp_path):
    path, _ = _data(tmp_path)
    config = _config_no_transform(tmp_path, path)
    result = run(config)
    said = "\n".join(result.warnings)
    assert (
        "feature 'monetary' has skewness" in said
        and 'add `monetary = "log1p"` to [features.transforms]' in said
    )
    assert "features 'monetary' and 'spend' correlate at 1.00: drop one" in said
    # a constant feature is said once, by the preprocess step (the diagnostics do not repeat it)
    assert said.count("feature 'flag' is constant") == 1
    assert "feature 'flag' is constant after preprocessing" in said
    assert re.search(r"feature 'score' is \d\d% NULL", said)  # about 40% NULL
    stored = result.tables["runs"]["warnings"][0]
    assert "correlate at 1.00" in stored and "has skewness" in stored


def _config_no_transform(tmp_path, path):
    return config_from_dict(
        {
            "project": {"database": str(tmp_path / "run.duckdb")},
            "sources": {"customers": {"path": str(path)}},
            "features": {
                "entity": "customer_id",
                "sql": "SELECT * FROM customers",
                "columns": ["recency", "monetary", "spend", "flag", "score"],
            },
            "preprocess": {"impute": "median"},
            "model": {"k": 3},
            "output": {"report": False, "dir": str(tmp_path / "out")},
        }
    )


def test_a_feature_that_dominates_the_distance_is_named(tmp_path):
    path, _ = _data(tmp_path)
    config = config_from_dict(
        {
            "project": {"database": str(tmp_path / "run.duckdb")},
            "sources": {"customers": {"path": str(path)}},
            "features": {
                "entity": "customer_id",
                "sql": "SELECT * FROM customers",
                "columns": ["recency", "monetary"],
            },
            "preprocess": {"scaling": "none"},
            "model": {"k": 2},
            "output": {"report": False},
        }
    )
    said = "\n".join(validate(config).warnings)
    assert "feature 'monetary' holds" in said and "of the distance variance after scaling" in said


def test_validate_prints_the_warnings(tmp_path):
    path, _ = _data(tmp_path)
    toml = tmp_path / "segsql.toml"
    toml.write_text(
        f'[sources.customers]\npath = "{path.as_posix()}"\n\n[features]\nentity = "customer_id"\n'
        'sql = "SELECT * FROM customers"\ncolumns = ["recency", "monetary", "spend"]\n'
        "\n[output]\nreport = false\n"
    )
    result = CliRunner().invoke(app, ["validate", str(toml)])
    assert result.exit_code == 0, result.output
    assert "Warning: feature 'monetary' has skewness" in result.output
    assert "Warning: features 'monetary' and 'spend' correlate at 1.00: drop one" in result.output


def test_init_proposes_log1p_and_leaves_out_a_constant_column_with_comments(tmp_path):
    path, columns = _data(tmp_path)
    written = init_config(path)
    text = written.read_text()
    loaded = load_config(written)
    assert loaded.features.columns == ["recency", "monetary", "spend", "score"]
    # spend (2 × monetary plus noise) dips below 0 in this draw: log1p is proposed only for
    # non-negative columns
    assert columns["spend"].min() < 0
    assert loaded.features.transforms == {"monetary": "log1p"}
    assert "# left out of columns: 'flag' is constant" in text
    assert "# 'monetary': skewness " in text and "after log1p" in text
    assert "recency" not in loaded.features.transforms  # not skewed: no transform proposed


@pytest.mark.report
def test_the_report_shows_each_features_diagnostics_beside_its_preprocessing(tmp_path):
    import html as html_module

    from segsql import write_report

    path, columns = _data(tmp_path)
    result = run(_config_no_transform(tmp_path, path))
    page = html_module.unescape(write_report(_config_no_transform(tmp_path, path)).html.read_text())
    assert "share of the distance variance" in page and "correlates with" in page
    measured = _measures(result)
    # monetary's skewness as stored, in the report's number format, and its correlated partner
    shown = re.search(r"<tr><td><code>monetary</code>.*?</tr>", page, flags=re.S)
    assert shown is not None
    row = shown.group(0)
    assert "spend (1.00)" in row
    assert f"{measured[('monetary', 'skewness', None)]:.2f}"[:3] in row


def test_distinct_values_and_the_top_values_rows_are_counted_without_nulls():
    # repeats, NULLs, a column of one repeated value and one of nothing but NULLs
    columns = {
        "repeats": [1.0, 1.0, 2.0, None, 2.0, 2.0, 3.0, None],
        "one_value": [5.0] * 6 + [None] * 2,
        "only_null": [None] * 8,
        "all_distinct": [float(i) for i in range(8)],
    }
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        + ", ".join("(" + ", ".join("?" for _ in columns) + ")" for _ in range(8))
        + ") AS v(repeats, one_value, only_null, all_distinct)",
        [columns[c][i] for i in range(8) for c in columns],
    )
    measured = {d.feature: d for d in diagnose_columns(con, "t", list(columns), ["none"] * len(columns))}
    for name, values in columns.items():
        present = [v for v in values if v is not None]
        counts = Counter(present)
        d = measured[name]
        assert (d.n_rows, d.nulls, d.distinct) == (8, 8 - len(present), len(counts))
        assert d.top == (max(counts.values()) if counts else None)
    assert measured["repeats"].top_share == pytest.approx(3 / 6)
