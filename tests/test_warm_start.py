"""The warm start: a rerun's final fit begins at the previous run's centroids, in this run's scaled space."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
import sklearn.cluster
from sklearn.datasets import make_blobs

import segsql
import segsql.steps.fit.streamed as stream


def _write(write_config, X, *, k=4, model="", name="segsql.toml"):
    rows = "".join(f"{i},{a!r},{b!r},{c!r}\n" for i, a, b, c in X)
    return write_config(
        f"""
        [project]
        database = "warm.duckdb"
        [sources.points]
        path = "points.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM points"
        [features.transforms]
        spend = "log1p"
        [preprocess]
        scaling = "standard"
        [model]
        k = {k}
        {model}
        [lifecycle]
        warm_start = true
        """,
        name=name,
        points__csv="id,spend,visits,tenure\n" + rows,
    )


def _points(n=3000, *, seed=4, keep=1.0):
    """Overlapping blobs (a cold start needs a few iterations), spend positive for log1p."""
    X, _ = make_blobs(n_samples=n, n_features=3, centers=4, cluster_std=1.5, random_state=seed)
    X[:, 0] = np.exp(X[:, 0] / 4)  # a right-skewed amount
    rows = [(i, *map(float, x)) for i, x in enumerate(X, start=1)]
    if keep < 1:
        drop = np.random.default_rng(seed).random(len(rows)) > keep
        rows = [r for r, d in zip(rows, drop, strict=True) if not d]
    return rows


def _runs(config):
    with duckdb.connect(str(config.parent / "warm.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT run_id, k_choice, n_iter, inertia, warnings FROM segsql.runs ORDER BY run_id"
        ).fetchall()


def test_a_warm_start_on_the_same_data_converges_at_once_with_the_previous_labels(write_config):
    config = _write(write_config, _points())
    first = segsql.run(config)
    assert (
        "[lifecycle] warm_start = true but schema 'segsql' holds no previous run of this entity "
        "with these features: the final fit started cold (k-means++ seeds)"
    ) in first.warnings
    second = segsql.run(config)
    assert second.k_choice.endswith("; warm start: the final fit began at run 1's centroids")
    assert not second.warnings
    (_, _, cold_iter, cold_inertia, _), (_, choice, warm_iter, warm_inertia, warnings) = _runs(config)
    assert warm_iter <= 2 < cold_iter
    # the previous fit stopped at scikit-learn's tolerance; a step or two more can only lower it
    assert warm_inertia <= cold_inertia and warm_inertia == pytest.approx(cold_inertia, rel=1e-4)
    assert "warm start" in choice and json.loads(warnings) == []
    labels = [r.segments.sort("id").select("id", "segment") for r in (first, second)]
    assert labels[1].equals(labels[0])


def test_the_warm_start_begins_at_the_previous_centroids_put_through_this_runs_preprocessing(
    write_config, monkeypatch
):
    config = _write(write_config, _points())
    segsql.run(config)
    inits: list[np.ndarray] = []

    class Spy(sklearn.cluster.KMeans):  # records the centres a final fit is told to start from
        def __init__(self, **kwargs):
            if isinstance(kwargs.get("init"), np.ndarray):
                inits.append(kwargs["init"].copy())
            super().__init__(**kwargs)

    monkeypatch.setattr(sklearn.cluster, "KMeans", Spy)  # imported where a fit is made
    # next month: 5% of the rows gone, so this run's means and spreads are not the last run's
    config = _write(write_config, _points(keep=0.95))
    second = segsql.run(config)
    assert "warm start" in second.k_choice and len(inits) == 1
    with duckdb.connect(str(config.parent / "warm.duckdb"), read_only=True) as con:
        previous = con.execute(
            "SELECT segment, list(value ORDER BY s.position) FROM segsql.centroids c "
            "JOIN segsql.scaler s USING (run_id, feature) WHERE run_id = 1 GROUP BY segment ORDER BY segment"
        ).fetchall()
        scaler = con.execute(
            "SELECT transform, center, scale FROM segsql.scaler WHERE run_id = 2 ORDER BY position"
        ).fetchall()
    original = np.array([values for _, values in previous])
    expected = np.column_stack(
        [
            ((np.log1p(original[:, j]) if how == "log1p" else original[:, j]) - center) / scale
            for j, (how, center, scale) in enumerate(scaler)
        ]
    )
    assert scaler[0][0] == "log1p" and scaler[0][1] != 0
    np.testing.assert_allclose(inits[0], expected, rtol=1e-9, atol=1e-12)


def test_a_warm_start_at_another_k_starts_cold_and_says_so(write_config):
    segsql.run(_write(write_config, _points(), k=3))
    config = _write(write_config, _points(), k=4)
    result = segsql.run(config)
    warning = (
        "[lifecycle] warm_start = true but run 1 has 3 segments and this run has K = 4: "
        "the final fit started cold (k-means++ seeds)"
    )
    assert warning in result.warnings and "warm start" not in result.k_choice
    assert warning in json.loads(_runs(config)[1][4])


def test_a_bisecting_run_cannot_start_warm_and_says_so(write_config):
    config = _write(write_config, _points(), model='algorithm = "bisecting"')
    segsql.run(config)
    result = segsql.run(config)
    assert (
        '[lifecycle] warm_start = true but [model] algorithm = "bisecting" cannot start from given '
        "centres: the final fit started cold (k-means++ seeds)"
    ) in result.warnings


def test_a_streamed_run_starts_warm_too(write_config, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_MIN_ROWS", 1000)
    config = _write(
        write_config, _points(), model='algorithm = "minibatch"\nsweep_sample = 1500\nmetric_sample = 1000'
    )
    first = segsql.run(config)
    second = segsql.run(config)
    assert second.tables["runs"]["sweep_rows"][0] == 1500, "the streamed path was not taken"
    assert second.k_choice.endswith("; warm start: the final fit began at run 1's centroids")
    labels = second.segments.sort("id")["segment"].to_numpy()
    # MiniBatchKMeans counts each centre's rows from 0 again, so the first blocks move the
    # centres a little: nearly, not exactly, the previous labels
    agree = (labels == first.segments.sort("id")["segment"].to_numpy()).mean()
    assert agree > 0.95
