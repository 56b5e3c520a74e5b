"""Issue 11, item 4: drift against the previous run, and the feature bins it is measured on.

Every figure here is computed again in NumPy from the data files and the
tables' own bins (or the previous run's saved model), never copied from the
tables: the deciles, the shares, the PSI, the mean shift, the segment-share
PSI and the outlier share.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.steps.drift import SHARE_FLOOR

from .frames import frame_config

FEATURES = ("a", "b", "c", "d", "e")


def _data(seed: int = 1, n: int = 600, *, shift_a: float = 0.0) -> dict[str, np.ndarray]:
    """Three groups; a: normal with NULLs; b: skewed (log1p); c: three tied values; d: 0 or 1, 1 in
    80% of rows (deciles 0, 0, 1, …, 1: the edge at 1 is its largest value); e: constant."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    a = rng.normal([0.0, 4.0, 8.0], 1.0, (n, 3))[np.arange(n), group] + shift_a
    a[rng.random(n) < 0.05] = np.nan
    b = rng.exponential([1.0, 5.0, 20.0], (n, 3))[np.arange(n), group]
    c = rng.choice([0.0, 1.0, 2.0], n, p=[0.5, 0.45, 0.05])
    d = np.where(rng.random(n) < 0.8, 1.0, 0.0)
    e = np.full(n, 7.0)
    return {"id": np.arange(n, dtype=float), "a": a, "b": b, "c": c, "d": d, "e": e}


def _write(folder: Path, data: dict[str, np.ndarray], *, impute: str = "mean", extra: str = "") -> Path:
    lines = ["id," + ",".join(FEATURES)]
    for i in range(len(data["id"])):
        values = ["" if np.isnan(data[f][i]) else repr(float(data[f][i])) for f in FEATURES]
        lines.append(f"{int(data['id'][i])}," + ",".join(values))
    (folder / "people.csv").write_text("\n".join(lines) + "\n")
    path = folder / "c.toml"
    path.write_text(
        textwrap.dedent(f"""\
            [project]
            name = "drift"
            database = "run.duckdb"
            [sources.people]
            path = "people.csv"
            [features]
            entity = "id"
            sql = "SELECT id, a, b, c, d, e FROM people"
            [features.transforms]
            b = "log1p"
            [preprocess]
            impute = "{impute}"
            winsorize = [0.01, 0.99]
            [model]
            k = 3
            n_init = 2
            random_state = 7
            [output]
            report = false
            """)
        + extra
    )
    return path


def _rows(folder: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(folder / "run.duckdb"), read_only=True) as con:
        return con.execute(query, params or []).fetchall()


def _values(data: dict[str, np.ndarray], folder: Path, run_id: int, impute: str) -> dict[str, np.ndarray]:
    """Each feature's values as run ``run_id`` took them: NULLs imputed with its values, or dropped."""
    fill = dict(_rows(folder, "SELECT feature, impute_value FROM segsql.scaler WHERE run_id = ?", [run_id]))
    keep = np.ones(len(data["id"]), dtype=bool)
    if impute == "drop":
        keep = ~np.any([np.isnan(data[f]) for f in FEATURES], axis=0)
    return {
        f: np.where(np.isnan(data[f]), fill[f] if fill[f] is not None else np.nan, data[f])[keep]
        for f in FEATURES
    }


def _deciles(x: np.ndarray) -> list[float]:
    # DuckDB's quantile_disc: the inverse of the empirical distribution, in exact arithmetic
    s, n = np.sort(x), len(x)
    return [float(s[-(-n * k // 10) - 1]) for k in range(1, 10)]


def _bins(folder: Path, run_id: int, feature: str) -> list[tuple]:
    return _rows(
        folder,
        "SELECT bin, low, high, share, mean, std FROM segsql.feature_bins WHERE run_id = ? AND feature = ? "
        "ORDER BY bin",
        [run_id, feature],
    )


def _shares_over(x: np.ndarray, bins: list[tuple]) -> np.ndarray:
    """Shares of ``x`` over bins (low, high]: the bin is the number of edges below the value."""
    edges = np.array([high for _, _, high, *_ in bins if high is not None])
    index = np.searchsorted(edges, x, side="left")
    return np.bincount(index, minlength=len(bins)) / len(x)


def _psi(actual: np.ndarray, expected: np.ndarray) -> float:
    a, e = np.maximum(actual, SHARE_FLOOR), np.maximum(expected, SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))


def _drift(folder: Path, run_id: int) -> dict[tuple[str, str | None], tuple[float | None, bool, int]]:
    rows = _rows(
        folder,
        "SELECT measure, feature, value, warn, previous_run_id FROM segsql.drift WHERE run_id = ?",
        [run_id],
    )
    return {(m, f): (v, w, p) for m, f, v, w, p in rows}


@pytest.mark.parametrize("impute", ["mean", "drop"])
def test_every_run_leaves_each_features_deciles_in_original_units_with_ties_merged(
    tmp_path: Path, impute: str
) -> None:
    data = _data()
    segsql.run(_write(tmp_path, data, impute=impute))
    values = _values(data, tmp_path, 1, impute)
    for feature in FEATURES:
        x = values[feature]
        # tied deciles are one edge; an edge at the largest value would leave the bin above empty
        edges = sorted({e for e in _deciles(x) if e < x.max()})
        bins = _bins(tmp_path, 1, feature)
        assert [b for b, *_ in bins] == list(range(1, len(edges) + 2)), feature
        assert [low for _, low, *_ in bins] == [None, *edges], feature
        assert [high for _, _, high, *_ in bins] == [*edges, None], feature
        expected = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1) / len(x)
        assert [share for *_, share, _, _ in bins] == pytest.approx(expected, abs=1e-12), feature
        assert all(share > 0 for *_, share, _, _ in bins), feature
        assert bins[0][4] == pytest.approx(np.mean(x), abs=1e-9) and bins[0][5] == pytest.approx(
            np.std(x), abs=1e-9
        )
    # the ties: c's three values are three bins, d's two (its empty bin above 1 merged), constant e one
    assert [b[1:3] for b in _bins(tmp_path, 1, "c")] == [(None, 0.0), (0.0, 1.0), (1.0, None)]
    assert [b[1:3] for b in _bins(tmp_path, 1, "d")] == [(None, 0.0), (0.0, None)]
    assert [b[1:4] for b in _bins(tmp_path, 1, "e")] == [(None, None, 1.0)]
    # the first run has nothing to drift from
    assert _rows(tmp_path, "SELECT count(*) FROM segsql.drift") == [(0,)]


def test_psi_and_mean_shift_match_an_independent_numpy_computation(tmp_path: Path) -> None:
    before, after = _data(seed=1), _data(seed=2, n=700, shift_a=0.4)
    config = _write(tmp_path, before)
    segsql.run(config)
    _write(tmp_path, after)
    segsql.run(config)
    x1, x2 = _values(before, tmp_path, 1, "mean"), _values(after, tmp_path, 2, "mean")
    drift = _drift(tmp_path, 2)
    for feature in FEATURES:
        bins = _bins(tmp_path, 1, feature)  # the previous run's bins
        expected = _shares_over(x1[feature], bins)
        assert expected == pytest.approx([b[3] for b in bins], abs=1e-12)
        psi, warn, previous = drift[("psi", feature)]
        assert psi == pytest.approx(_psi(_shares_over(x2[feature], bins), expected), abs=1e-9), feature
        assert previous == 1 and warn == (psi >= 0.2)
        std = np.std(x1[feature])
        shift = drift[("mean_shift", feature)][0]
        if std == 0:
            assert shift is None, feature
        else:
            assert shift == pytest.approx((np.mean(x2[feature]) - np.mean(x1[feature])) / std, abs=1e-9), (
                feature
            )
    assert drift[("psi", "e")][0] == 0.0  # a constant feature is one bin
    # the segment shares, from the segments table of each run, by segment number
    sizes = {
        run: dict(
            _rows(
                tmp_path, "SELECT segment, count(*) FROM segsql.segments WHERE run_id = ? GROUP BY 1", [run]
            )
        )
        for run in (1, 2)
    }
    numbers = sorted(set(sizes[1]) | set(sizes[2]))
    shares = [np.array([sizes[run].get(s, 0) for s in numbers]) / sum(sizes[run].values()) for run in (1, 2)]
    assert drift[("segment_share_psi", None)][0] == pytest.approx(_psi(shares[1], shares[0]), abs=1e-9)
    assert len(drift) == 2 * len(FEATURES) + 2


def test_a_rerun_on_the_same_data_has_no_drift(tmp_path: Path) -> None:
    config = _write(tmp_path, _data())
    segsql.run(config)
    result = segsql.run(config)
    drift = _drift(tmp_path, 2)
    assert {f for (m, f) in drift if m == "psi"} == set(FEATURES)
    for (measure, feature), (value, warn, previous) in drift.items():
        if measure in ("psi", "segment_share_psi"):
            assert value == 0.0, (measure, feature)
        if measure == "mean_shift" and value is not None:  # a mean is a sum: its order may vary
            assert value == pytest.approx(0.0, abs=1e-12), feature
        assert previous == 1 and not warn
    assert drift[("segment_share_psi", None)][0] == 0.0
    assert not [w for w in result.warnings if w.startswith("drift")]


def test_a_shifted_feature_has_a_large_psi_and_warns_in_the_run_and_its_runs_row(tmp_path: Path) -> None:
    before = _data()
    config = _write(tmp_path, before)
    segsql.run(config)
    after = dict(before, a=before["a"] + np.nanstd(before["a"]))  # a moves by one standard deviation
    _write(tmp_path, after)
    printed = CliRunner().invoke(app, ["run", str(config)])
    assert printed.exit_code == 0, printed.stderr
    drift = _drift(tmp_path, 2)
    psi, warn, _ = drift[("psi", "a")]
    assert psi > 0.2 and warn
    assert drift[("mean_shift", "a")][0] == pytest.approx(1.0, abs=0.05)
    assert not any(drift[("psi", f)][1] for f in FEATURES if f != "a")
    line = f"drift: feature 'a' PSI {psi:.2f} against run 1 ([lifecycle] drift_warn = 0.2)"
    assert f"Warning: {line}" in printed.stderr
    stored = json.loads(_rows(tmp_path, "SELECT warnings FROM segsql.runs WHERE run_id = 2")[0][0])
    assert line in stored and not any(w.startswith("drift") and w != line for w in stored)


def test_drift_warn_sets_the_psi_that_warns(tmp_path: Path) -> None:
    before = _data()
    config = _write(tmp_path, before, extra="[lifecycle]\ndrift_warn = 50\n")
    segsql.run(config)
    _write(
        tmp_path,
        dict(before, a=before["a"] + 2 * np.nanstd(before["a"])),
        extra="[lifecycle]\ndrift_warn = 50\n",
    )
    result = segsql.run(config)
    psi, warn, _ = _drift(tmp_path, 2)[("psi", "a")]
    assert 0.2 < psi < 50 and not warn
    assert not [w for w in result.warnings if w.startswith("drift")]
    _write(tmp_path, before, extra="[lifecycle]\ndrift_warn = 0.01\n")
    result = segsql.run(config)
    assert re.search(
        r"drift: feature 'a' PSI \d+\.\d\d against run 2 \(\[lifecycle\] drift_warn = 0\.01\)",
        "\n".join(result.warnings),
    )


def _numpy_outliers(folder: Path, run_id: int, data: dict[str, np.ndarray]) -> int:
    """Score ``data`` with run ``run_id``'s saved constants and centroids, in NumPy."""
    scaler = _rows(
        folder,
        "SELECT feature, transform, impute_value, clip_low, clip_high, center, scale FROM segsql.scaler "
        "WHERE run_id = ? ORDER BY position",
        [run_id],
    )
    columns = []
    for feature, how, fill, low, high, center, scale in scaler:
        x = np.where(np.isnan(data[feature]), fill, data[feature])
        x = np.log1p(x) if how == "log1p" else np.sqrt(x) if how == "sqrt" else x
        x = np.clip(x, low if low is not None else -np.inf, high if high is not None else np.inf)
        columns.append((x - center) / scale)
    X = np.column_stack(columns)
    centroids = _rows(
        folder,
        "SELECT c.segment, list(c.value_scaled ORDER BY s.position) FROM segsql.centroids c "
        "JOIN segsql.scaler s USING (run_id, feature) WHERE c.run_id = ? GROUP BY 1 ORDER BY 1",
        [run_id],
    )
    segments = [s for s, _ in centroids]
    centres = np.array([c for _, c in centroids])
    p99 = dict(
        _rows(folder, "SELECT segment, p99_distance FROM segsql.segment_summary WHERE run_id = ?", [run_id])
    )
    d = np.sqrt(((X[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    nearest = d.argmin(axis=1)  # the lowest segment number on a tie, as the scoring query
    return int(np.sum(d[np.arange(len(X)), nearest] > np.array([p99[segments[i]] for i in nearest])))


def test_the_outlier_share_is_what_the_previous_centroids_flag(tmp_path: Path) -> None:
    before, after = _data(seed=1), _data(seed=3, n=650, shift_a=1.5)
    config = _write(tmp_path, before)
    segsql.run(config)
    _write(tmp_path, after)
    segsql.run(config)
    share, warn, previous = _drift(tmp_path, 2)[("outlier_share", None)]
    flagged = _numpy_outliers(tmp_path, 1, after)
    assert flagged > 0 and previous == 1 and not warn
    assert share == flagged / len(after["id"])


def test_rows_the_previous_model_cannot_score_leave_the_outlier_share_empty_and_say_why(
    tmp_path: Path,
) -> None:
    data = _data()
    complete = dict(data, a=np.where(np.isnan(data["a"]), 1.0, data["a"]))
    config = _write(tmp_path, complete, impute="error")
    segsql.run(config)
    # the same features, now with NULLs this run imputes and run 1's rule ("error") refuses
    config = _write(tmp_path, data, impute="mean")
    result = segsql.run(config)
    assert _drift(tmp_path, 2)[("outlier_share", None)][0] is None
    assert _drift(tmp_path, 2)[("psi", "a")][0] is not None
    assert (
        "drift: run 1's model cannot score this run's rows (feature column a is NULL and run 1's impute "
        'rule is "error"): no outlier share'
    ) in result.warnings


def test_a_failed_run_leaves_drift_and_feature_bins_as_they_were(monkeypatch, tmp_path: Path) -> None:
    from segsql.steps import writeback

    before = _data()
    config = _write(tmp_path, before)
    segsql.run(config)
    _write(tmp_path, _data(seed=2))
    segsql.run(config)
    snapshot = {
        t: sorted(_rows(tmp_path, f"SELECT * FROM segsql.{t}"), key=repr) for t in ("drift", "feature_bins")
    }
    assert {run for run, *_ in snapshot["drift"]} == {2} and {
        run for run, *_ in snapshot["feature_bins"]
    } == {1, 2}

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "run.duckdb.wal": No space left on device')

    # the write-back fails after the drift step measured run 3 against run 2
    monkeypatch.setattr(writeback, "create_assign_macro", full)
    _write(tmp_path, _data(seed=3, shift_a=3.0))
    printed = CliRunner().invoke(app, ["run", "-q", str(config)])
    assert printed.exit_code == 1 and "No space left on device" in printed.stderr
    for table, rows in snapshot.items():
        assert sorted(_rows(tmp_path, f"SELECT * FROM segsql.{table}"), key=repr) == rows, table


def test_features_named_like_the_drift_queries_own_words_are_measured(tmp_path: Path) -> None:
    # the queries name a lambda parameter, struct fields and CTE columns; a feature may be
    # called any of them, or hold a quote and the template's own markers
    names = ("e", "position", "edges", 'a"b @i @col')
    rows = [f"{i},{i % 7},{(i * 3) % 11},{i % 2},{i * 0.5}" for i in range(200)]
    (tmp_path / "w.csv").write_text("id,e,position,edges,q\n" + "\n".join(rows) + "\n")
    config = tmp_path / "w.toml"
    config.write_text(
        textwrap.dedent("""\
            [project]
            database = "run.duckdb"
            [sources.people]
            path = "w.csv"
            [features]
            entity = "id"
            sql = 'SELECT id, e, position, edges, q AS "a""b @i @col" FROM people'
            [model]
            k = 3
            n_init = 2
            [output]
            report = false
            """)
    )
    segsql.run(config)
    segsql.run(config)
    raw = np.loadtxt(tmp_path / "w.csv", delimiter=",", skiprows=1)
    for j, name in enumerate(names, start=1):
        x = raw[:, j]
        edges = sorted({e for e in _deciles(x) if e < x.max()})
        assert [b[2] for b in _bins(tmp_path, 2, name)] == [*edges, None], name
    drift = _drift(tmp_path, 2)
    assert {f for (m, f) in drift if m == "psi"} == set(names)
    assert all(drift[("psi", f)][0] == 0.0 for f in names)


def test_a_previous_run_without_bins_is_compared_by_its_segments_and_model_only(tmp_path: Path) -> None:
    config = _write(tmp_path, _data())
    segsql.run(config)
    # as a run made before feature_bins existed left it
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("DELETE FROM segsql.feature_bins")
    segsql.run(config)
    assert sorted(_drift(tmp_path, 2), key=repr) == [("outlier_share", None), ("segment_share_psi", None)]
    assert {run for (run,) in _rows(tmp_path, "SELECT DISTINCT run_id FROM segsql.feature_bins")} == {2}


def test_segment_shares_are_compared_as_segment_summary_holds_them_of_the_weight(tmp_path: Path) -> None:
    # with [features] weight, segment_summary.share is each segment's share of the weight: this
    # run's shares must be the same kind, or a rerun of the same data would seem to drift
    rng = np.random.default_rng(4)
    group = np.repeat([0, 1], 150)
    x = rng.normal(np.where(group == 0, 0.0, 10.0), 1.0)
    heavy = np.where(group == 0, 10.0, 1.0)

    def write(weights: np.ndarray) -> Path:
        frame = pd.DataFrame({"id": np.arange(len(x)), "x": x, "w": weights})
        return frame_config(
            tmp_path,
            frame,
            name="w",
            features='columns = ["x"]\nweight = "w"',
            sections="[model]\nk = 2\nn_init = 2",
        )

    config = write(heavy)
    segsql.run(config)
    segsql.run(config)
    assert _drift(tmp_path, 2)[("segment_share_psi", None)][0] == pytest.approx(0.0, abs=1e-12)
    # the weights change, the rows do not: the PSI of the two runs' weight shares, in NumPy
    lighter = np.where(group == 0, 3.0, 1.0)
    result = segsql.run(write(lighter))
    labels = dict(result.segments.select("id", "segment").iter_rows())
    segment = np.array([labels[i] for i in range(len(x))])
    numbers = np.unique(segment)
    assert len(numbers) == 2
    before = np.array([heavy[segment == s].sum() for s in numbers]) / heavy.sum()
    now = np.array([lighter[segment == s].sum() for s in numbers]) / lighter.sum()
    expected = float(np.sum((now - before) * np.log(now / before)))
    assert _drift(tmp_path, 3)[("segment_share_psi", None)][0] == pytest.approx(expected, rel=1e-9)
