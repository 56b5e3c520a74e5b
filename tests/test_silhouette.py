"""segsql.silhouette gives scikit-learn's silhouette score, to rounding."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import silhouette_score as sklearn_silhouette

from segsql.steps.fit.silhouette import silhouette_score

from .conftest import DATA


def _datasets():
    blobs, blob_labels = make_blobs(n_samples=3000, n_features=5, centers=6, random_state=0)
    rng = np.random.RandomState(1)
    noise = rng.standard_normal((2500, 3))
    skewed = np.exp(rng.standard_normal((1200, 4))) * 1000.0  # large magnitudes, tiny distances near 0
    seed = np.loadtxt(DATA / "customers.csv", delimiter=",", skiprows=1, usecols=(1, 2, 3))
    return {
        "blobs with their own labels": (blobs, blob_labels),
        "blobs with labels unrelated to them": (blobs, rng.randint(0, 4, blobs.shape[0])),
        "gaussian noise in two arbitrary halves": (noise, (noise[:, 0] > 0).astype(int)),
        "skewed values in ten clusters": (skewed, rng.randint(0, 10, skewed.shape[0])),
        "the seed customers, labels as strings": (seed, np.array(["a", "b", "c"])[np.arange(200) % 3]),
    }


@pytest.mark.parametrize("name", list(_datasets()))
def test_the_silhouette_equals_scikit_learns_on_every_row(name):
    X, labels = _datasets()[name]
    assert silhouette_score(X, labels) == pytest.approx(sklearn_silhouette(X, labels), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 42, 7])
def test_the_sampled_silhouette_draws_the_same_rows_as_scikit_learn(seed):
    X, labels = _datasets()["blobs with labels unrelated to them"]
    ours = silhouette_score(X, labels, sample_size=700, random_state=seed)
    theirs = sklearn_silhouette(X, labels, sample_size=700, random_state=seed)
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert ours != pytest.approx(silhouette_score(X, labels), abs=1e-6)  # it really is a sample


def test_a_cluster_of_one_row_counts_as_zero_like_scikit_learn():
    X = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [9.0, 9.0], [5.0, 5.0], [5.1, 5.0]])
    labels = np.array([0, 0, 0, 1, 2, 2])
    assert silhouette_score(X, labels) == pytest.approx(sklearn_silhouette(X, labels), abs=1e-12)


def test_duplicate_points_have_distance_exactly_zero():
    X = np.repeat(np.array([[1.0, 2.0], [1.0, 2.0], [8.0, 8.0]]), 300, axis=0)
    labels = np.repeat(np.array([0, 0, 1]), 300)
    assert silhouette_score(X, labels) == 1.0 == sklearn_silhouette(X, labels)


def test_one_label_is_an_error_as_in_scikit_learn():
    with pytest.raises(ValueError, match="Number of labels is 1"):
        silhouette_score(np.zeros((5, 2)), np.zeros(5, dtype=int))
