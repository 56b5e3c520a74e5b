"""The model stage: sweep, choice of K, renumbering, algorithms."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from segsql import DataError, config_from_dict
from segsql.steps.fit.in_memory import fit_matrix


def fit_model(X, model, **kwargs):
    """The in-memory fit's result with each row's label and distance beside it."""
    fitted = fit_matrix(X, model, **kwargs)
    return SimpleNamespace(**fitted.result.__dict__, labels=fitted.labels, distances=fitted.distances)


def model_config(**model):
    return config_from_dict({"features": {"entity": "id", "sql": "x"}, "model": model}).model


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(
        n_samples=600, centers=[[0, 0], [6, 0], [0, 6], [6, 6]], cluster_std=0.8, random_state=3
    )
    # unequal sizes, so "largest first" is visible
    keep = np.concatenate(
        [
            np.flatnonzero(y == 0),
            np.flatnonzero(y == 1)[:100],
            np.flatnonzero(y == 2)[:60],
            np.flatnonzero(y == 3)[:30],
        ]
    )
    return X[np.sort(keep)], y[np.sort(keep)]


def test_segments_are_numbered_largest_first(blobs):
    X, _ = blobs
    result = fit_model(X, model_config(k=4, k_range=[2, 5]))
    sizes = np.bincount(result.labels)[1:]
    assert list(sizes) == sorted(sizes, reverse=True)
    assert set(np.unique(result.labels)) == {1, 2, 3, 4}


def test_auto_k_finds_the_four_blobs_by_every_criterion(blobs):
    X, y = blobs
    for select in ("silhouette", "elbow", "calinski_harabasz", "davies_bouldin"):
        result = fit_model(X, model_config(k="auto", k_range=[2, 8], select=select))
        assert result.k == 4, select
        assert adjusted_rand_score(y, result.labels) == 1.0
        assert f"auto by {select}" in result.k_choice
        assert [p.k for p in result.sweep if p.chosen] == [4]


def test_the_sweep_records_every_metric_for_every_k(blobs):
    X, _ = blobs
    result = fit_model(X, model_config(k=3, k_range=[2, 6]))
    assert [p.k for p in result.sweep] == [2, 3, 4, 5, 6]
    for p in result.sweep:
        assert p.inertia > 0 and -1 <= p.silhouette <= 1 and p.calinski_harabasz > 0 and p.davies_bouldin > 0
        assert 0 < p.smallest_share <= 0.5
    inertias = [p.inertia for p in result.sweep]
    assert inertias == sorted(inertias, reverse=True)


@pytest.mark.parametrize("algorithm", ["minibatch", "bisecting"])
def test_other_algorithms_fit_and_report_their_inertia(blobs, algorithm):
    X, y = blobs
    result = fit_model(X, model_config(k=4, k_range=[2, 4], algorithm=algorithm))
    assert adjusted_rand_score(y, result.labels) > 0.95
    assert result.inertia == pytest.approx((result.distances**2).sum())


def test_a_sweep_sample_is_seeded_and_the_final_fit_uses_every_row(blobs):
    X, _ = blobs
    first = fit_model(X, model_config(k="auto", k_range=[2, 5], sweep_sample=200))
    second = fit_model(X, model_config(k="auto", k_range=[2, 5], sweep_sample=200))
    assert first.sweep_rows == 200 and first.labels.shape[0] == X.shape[0]
    assert first.sweep == second.sweep
    assert np.array_equal(first.labels, second.labels)


def test_k_larger_than_the_rows_is_an_error():
    with pytest.raises(DataError, match=r"\[model\] k = 5 but there are only 3 rows"):
        fit_model(np.arange(6.0).reshape(3, 2), model_config(k=5))


def test_fewer_distinct_points_than_k_is_an_error():
    X = np.array([[0.0, 0.0]] * 5 + [[1.0, 1.0]] * 5)
    with pytest.raises(DataError, match=r"only 2 distinct points"):
        fit_model(X, model_config(k=3), n_distinct=2)
