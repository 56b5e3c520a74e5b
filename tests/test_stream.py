"""The streamed model (minibatch, many rows): labels made in SQL, consistent with the centres."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import make_blobs

import segsql
import segsql.steps.fit.streamed as stream


@pytest.fixture
def blobs_config(write_config):
    X, _ = make_blobs(n_samples=6000, n_features=3, centers=4, random_state=3)
    rows = "".join(f"{i},{a},{b},{c}\n" for i, (a, b, c) in enumerate(X.tolist(), start=1))
    return write_config(
        """
        [project]
        database = "blobs.duckdb"
        [sources.points]
        path = "points.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM points"
        [model]
        algorithm = "minibatch"
        k_range = [2, 6]
        sweep_sample = 2000
        metric_sample = 1500
        """,
        points__csv="id,a,b,c\n" + rows,
    )


@pytest.fixture
def streamed(monkeypatch):
    """Stream from 1,000 rows up, so a small table takes the large-input path."""
    monkeypatch.setattr(stream, "STREAM_MIN_ROWS", 1000)
    calls: list[tuple] = []
    monkeypatch.setattr(stream, "sweep_k", _spy(stream.sweep_k, calls))
    return calls


def _spy(func, calls):
    def wrapper(*args, **kwargs):
        calls.append(args)
        return func(*args, **kwargs)

    return wrapper


def test_a_large_minibatch_run_is_streamed_and_labels_every_row_to_its_nearest_centre(blobs_config, streamed):
    result = segsql.run(blobs_config)
    assert streamed, "the streamed path was not taken"
    assert result.k == 4 and result.tables["runs"]["sweep_rows"][0] == 2000
    segments = result.segments.sort("id")
    assert segments.height == 6000
    centers = (
        result.tables["centroids"].sort("segment").pivot(on="feature", index="segment", values="value_scaled")
    )
    C = centers.select(["a", "b", "c"]).to_numpy()
    scaled = _scaled(blobs_config)
    d = np.sqrt(((scaled[:, None, :] - C[None, :, :]) ** 2).sum(axis=2))
    assert np.array_equal(segments["segment"].to_numpy(), d.argmin(axis=1) + 1)
    np.testing.assert_allclose(segments["distance"].to_numpy(), d.min(axis=1), rtol=1e-12)
    assert result.metrics["inertia"] == pytest.approx(float((d.min(axis=1) ** 2).sum()), rel=1e-12)
    sizes = result.segment_summary.sort("segment")["size"].to_list()
    assert sizes == sorted(sizes, reverse=True) and sum(sizes) == 6000


def test_a_streamed_run_is_deterministic(blobs_config, streamed):
    first = segsql.run(blobs_config)
    second = segsql.run(blobs_config)
    assert first.segments.drop("run_id").equals(second.segments.drop("run_id"))
    assert first.metrics == second.metrics


def test_below_the_threshold_minibatch_runs_in_memory(blobs_config, monkeypatch):
    calls: list[tuple] = []
    monkeypatch.setattr(stream, "sweep_k", _spy(stream.sweep_k, calls))
    result = segsql.run(blobs_config)
    assert not calls and result.segments.height == 6000


def _scaled(config) -> np.ndarray:
    import polars as pl

    frame = pl.read_csv(config.parent / "points.csv").sort("id")
    X = frame.select(["a", "b", "c"]).to_numpy()
    return (X - X.mean(axis=0)) / X.std(axis=0)


def test_a_streamed_run_still_draws_its_map_from_a_seeded_sample(blobs_config, streamed, monkeypatch):
    import segsql.steps.projection as projection

    monkeypatch.setattr(projection, "STREAMED_MAP_ROWS", 3000)  # PCA fitted on 3,000 of the 6,000 rows
    result = segsql.run(blobs_config)
    projection = result.tables["projection"]
    points = projection.filter(pl.col("kind") == "point")
    assert points.height == 3000 and projection.filter(pl.col("kind") == "centroid").height == result.k
    # each sampled point carries its entity's own segment
    joined = points.with_columns(pl.col("entity").cast(pl.Int64).alias("id")).join(
        result.segments, on="id", suffix="_of_entity"
    )
    assert joined.height == 3000
    assert (joined["segment"] == joined["segment_of_entity"]).all()
