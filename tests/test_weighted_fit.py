"""Sample weights ([features] weight) in the model, its metrics, the sizes and the profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import BisectingKMeans, KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score
from threadpoolctl import threadpool_limits

import segsql
from segsql import config_from_dict
from segsql.steps.fit import streamed, weighted
from segsql.steps.fit.in_memory import fit_matrix
from segsql.steps.fit.silhouette import silhouette_score
from segsql.steps.fit.warm import WarmStart

from .frames import frame_config


def sk(estimator, X, w=None):
    """scikit-learn's own fit, on one OpenMP thread (on a busy machine its threads only spin)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return estimator.fit(X, sample_weight=w)


def model_config(**model):
    return config_from_dict({"features": {"entity": "id", "sql": "x"}, "model": model}).model


@pytest.fixture(scope="module")
def data():
    """Three overlapping groups, and weights that pull the centres: weighting changes the labels."""
    rng = np.random.RandomState(5)
    X = np.concatenate(
        [
            rng.normal([0, 0], 1.2, (120, 2)),
            rng.normal([4, 0], 1.2, (90, 2)),
            rng.normal([2, 4], 1.2, (60, 2)),
        ]
    )
    w = np.where(X[:, 0] > 3, 6.0, 1.0) * rng.uniform(0.5, 1.5, X.shape[0])
    return X, w


def reference_silhouette(X, labels, w):
    """The weighted silhouette written out: weighted mean distances to the other members, weighted mean."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(-1))
    clusters = np.unique(labels)
    member = labels[:, None] == clusters[None, :]
    sums = D @ (member * w[:, None])  # sums[i, c]: weighted distances from row i to cluster c
    totals = (member * w[:, None]).sum(axis=0)
    own = np.searchsorted(clusters, labels)
    rows = np.arange(len(X))
    others = totals[own] - w  # the weight of the other members of each row's cluster
    a = np.divide(sums[rows, own], others, out=np.zeros(len(X)), where=others > 0)
    mean_to = sums / totals
    mean_to[rows, own] = np.inf
    b = mean_to.min(axis=1)
    s = np.where(others > 0, (b - a) / np.maximum(a, b), 0.0)
    return float(np.average(s, weights=w))


def test_the_weighted_fit_at_a_fixed_k_labels_rows_as_scikit_learns_sample_weight_fit(data):
    X, w = data
    fitted = fit_matrix(X, model_config(k=3, k_range=[2, 5]), sample_weight=w)
    ours = sk(KMeans(n_clusters=3, n_init=10, random_state=42), X, w)
    assert adjusted_rand_score(ours.labels_, fitted.labels) == 1.0
    unweighted = sk(KMeans(n_clusters=3, n_init=10, random_state=42), X)
    assert adjusted_rand_score(unweighted.labels_, fitted.labels) < 1.0  # the weights mattered
    assert fitted.result.inertia == pytest.approx(ours.inertia_, rel=1e-12)


def test_a_warm_start_fits_the_weights_from_the_previous_centres(data):
    X, w = data
    previous = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 4.0]])
    warm = WarmStart(previous_run_id=1, centers=previous)
    fitted = fit_matrix(X, model_config(k=3, k_range=[3, 3]), sample_weight=w, warm=warm)
    ours = sk(KMeans(n_clusters=3, init=previous, n_init=1, random_state=42), X, w)
    assert adjusted_rand_score(ours.labels_, fitted.labels) == 1.0
    assert fitted.result.inertia == pytest.approx(ours.inertia_, rel=1e-12)


def test_the_sweep_chooses_k_by_weighted_metrics_and_fits_it_as_scikit_learn_does(data):
    X, w = data
    model = model_config(k="auto", k_range=[2, 5])
    fitted = fit_matrix(X, model, sample_weight=w)
    expected = {}
    for k in range(2, 6):
        est = sk(KMeans(n_clusters=k, n_init=10, random_state=42), X, w)
        expected[k] = reference_silhouette(X, est.labels_, w)
    best = max(expected, key=lambda k: (expected[k], -k))
    assert fitted.result.k == best
    points = {p.k: p for p in fitted.result.sweep}
    for k, value in expected.items():
        assert points[k].silhouette == pytest.approx(value, rel=1e-9)
    ours = sk(KMeans(n_clusters=best, n_init=10, random_state=42), X, w)
    assert adjusted_rand_score(ours.labels_, fitted.labels) == 1.0


def test_a_sampled_sweep_fits_its_rows_with_their_own_weights_and_the_final_fit_every_row(data):
    X, w = data
    model = model_config(k="auto", k_range=[2, 4], n_init=3, sweep_sample=150, metric_sample=150)
    fitted = fit_matrix(X, model, sample_weight=w)
    sample = np.sort(np.random.RandomState(42).permutation(X.shape[0])[:150])
    points = {p.k: p for p in fitted.result.sweep}
    for k in (2, 3, 4):
        est = sk(KMeans(n_clusters=k, n_init=3, random_state=42), X[sample], w[sample])
        assert points[k].inertia == pytest.approx(est.inertia_, rel=1e-12)
        # the metric sample is drawn from the sweep's rows as scikit-learn draws it
        drawn = np.random.RandomState(42).permutation(150)[:150]
        Xm, lm, wm = X[sample][drawn], est.labels_[drawn], w[sample][drawn]
        assert points[k].silhouette == pytest.approx(reference_silhouette(Xm, lm, wm), rel=1e-9)
    final = sk(KMeans(n_clusters=fitted.result.k, n_init=3, random_state=42), X, w)
    assert adjusted_rand_score(final.labels_, fitted.labels) == 1.0
    assert fitted.result.inertia == pytest.approx(final.inertia_, rel=1e-12)


def test_weighted_segment_shares_in_the_sweep_are_shares_of_the_weight(data):
    X, w = data
    fitted = fit_matrix(X, model_config(k=3, k_range=[3, 3]), sample_weight=w)
    totals = np.bincount(fitted.labels, weights=w)[1:]
    (point,) = fitted.result.sweep
    assert point.smallest_share == pytest.approx(totals.min() / w.sum(), rel=1e-12)
    assert point.largest_share == pytest.approx(totals.max() / w.sum(), rel=1e-12)
    # segments are numbered by weight, heaviest first
    assert list(totals) == sorted(totals, reverse=True)


@pytest.mark.parametrize(
    "algorithm, estimator", [("minibatch", MiniBatchKMeans), ("bisecting", BisectingKMeans)]
)
def test_minibatch_and_bisecting_take_the_weights_too(data, algorithm, estimator):
    X, w = data
    fitted = fit_matrix(X, model_config(k=3, k_range=[3, 3], algorithm=algorithm, n_init=3), sample_weight=w)
    ours = sk(estimator(n_clusters=3, n_init=3, max_iter=300, random_state=42), X, w)
    assert adjusted_rand_score(ours.labels_, fitted.labels) == 1.0
    assert fitted.result.inertia == pytest.approx(float((w * fitted.distances**2).sum()), rel=1e-12)


def test_the_weighted_silhouette_is_the_weighted_mean_of_weighted_coefficients(data):
    X, w = data
    labels = sk(KMeans(n_clusters=3, n_init=3, random_state=0), X).labels_
    assert silhouette_score(X, labels, sample_weight=w) == pytest.approx(
        reference_silhouette(X, labels, w), rel=1e-12
    )
    # relative weights: scaling them changes nothing; equal weights give the unweighted number
    assert silhouette_score(X, labels, sample_weight=w * 7.5) == pytest.approx(
        silhouette_score(X, labels, sample_weight=w), rel=1e-12
    )
    assert silhouette_score(X, labels, sample_weight=np.ones(len(w))) == pytest.approx(
        silhouette_score(X, labels), rel=1e-12
    )


def test_weighted_calinski_harabasz_and_davies_bouldin_count_a_weight_as_repeated_rows(data):
    X, _ = data
    labels = sk(KMeans(n_clusters=3, n_init=3, random_state=0), X).labels_
    counts = np.random.RandomState(1).randint(1, 4, X.shape[0])
    Xr, lr = np.repeat(X, counts, axis=0), np.repeat(labels, counts)
    assert weighted.davies_bouldin(X, labels, counts) == pytest.approx(
        davies_bouldin_score(Xr, lr), rel=1e-10
    )
    # the between/within ratio is the repeated rows'; the degrees of freedom are the rows' own
    n, nr, k = X.shape[0], Xr.shape[0], 3
    expected = calinski_harabasz_score(Xr, lr) / (nr - k) * (n - k)
    assert weighted.calinski_harabasz(X, labels, counts) == pytest.approx(expected, rel=1e-10)
    ones = np.ones(n)
    assert weighted.calinski_harabasz(X, labels, ones) == pytest.approx(
        calinski_harabasz_score(X, labels), rel=1e-10
    )


def write_config(tmp, frame, *, model: str, weight: bool = True) -> object:
    features = 'columns = ["a", "b"]\n' + ('weight = "w"' if weight else "")
    sections = f'[preprocess]\nscaling = "none"\n\n[model]\n{model}\n'
    return frame_config(tmp, frame, name="weights", features=features, sections=sections)


@pytest.fixture(scope="module")
def frame(data):
    X, w = data
    return pd.DataFrame({"id": np.arange(X.shape[0]), "a": X[:, 0], "b": X[:, 1], "w": w})


def test_a_weighted_run_labels_rows_as_scikit_learn_at_the_k_its_sweep_chose(tmp_path_factory, frame):
    config = write_config(tmp_path_factory.mktemp("weighted"), frame, model='k = "auto"\nk_range = [2, 5]')
    result = segsql.run(config)
    segments = result.segments.sort("id")["segment"].to_numpy()
    X, w = frame[["a", "b"]].to_numpy(), frame["w"].to_numpy()
    ours = sk(KMeans(n_clusters=result.k, n_init=10, random_state=42), X, w)
    assert adjusted_rand_score(ours.labels_, segments) == 1.0
    assert result.metrics["inertia"] == pytest.approx(ours.inertia_, rel=1e-9)
    assert result.metrics["silhouette"] == pytest.approx(reference_silhouette(X, ours.labels_, w), rel=1e-9)


def test_the_streamed_fit_weighs_every_block_and_its_results(tmp_path_factory, monkeypatch):
    """Two blobs; in the larger one (at 0) the rows right of 0 weigh 5, the smaller one (at 10) weighs
    10 a row: its segment is the heavier, and the weights pull the first centre to the right."""
    monkeypatch.setattr(streamed, "STREAM_MIN_ROWS", 10)
    monkeypatch.setattr(streamed, "_BLOCK", 64)  # several blocks a pass
    rng = np.random.RandomState(0)
    blob = np.repeat([0, 1], [200, 100])
    a = np.array([0.0, 10.0])[blob] + rng.normal(0, 0.5, 300)
    # ids in no order of the blobs: the blocks (in entity order) mix them, as real ids do
    frame = pd.DataFrame({"id": rng.permutation(300), "a": a, "b": rng.normal(0, 0.5, 300)})
    frame["w"] = np.where(blob == 1, 10.0, np.where(a > 0, 5.0, 1.0))
    model = 'k = 2\nk_range = [2, 2]\nalgorithm = "minibatch"\nmetric_sample = 0'
    result = segsql.run(write_config(tmp_path_factory.mktemp("streamed"), frame, model=model))
    assert result.tables["runs"]["algorithm"][0] == "minibatch" and result.metrics["inertia"] > 0
    segments = frame[["id"]].merge(result.segments.to_pandas(), on="id")["segment"].to_numpy()
    # numbered by weight: the smaller blob is the heavier, segment 1
    assert adjusted_rand_score(np.where(blob == 1, 1, 2), segments) == 1.0 and segments[blob == 1][0] == 1
    X, w = frame[["a", "b"]].to_numpy(), frame["w"].to_numpy()
    centroids = result.tables["centroids"].pivot(on="feature", index="segment", values="value_scaled")
    centres = centroids.sort("segment").select("a", "b").to_numpy()
    first = blob == 0
    assert centres[1, 0] == pytest.approx(np.average(a[first], weights=w[first]), abs=0.05)
    assert abs(centres[1, 0] - a[first].mean()) > 0.15  # the unweighted mean is not where it went
    gaps = ((X - centres[segments - 1]) ** 2).sum(axis=1)
    assert result.metrics["inertia"] == pytest.approx(float((w * gaps).sum()), rel=1e-9)
    assert result.metrics["silhouette"] == pytest.approx(reference_silhouette(X, segments, w), rel=1e-9)
    summary = result.segment_summary.sort("segment")
    assert summary["weight"].to_list() == pytest.approx([w[segments == s].sum() for s in (1, 2)], rel=1e-12)


def test_a_segment_merged_by_min_size_is_centred_at_its_members_weighted_mean(tmp_path_factory, frame):
    model = "k = 5\nk_range = [5, 5]\n\n[segments]\nmin_size = 50"
    result = segsql.run(write_config(tmp_path_factory.mktemp("guard"), frame, model=model))
    merged = [w for w in result.warnings if "min_size" in w]
    assert merged
    into = {int(w.split("merged into segment ")[1].split(",")[0]) for w in merged}
    rows = frame.merge(result.segments.to_pandas()[["id", "segment"]], on="id")
    centroids = result.tables["centroids"].to_pandas().set_index(["segment", "feature"])["value_scaled"]
    receivers = into & set(rows["segment"])
    assert receivers
    for segment in receivers:
        members = rows[rows["segment"] == segment]
        for feature in ("a", "b"):
            expected = np.average(members[feature], weights=members["w"])
            assert centroids[(segment, feature)] == pytest.approx(expected, rel=1e-12)
