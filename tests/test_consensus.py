"""Choosing K as an analyst would: share constraints, the consensus of the criteria, and a
k_choice that says what each criterion preferred (README, "Choosing K")."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from sklearn.metrics import silhouette_score

from segsql import ConfigError, config_from_dict, run
from segsql.steps.fit.sweep import choose


def model_config(**model):
    return config_from_dict({"features": {"entity": "id", "sql": "x"}, "model": model}).model


def _acceptance_rows(seed: int = 0) -> np.ndarray:
    """Three close blobs (250 rows each) and one far away (250): silhouette prefers K = 2, whose
    largest segment holds 76% of the rows; and a tiny third cluster below the close blobs (30
    rows, 3%), which the K values that split it off leave as a segment of 3%."""
    rng = np.random.default_rng(seed)
    blobs = [rng.normal(c, 0.25, size=(250, 2)) for c in ((0, 0), (1.2, 0), (0.6, 1.0))]
    far = rng.normal((12, 0.5), 0.3, size=(250, 2))
    tiny = rng.normal((0.6, -1.3), 0.1, size=(30, 2))
    return np.vstack([*blobs, far, tiny])


@pytest.fixture
def acceptance(tmp_path):
    X = _acceptance_rows()
    with (tmp_path / "points.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "a", "b"])
        writer.writerows([i, *row] for i, row in enumerate(X))
    config = {
        "project": {"database": str(tmp_path / "run.duckdb")},
        "sources": {"points": {"path": str(tmp_path / "points.csv")}},
        "features": {"entity": "id", "sql": "SELECT * FROM points", "columns": ["a", "b"]},
        "preprocess": {"scaling": "none"},
        "model": {
            "k_range": [2, 8],
            "select": "consensus",
            "min_segment_share": 0.05,
            "max_segment_share": 0.6,
            "sweep_sample": 0,
            "metric_sample": 0,
        },
        "output": {"report": False, "dir": str(tmp_path / "out")},
    }
    return X, config


def test_when_silhouette_prefers_a_k_the_constraints_rule_out_the_chosen_k_meets_them(acceptance):
    X, config = acceptance
    result = run(config_from_dict(config))
    sweep = result.k_sweep.sort("k")
    # silhouette's own preference, computed apart: K = 2, with 3 of 4 blobs in one segment
    best = sweep.sort(["silhouette", "k"], descending=[True, False])["k"][0]
    assert best == 2
    two = sweep.filter(sweep["k"] == 2).row(0, named=True)
    assert two["largest_share"] > 0.6 and not two["meets_constraints"]
    # the chosen K meets both constraints, counted from the segments written
    sizes = result.segments.group_by("segment").len()["len"].to_numpy() / X.shape[0]
    assert sizes.min() >= 0.05 and sizes.max() <= 0.6
    assert result.k != 2 and sweep.filter(sweep["chosen"])["meets_constraints"].to_list() == [True]
    # the K values that split the tiny cluster off are ruled out by min_segment_share
    assert not sweep.filter(sweep["smallest_share"] < 0.05)["meets_constraints"].any()
    # k_choice names what silhouette preferred, why it was ruled out, and the disagreement
    assert "silhouette preferred K = 2 (ruled out: largest segment 75.7% > max_segment_share 60%" in (
        result.k_choice
    )
    assert result.k_choice.startswith(f"auto by consensus: K = {result.k}")
    assert "the criteria disagree" in result.k_choice
    assert "silhouette" in two["preferred_by"]
    stored = result.tables["runs"]["k_choice"][0]
    assert stored == result.k_choice


def test_the_silhouette_stored_is_scikit_learns_on_the_chosen_labels(acceptance):
    X, config = acceptance
    result = run(config_from_dict(config))
    labels = result.segments.sort("id")["segment"].to_numpy()
    assert result.metrics["silhouette"] == pytest.approx(silhouette_score(X, labels))


def _points(**by_k):
    # (silhouette, inertia, calinski_harabasz, davies_bouldin, smallest_share, largest_share)
    return {int(k[1:]): v for k, v in by_k.items()}


def test_consensus_takes_the_k_most_criteria_rank_best():
    points = _points(
        k2=(0.70, 100.0, 50.0, 0.9, 0.40, 0.60),
        k3=(0.60, 40.0, 90.0, 0.5, 0.30, 0.40),
        k4=(0.50, 30.0, 80.0, 0.6, 0.20, 0.30),
        k5=(0.40, 25.0, 70.0, 0.7, 0.10, 0.30),
    )
    choice = choose(model_config(select="consensus"), points)
    # CH and DB prefer 3, silhouette 2: 3 has two votes
    assert choice.k == 3
    assert choice.text.startswith(
        "auto by consensus: K = 3, ranked best by calinski_harabasz, davies_bouldin"
    )
    assert "silhouette preferred K = 2;" in choice.text and "the criteria disagree" in choice.text
    assert choice.preferred_by[2] == "silhouette"


def test_a_consensus_tie_goes_to_the_higher_silhouette():
    points = _points(
        k2=(0.30, 100.0, 90.0, 0.9, 0.40, 0.60),
        k3=(0.60, 90.0, 50.0, 0.8, 0.30, 0.40),
        k4=(0.50, 80.0, 60.0, 0.5, 0.20, 0.30),
    )
    # silhouette 3, CH 2, DB 4, and no knee on a straight line: three one-vote ties
    choice = choose(model_config(select="consensus"), points)
    assert choice.k == 3 and "tied with K = 2, K = 4 and taken for its higher silhouette" in choice.text


def test_the_elbow_says_no_knee_rather_than_inventing_one():
    points = _points(
        k2=(0.5, 90.0, 50.0, 0.9, 0.4, 0.6),
        k3=(0.6, 80.0, 60.0, 0.8, 0.3, 0.4),
        k4=(0.4, 70.0, 55.0, 0.85, 0.2, 0.3),
    )
    choice = choose(model_config(select="elbow"), points)
    assert "elbow: no knee" in choice.text and "no knee over K = 2..4" in choice.text
    assert choice.k == 3  # the highest silhouette, as said


def test_constraints_filter_first_for_a_single_criterion():
    points = _points(
        k2=(0.70, 100.0, 50.0, 0.9, 0.02, 0.98),
        k3=(0.60, 40.0, 90.0, 0.5, 0.30, 0.40),
    )
    choice = choose(model_config(select="silhouette", min_segment_share=0.1), points)
    assert choice.k == 3 and choice.allowed == {2: False, 3: True}
    assert "silhouette preferred K = 2 (ruled out: smallest segment 2% < min_segment_share 10%" in choice.text


def test_a_fixed_k_is_kept_and_the_criteria_are_still_recorded():
    points = _points(k2=(0.7, 100.0, 50.0, 0.9, 0.4, 0.6), k3=(0.6, 40.0, 90.0, 0.5, 0.3, 0.4))
    choice = choose(model_config(k=3, k_range=[2, 3]), points)
    assert choice.k == 3 and choice.text.startswith("fixed by the config: k = 3; silhouette preferred K = 2")


@pytest.mark.parametrize(
    "model",
    [
        {"min_segment_share": 0.0},
        {"max_segment_share": 1.5},
        {"min_segment_share": 0.5, "max_segment_share": 0.4},
    ],
)
def test_share_constraints_that_no_k_could_meet_are_refused_at_load(model):
    with pytest.raises(ConfigError, match=r"segment_share.*(above 0|at most 1|below max_segment_share)"):
        model_config(**model)
