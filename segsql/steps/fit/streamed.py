"""The streamed fit, for large inputs: the matrix is never whole in memory.

With ``[model] algorithm = "minibatch"`` and more than ``STREAM_MIN_ROWS``
rows, the matrix step reads only the K sweep's seeded sample. The final
MiniBatchKMeans is fitted with ``partial_fit`` on fixed-size blocks read from
DuckDB in entity order, pass after pass until the centres stop moving; then
every row is assigned to its nearest centre in SQL (``queries/fit/assign.sql``),
and the silhouette is computed on scikit-learn's own sample of rows.
With ``[features] weight`` each row's weight (``segsql_scaled.segsql_weight``)
is read beside its features, as one more column: the sweep's sample and every
block are fitted with their weights, and the sizes, the inertia, the numbering
(heaviest first) and the silhouette are weighted (README, "Sample weights").
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.config import ModelConfig
from segsql.errors import DataError
from segsql.session import Session
from segsql.steps import matrix
from segsql.steps.fit.result import FitResult, Prepared, StepCallback, renumber
from segsql.steps.fit.silhouette import silhouette_score
from segsql.steps.fit.sweep import sweep_k, usable_ks
from segsql.steps.fit.warm import Start, WarmStart

__all__ = ["NAME", "STREAM_MIN_ROWS", "applies", "fit", "prepare"]

NAME = "streamed"
# below this many rows the matrix is small enough (≤ a few hundred MB) to hold whole
STREAM_MIN_ROWS = 2_000_000
_BLOCK = 65_536  # rows per partial_fit step: fixed, so the result does not depend on Arrow's batching
_MAX_PASSES = 10
_TOL = 1e-2  # largest centre move (scaled units, so 1% of a standard deviation) still counted as moving


def applies(model: ModelConfig, n_rows: int) -> bool:
    """Large minibatch runs."""
    return model.algorithm == "minibatch" and n_rows > STREAM_MIN_ROWS


# segsql_scaled's column of sample weights ([features] weight), read as one more column after
# the features (a feature cannot be named so: the segsql_ prefix is reserved)
_WEIGHT = "segsql_weight"


def prepare(session: Session, columns: tuple[str, ...], n_rows: int) -> Prepared:
    """Read only the K sweep's seeded sample (and its rows' weights, with [features] weight)."""
    model = session.config.model
    weighted = matrix.weighted(session.config)
    sample = matrix.seeded_rows(n_rows, model.sweep_sample, model.random_state)
    read = [*columns, _WEIGHT] if weighted else list(columns)
    rows = matrix.rows(session.con, read, sample if sample is not None else np.arange(n_rows))
    if not weighted:
        return Prepared(strategy=NAME, columns=columns, n_rows=n_rows, sample=rows)
    X, w = _split(rows)
    return Prepared(strategy=NAME, columns=columns, n_rows=n_rows, sample=X, weights=w)


def _split(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Features and weights of rows read with the weight as their last column."""
    return np.ascontiguousarray(rows[:, :-1]), np.ascontiguousarray(rows[:, -1])


def fit(
    session: Session,
    prepared: Prepared,
    *,
    n_distinct: int | None,  # noqa: ARG001
    on_step: StepCallback,
    warm: WarmStart | None = None,
) -> FitResult:
    """Sweep K on the sample, fit MiniBatchKMeans on every row in blocks, label every row in SQL.

    With a usable ``warm`` start the first pass begins at the previous run's centres.
    """
    con, model, columns, n_rows = session.con, session.config.model, prepared.columns, prepared.n_rows
    assert prepared.sample is not None
    ks = usable_ks(model, n_rows, None)
    weighted = prepared.weights is not None
    sweep = sweep_k(
        prepared.sample,
        model,
        ks,
        on_step=on_step,
        sampled=prepared.sample.shape[0] < n_rows,
        sample_weight=prepared.weights,
    )
    k = sweep.k
    on_step(f"final fit, K = {k}, {n_rows} rows, streamed", len(ks), len(ks) + 1)

    start = warm.at(k, algorithm=model.algorithm) if warm else Start()
    from sklearn.cluster import MiniBatchKMeans

    est = MiniBatchKMeans(
        n_clusters=k, n_init=model.n_init, random_state=model.random_state, batch_size=_BLOCK
    )
    if start.init is not None:
        est.set_params(init=start.init, n_init=1)
    passes, previous = 0, None
    while passes < min(_MAX_PASSES, model.max_iter):
        for block in matrix.blocks(con, [*columns, _WEIGHT] if weighted else columns, _BLOCK):
            if weighted:
                X, w = _split(block)
                est.partial_fit(X, sample_weight=w)
            else:
                est.partial_fit(block)
        passes += 1
        if previous is not None and np.abs(est.cluster_centers_ - previous).max() < _TOL:
            break
        previous = est.cluster_centers_.copy()

    raw_centers = est.cluster_centers_
    sql.execute(con, "fit/assign", {"centers": raw_centers.tolist()}, columns=columns)
    # raw_segment, size, (weight,) inertia: numbered by size, or by weight with [features] weight
    sizes = sql.execute(con, "fit/segment_sizes_weighted" if weighted else "fit/segment_sizes").fetchall()
    if len(sizes) < k:
        raise DataError(f"k-means found fewer than K = {k} non-empty segments: too few distinct points")
    size = np.zeros(k, dtype=np.float64 if weighted else np.int64)
    for raw, *counts in sizes:
        size[raw - 1] = counts[1] if weighted else counts[0]
    order = renumber(size, raw_centers)
    numbering = pa.table(
        {
            "raw_segment": pa.array(order + 1, pa.int32()),
            "segment": pa.array(range(1, k + 1), pa.int32()),
        }
    )
    with sql.registered(con, "segsql_renumber_in", numbering):
        sql.execute(con, "fit/labels_by_centre")

    return FitResult(
        strategy=NAME,
        k=k,
        k_choice=sweep.k_choice + start.note,
        sweep=sweep.table(),
        sweep_rows=prepared.sample.shape[0],
        sweep_n_init=sweep.n_init,
        centers=raw_centers[order],
        inertia=float(sum(row[-1] for row in sizes)),
        silhouette=_silhouette(session, columns, n_rows, weighted=weighted),
        n_iter=passes,
        warnings=start.warnings,
    )


def _silhouette(session: Session, columns: tuple[str, ...], n_rows: int, *, weighted: bool) -> float:
    """The silhouette on the rows scikit-learn's ``silhouette_score`` would draw (weighted by
    their weights with [features] weight)."""
    model = session.config.model
    rows = matrix.seeded_rows(n_rows, model.metric_sample, model.random_state)
    X, labels = matrix.labelled_rows(
        session.con,
        "fit/assigned_rows",
        [*columns, _WEIGHT] if weighted else columns,
        rows if rows is not None else np.arange(n_rows),
    )
    if len(np.unique(labels)) < 2:
        return float("nan")
    if weighted:
        X, w = _split(X)
        return silhouette_score(X, labels, sample_weight=w)
    return silhouette_score(X, labels)
