"""Segment stability: Hennig's clusterboot mean Jaccard, checked against NumPy and scikit-learn alone."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from typer.testing import CliRunner

import segsql
import segsql.steps.fit.streamed as stream
from segsql.cli import app
from segsql.steps import stability

SEED = 42


def _points_config(write_config, X, *, k, lifecycle="", model=""):
    rows = "".join(f"{i}," + ",".join(map(repr, row)) + "\n" for i, row in enumerate(X.tolist(), start=1))
    header = "id," + ",".join(f"f{j}" for j in range(X.shape[1])) + "\n"
    return write_config(
        f"""
        [project]
        database = "points.duckdb"
        [sources.points]
        path = "points.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM points"
        [preprocess]
        scaling = "none"
        [model]
        k = {k}
        random_state = {SEED}
        {model}
        [lifecycle]
        {lifecycle}
        """,
        points__csv=header + rows,
    )


def _clusterboot(X, labels, *, k, resamples, estimator):
    """Hennig's clusterboot, written out independently of segsql: each segment's mean max Jaccard."""
    segments = sorted(set(labels.tolist()))
    per_segment: dict[int, list[float]] = {s: [] for s in segments}
    n = X.shape[0]
    for b in range(resamples):
        rng = np.random.default_rng([SEED, b])
        drawn = rng.integers(0, n, n)
        seed = int(rng.integers(0, 2**32))
        fitted = estimator(n_clusters=k, n_init=3, max_iter=300, random_state=seed).fit(X[drawn])
        cluster_of = {}
        for position, row in enumerate(drawn.tolist()):
            cluster_of.setdefault(row, int(fitted.labels_[position]))
        for s in segments:
            members = {row for row in cluster_of if labels[row] == s}
            if not members:
                continue
            best = 0.0
            for c in set(cluster_of.values()):
                cluster = {row for row, cc in cluster_of.items() if cc == c}
                best = max(best, len(members & cluster) / len(members | cluster))
            per_segment[s].append(best)
    return {s: float(np.mean(v)) for s, v in per_segment.items()}


def _stored(result):
    summary = result.segment_summary.sort("segment")
    return dict(zip(summary["segment"].to_list(), summary["stability"].to_list(), strict=True))


def test_the_stored_stability_is_the_mean_jaccard_of_the_same_seeded_resamples(write_config):
    # overlapping blobs, so the values are neither all 1 nor all alike
    X, _ = make_blobs(n_samples=600, n_features=2, centers=4, cluster_std=2.5, random_state=7)
    result = segsql.run(_points_config(write_config, X, k=4, lifecycle="stability = 8"))
    segments = result.segments.sort("id")
    expected = _clusterboot(X, segments["segment"].to_numpy(), k=4, resamples=8, estimator=KMeans)
    stored = _stored(result)
    assert set(stored) == set(expected)
    for s, value in expected.items():
        assert stored[s] == pytest.approx(value, rel=1e-12), s
    assert len({round(v, 6) for v in stored.values()}) > 1


def test_a_streamed_run_bootstraps_a_seeded_sample_of_its_rows(write_config, monkeypatch):
    monkeypatch.setattr(stream, "STREAM_MIN_ROWS", 1000)
    monkeypatch.setattr(stability, "MAX_ROWS", 700)
    X, _ = make_blobs(n_samples=1500, n_features=3, centers=3, cluster_std=3.0, random_state=5)
    config = _points_config(
        write_config,
        X,
        k=3,
        lifecycle="stability = 5",
        model='algorithm = "minibatch"\nsweep_sample = 1000\nmetric_sample = 500',
    )
    result = segsql.run(config)
    assert result.tables["runs"]["sweep_rows"][0] == 1000, "the streamed path was not taken"
    # the seeded sample of the matrix reader: RandomState(random_state).permutation(n)[:size], sorted
    rows = np.sort(np.random.RandomState(SEED).permutation(1500)[:700])
    labels = result.segments.sort("id")["segment"].to_numpy()[rows]
    expected = _clusterboot(X[rows], labels, k=3, resamples=5, estimator=MiniBatchKMeans)
    stored = _stored(result)
    for s, value in expected.items():
        assert stored[s] == pytest.approx(value, rel=1e-12), s


def test_well_separated_blobs_are_stable_and_a_uniform_cloud_cut_in_parts_is_not(write_config, tmp_path):
    blobs, _ = make_blobs(
        n_samples=800, n_features=3, centers=4, cluster_std=0.5, center_box=(-20, 20), random_state=1
    )
    stable = _stored(segsql.run(_points_config(write_config, blobs, k=4, lifecycle="stability = 10")))
    cloud = np.random.default_rng(3).uniform(0, 1, size=(800, 4))
    (tmp_path / "points.duckdb").unlink()
    cut = _stored(segsql.run(_points_config(write_config, cloud, k=6, lifecycle="stability = 10")))
    assert min(stable.values()) > 0.95
    assert max(cut.values()) < min(stable.values()) and np.mean(list(cut.values())) < 0.85


def test_a_segment_below_min_stability_is_a_warning_printed_by_run_and_stored_with_the_run(write_config):
    cloud = np.random.default_rng(3).uniform(0, 1, size=(800, 4))
    config = _points_config(write_config, cloud, k=6, lifecycle="stability = 6\nmin_stability = 0.95")
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(config.parent / "points.duckdb"), read_only=True) as con:
        stored = json.loads(con.execute("SELECT warnings FROM segsql.runs").fetchall()[0][0])
        values = dict(con.execute("SELECT segment, stability FROM segsql.segment_summary").fetchall())
    unstable = sorted(s for s, v in values.items() if v < 0.95)
    assert unstable, values
    for s in unstable:
        warning = (
            f"segment {s} is unstable: mean Jaccard {values[s]:.2f} over 6 resamples "
            "([lifecycle] min_stability = 0.95)"
        )
        assert warning in stored
        assert f"Warning: {warning}" in result.stderr
    assert len([w for w in stored if "is unstable" in w]) == len(unstable)


def test_stability_is_measured_only_when_asked(write_config, tmp_path):
    X, _ = make_blobs(n_samples=300, n_features=2, centers=3, random_state=2)
    off = segsql.run(_points_config(write_config, X, k=3))
    assert off.segment_summary["stability"].null_count() == 3
    assert "stability" not in off.timings
    (tmp_path / "points.duckdb").unlink()
    on = segsql.run(_points_config(write_config, X, k=3, lifecycle="stability = 3"))
    assert on.segment_summary["stability"].null_count() == 0
    assert "stability" in on.timings


def test_a_rerun_measures_its_segments_under_the_numbers_they_keep(write_config, tmp_path):
    centers = np.array([[0, 0], [12, 0], [0, 12], [12, 12], [30, 30]], dtype=float)
    first, _ = make_blobs(n_samples=800, centers=centers[:4], cluster_std=2.5, random_state=8)
    segsql.run(_points_config(write_config, first, k=4))
    # next month the fourth group is gone and a new one appears: it takes number 5, not 4
    X, _ = make_blobs(n_samples=800, centers=centers[[0, 1, 2, 4]], cluster_std=2.5, random_state=9)
    result = segsql.run(_points_config(write_config, X, k=4, lifecycle="stability = 4"))
    labels = result.segments.sort("id")["segment"].to_numpy()
    assert 5 in set(labels.tolist())
    expected = _clusterboot(X, labels, k=4, resamples=4, estimator=KMeans)
    stored = _stored(result)
    assert set(stored) == set(expected) == set(labels.tolist())
    for s, value in expected.items():
        assert stored[s] == pytest.approx(value, rel=1e-12), s
