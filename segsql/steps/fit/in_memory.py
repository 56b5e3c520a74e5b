"""The in-memory fit: the whole scaled matrix in NumPy, scikit-learn's estimator on every row.

The default strategy. The K sweep fits a seeded sample (``[model]
sweep_sample``); the final fit at the chosen K uses every row, so with
``kmeans`` its labels are scikit-learn's own. The matrix stays in the session
after the fit, with its labels, for the 2-D map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.config import ModelConfig
from segsql.errors import DataError
from segsql.session import Matrix, Session
from segsql.steps import matrix
from segsql.steps.fit.result import FitResult, Prepared, StepCallback, renumber
from segsql.steps.fit.sweep import fit_estimator, silhouette, sweep_k, usable_ks
from segsql.steps.fit.warm import Start, WarmStart

__all__ = ["NAME", "MatrixFit", "applies", "distances", "fit", "fit_matrix", "prepare"]

NAME = "in_memory"


def applies(model: ModelConfig, n_rows: int) -> bool:  # noqa: ARG001 - the fallback: any run
    return True


def prepare(session: Session, columns: tuple[str, ...], n_rows: int) -> Prepared:
    """Load the whole matrix into the session (and the rows' weights, with [features] weight)."""
    session.matrix = Matrix(X=matrix.load_matrix(session.con, columns), labels=None)
    weights = matrix.load_weights(session.con) if matrix.weighted(session.config) else None
    return Prepared(strategy=NAME, columns=columns, n_rows=n_rows, weights=weights)


def fit(
    session: Session,
    prepared: Prepared,
    *,
    n_distinct: int | None,
    on_step: StepCallback,
    warm: WarmStart | None = None,
) -> FitResult:
    """Fit on the session's matrix; leave ``segsql_labels`` and keep the labels with the matrix."""
    assert session.matrix is not None, "prepare() loads the matrix"
    X = session.matrix.X
    fitted = fit_matrix(
        X,
        session.config.model,
        n_distinct=n_distinct,
        on_step=on_step,
        warm=warm,
        sample_weight=prepared.weights,
    )
    frame = pa.table(
        {
            "segsql_row": np.arange(X.shape[0], dtype=np.int64),
            "segment": fitted.labels.astype(np.int32),
            "distance": fitted.distances,
        }
    )
    with sql.registered(session.con, "segsql_labels_in", frame):
        sql.execute(session.con, "fit/labels_by_row")
    session.matrix = Matrix(X=X, labels=fitted.labels)
    return fitted.result


@dataclass(frozen=True)
class MatrixFit:
    """A fit on a matrix: the result, and each row's segment (1..K) and distance to its centre."""

    result: FitResult
    labels: np.ndarray
    distances: np.ndarray


def fit_matrix(
    X: np.ndarray,
    model: ModelConfig,
    *,
    n_distinct: int | None = None,
    on_step: StepCallback | None = None,
    warm: WarmStart | None = None,
    sample_weight: np.ndarray | None = None,
) -> MatrixFit:
    """Sweep K over ``model.ks()``, choose K, fit it on every row, number the segments.

    ``n_distinct`` (distinct rows of ``X``, when known) turns "fewer distinct
    points than K" into a clear error instead of scikit-learn's warning.
    ``on_step`` is told as each K of the sweep starts, and when the final fit starts.
    ``warm``: the previous run's centres, where the final fit starts when K is theirs.
    ``sample_weight``: each row's weight ([features] weight), in the sweep (its sample's
    weights), the final fit, the metrics and the numbering (heaviest segment first).
    """
    n = X.shape[0]
    ks = usable_ks(model, n, n_distinct)
    sample = matrix.seeded_rows(n, model.sweep_sample, model.random_state)
    Xs = X if sample is None else X[sample]
    ws = sample_weight if sample is None or sample_weight is None else sample_weight[sample]
    sweep = sweep_k(Xs, model, ks, on_step=on_step, sample_weight=ws, sampled=sample is not None)
    fitted, k = sweep.fitted, sweep.k

    start = warm.at(k, algorithm=model.algorithm) if warm else Start()
    # the sweep already fitted K on every row (from its own seeds: not reused for a warm start)
    reused = sample is None and k in fitted and start.init is None
    if on_step:
        on_step(f"final fit, K = {k}, {n} rows", len(ks), len(ks) + 1)
    final = fitted[k] if reused else fit_estimator(X, model, k, init=start.init, sample_weight=sample_weight)
    raw = final.labels_
    if len(np.unique(raw)) < k:
        raise DataError(f"k-means found fewer than K = {k} non-empty segments: too few distinct points")
    order = renumber(np.bincount(raw, weights=sample_weight, minlength=k), final.cluster_centers_)
    segment_of = np.empty(k, dtype=np.int64)
    segment_of[order] = np.arange(1, k + 1)
    labels, centers = segment_of[raw], final.cluster_centers_[order]
    dist = distances(X, centers, labels)
    # KMeans reports the inertia of its final centres; the others are recomputed to match
    if model.algorithm == "kmeans":
        inertia = float(final.inertia_)  # weighted by scikit-learn when the fit was
    else:
        inertia = float((dist**2).sum() if sample_weight is None else (sample_weight * dist**2).sum())
    score = sweep.points[k][0] if reused else silhouette(X, labels, model, sample_weight)
    result = FitResult(
        strategy=NAME,
        k=k,
        k_choice=sweep.k_choice + start.note,
        sweep=sweep.table(),
        sweep_rows=Xs.shape[0],
        sweep_n_init=sweep.n_init,
        centers=centers,
        inertia=inertia,
        silhouette=score,
        n_iter=int(getattr(final, "n_iter_", 0)),
        warnings=start.warnings,
    )
    return MatrixFit(result=result, labels=labels, distances=dist)


def distances(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each row's distance to its segment's centre, in blocks (no full-size temporaries)."""
    out = np.empty(X.shape[0])
    step = 1 << 16
    for start in range(0, X.shape[0], step):
        block = X[start : start + step] - centers[labels[start : start + step] - 1]
        out[start : start + step] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out
