"""The cheaper model step (issue 16): fewer k-means++ starts on a sample, the same final labels;
the streamed fit's passes read the scaled rows without sorting them."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

import segsql
from segsql import config_from_dict, sql
from segsql.steps import matrix
from segsql.steps.fit import sweep
from segsql.steps.fit.in_memory import fit_matrix


def model_config(**model):
    return config_from_dict({"features": {"entity": "id", "sql": "x"}, "model": model}).model


@pytest.fixture(scope="module")
def overlapping():
    """3,000 rows in five overlapping blobs: several k-means++ starts do not all agree."""
    X, _ = make_blobs(n_samples=3000, n_features=3, centers=5, cluster_std=2.5, random_state=7)
    return X


@pytest.fixture
def starts(monkeypatch):
    """(K, n_init) of every estimator fitted, in order."""
    seen: list[tuple[int, int]] = []
    real = sweep.make_estimator

    def spy(model, k, **kwargs):
        est = real(model, k, **kwargs)
        seen.append((k, est.n_init))
        return est

    monkeypatch.setattr(sweep, "make_estimator", spy)
    return seen


def test_a_sampled_sweep_starts_each_k_sweep_n_init_times_and_the_final_fit_n_init_times(overlapping, starts):
    result = fit_matrix(overlapping, model_config(k_range=[2, 5], sweep_sample=1000))
    assert result.result.sweep_n_init == 3 and result.result.sweep_rows == 1000
    # the sweep's K values are fitted side by side, so in any order; the final fit comes last
    assert sorted(starts[:-1]) == [(2, 3), (3, 3), (4, 3), (5, 3)]
    assert starts[-1] == (result.result.k, 10)

    # never more starts in the sweep than in the final fit
    starts.clear()
    result = fit_matrix(overlapping, model_config(k_range=[2, 3], sweep_sample=1000, n_init=2))
    assert result.result.sweep_n_init == 2
    assert [n for _, n in starts] == [2, 2, 2]


def test_a_sweep_of_every_row_keeps_n_init_and_is_the_final_fit(overlapping, starts):
    # the seed demo's case: its sweep numbers, K and labels are what they were before
    result = fit_matrix(overlapping[:800], model_config(k_range=[2, 5]))
    assert result.result.sweep_n_init == 10 and result.result.sweep_rows == 800
    assert sorted(starts) == [(2, 10), (3, 10), (4, 10), (5, 10)], (
        "the sweep's fit at K is reused, not refitted"
    )


@pytest.mark.parametrize("sweep_n_init", [1, 3])
def test_the_final_labels_equal_scikit_learns_full_fit_at_the_chosen_k(overlapping, sweep_n_init):
    model = model_config(k_range=[2, 6], sweep_sample=1000, sweep_n_init=sweep_n_init)
    result = fit_matrix(overlapping, model)
    full = KMeans(n_clusters=result.result.k, n_init=10, random_state=42).fit(overlapping)
    assert adjusted_rand_score(full.labels_, result.labels) == 1.0
    assert result.result.inertia == full.inertia_


def test_sweep_n_init_is_checked_and_recorded_with_the_run(write_config, overlapping):
    with pytest.raises(segsql.ConfigError, match=r"sweep_n_init"):
        model_config(sweep_n_init=0)
    rows = "".join(f"{i},{a},{b},{c}\n" for i, (a, b, c) in enumerate(overlapping.tolist(), start=1))
    config = write_config(
        """
        [project]
        database = "points.duckdb"
        [sources.points]
        path = "points.csv"
        [features]
        entity = "id"
        sql = "SELECT * FROM points"
        [model]
        k_range = [2, 4]
        sweep_sample = 1000
        sweep_n_init = 2
        """,
        points__csv="id,a,b,c\n" + rows,
    )
    result = segsql.run(config)
    assert result.tables["runs"]["sweep_n_init"][0] == 2
    assert result.tables["runs"]["sweep_rows"][0] == 1000


@pytest.mark.parametrize(("preserve", "query"), [(True, "matrix/in_order"), (False, "matrix/ordered")])
def test_the_streamed_fit_reads_its_blocks_in_row_order_sorting_only_when_duckdb_may_reorder(
    monkeypatch, preserve, query
):
    con = duckdb.connect()
    con.execute(f"SET preserve_insertion_order = {str(preserve).lower()}")
    con.execute(
        "CREATE TEMP TABLE segsql_scaled AS SELECT i AS segsql_row, i * 1.0 AS a, -i * 1.0 AS b "
        "FROM range(300000) r(i) ORDER BY segsql_row"
    )
    read: list[str] = []
    relation = sql.relation
    monkeypatch.setattr(
        sql, "relation", lambda con, name, **kw: read.append(name) or relation(con, name, **kw)
    )
    blocks = list(matrix.blocks(con, ("a", "b"), 65536))
    assert read == [query], "a sort of every row on every pass, where the table's order is kept"
    assert [b.shape[0] for b in blocks] == [65536] * 4 + [300000 - 4 * 65536]
    together = np.concatenate(blocks)
    assert np.array_equal(together[:, 0], np.arange(300000.0)) and np.array_equal(
        together[:, 1], -together[:, 0]
    )


def test_a_sampled_sweep_scores_every_k_on_one_set_of_distances_giving_scikit_learns_numbers(
    overlapping, monkeypatch
):
    from sklearn.metrics import silhouette_score

    per_k: list[int] = []
    real = sweep.silhouette_score
    monkeypatch.setattr(sweep, "silhouette_score", lambda *a, **kw: per_k.append(1) or real(*a, **kw))
    model = model_config(k_range=[2, 6], sweep_sample=1500, metric_sample=500)
    result = fit_matrix(overlapping, model).result
    assert len(per_k) == 1, "one silhouette per K in the sweep, where one pass over the distances does"

    # the numbers are scikit-learn's, K by K, on the sweep's sample and the same drawn rows
    Xs = overlapping[matrix.seeded_rows(3000, 1500, 42)]
    for point in result.sweep:
        labels = KMeans(n_clusters=point.k, n_init=3, random_state=42).fit(Xs).labels_
        expected = silhouette_score(Xs, labels, sample_size=500, random_state=42)
        assert point.silhouette == pytest.approx(expected, abs=1e-12), point.k
