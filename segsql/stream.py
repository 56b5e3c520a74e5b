"""The model for large inputs, streamed: the matrix is never whole in memory.

With ``[model] algorithm = "minibatch"`` and more than ``STREAM_MIN_ROWS``
rows, the pipeline does not load the matrix. The K sweep fits its seeded
sample (fetched by row number); the final MiniBatchKMeans is fitted with
``partial_fit`` on fixed-size blocks read from DuckDB as Arrow batches, in
entity order, pass after pass until the centres stop moving; then every row is
assigned to its nearest centre in SQL (``queries/model/assign.sql``), and the
silhouette is computed on scikit-learn's own sample of rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pyarrow as pa
from sklearn.cluster import MiniBatchKMeans

from . import sql
from .config import ModelConfig
from .errors import DataError
from .model import ModelResult, StepCallback, sweep_k, sweep_sample_rows, usable_ks
from .silhouette import silhouette_score

__all__ = ["STREAM_MIN_ROWS", "fit_streaming", "segmented_sample", "streams"]

# below this many rows the matrix is small enough (≤ a few hundred MB) to hold whole
STREAM_MIN_ROWS = 2_000_000
_BLOCK = 65_536  # rows per partial_fit step: fixed, so the result does not depend on Arrow's batching
_MAX_PASSES = 10
_TOL = 1e-2  # largest centre move (scaled units, so 1% of a standard deviation) still counted as moving


def streams(model: ModelConfig, n_rows: int) -> bool:
    """Whether the run takes the streamed path."""
    return model.algorithm == "minibatch" and n_rows > STREAM_MIN_ROWS


def fit_streaming(
    con: duckdb.DuckDBPyConnection,
    columns: tuple[str, ...],
    model: ModelConfig,
    *,
    n_rows: int,
    on_step: StepCallback | None = None,
) -> ModelResult:
    """Sweep K on a sample, fit MiniBatchKMeans on every row in blocks, label every row in SQL.

    Leaves ``segsql_labels`` (entity, segment, distance) in the connection;
    the result carries no per-row arrays (``labels`` and ``distances`` are None).
    """
    ks = usable_ks(model, n_rows, None)
    sample = sweep_sample_rows(model, n_rows)
    Xs = _rows(con, columns, sample if sample is not None else np.arange(n_rows))
    sweep = sweep_k(Xs, model, ks, on_step=on_step)
    k = sweep.k
    if on_step:
        on_step(f"final fit, K = {k}, {n_rows} rows, streamed", len(ks), len(ks) + 1)

    est = MiniBatchKMeans(
        n_clusters=k, n_init=model.n_init, random_state=model.random_state, batch_size=_BLOCK
    )
    passes, previous = 0, None
    while passes < min(_MAX_PASSES, model.max_iter):
        for block in _blocks(con, columns):
            est.partial_fit(block)
        passes += 1
        if previous is not None and np.abs(est.cluster_centers_ - previous).max() < _TOL:
            break
        previous = est.cluster_centers_.copy()

    raw_centers = est.cluster_centers_
    sql.execute(con, "model/assign", {"centers": raw_centers.tolist()}, columns=columns)
    sizes = sql.execute(con, "model/segment_sizes").fetchall()
    if len(sizes) < k:
        raise DataError(f"k-means found fewer than K = {k} non-empty segments: too few distinct points")
    size = {raw: n for raw, n, _ in sizes}
    # 1..K by size, largest first, equal sizes by centre: as segsql.model numbers them
    order = sorted(range(k), key=lambda c: (-size[c + 1], tuple(raw_centers[c])))
    renumber = pa.table({
        "raw_segment": pa.array([c + 1 for c in order], pa.int32()),
        "segment": pa.array(range(1, k + 1), pa.int32()),
    })  # fmt: skip
    con.register("segsql_renumber_in", renumber)
    try:
        sql.execute(con, "model/labels")
    finally:
        con.unregister("segsql_renumber_in")

    silhouette = _silhouette(con, columns, model, n_rows)
    return ModelResult(
        k=k,
        k_choice=sweep.k_choice,
        sweep=sweep.table(),
        sweep_rows=Xs.shape[0],
        labels=None,
        centers=raw_centers[order],
        distances=None,
        inertia=float(sum(inertia for _, _, inertia in sizes)),
        silhouette=silhouette,
        n_iter=passes,
    )


def segmented_sample(
    con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], model: ModelConfig, *, n_rows: int, size: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A seeded sample of at most ``size`` scaled rows with their final segments, after labelling.

    Returns ``(X, segments, row_numbers)``, in entity order: what the 2-D map
    is fitted and drawn on when the whole matrix is never loaded.
    """
    rows = np.arange(n_rows)
    if n_rows > size:
        rows = np.sort(np.random.RandomState(model.random_state).choice(n_rows, size, replace=False))
    X, segments = _labelled_rows(con, "model/segmented_rows", columns, rows)
    return X, segments, rows


def _labelled_rows(
    con: duckdb.DuckDBPyConnection, query: str, columns: tuple[str, ...], rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows (sorted row numbers) and their segments from ``query``: (segsql_row, segment, features…)."""
    X = np.empty((rows.shape[0], len(columns)))
    labels = np.empty(rows.shape[0], dtype=np.int64)
    for batch in _with_rows(con, query, columns, rows):
        at = np.searchsorted(rows, batch.column(0).to_numpy())
        labels[at] = batch.column(1).to_numpy()
        for j in range(len(columns)):
            X[at, j] = batch.column(j + 2).to_numpy(zero_copy_only=False)
    return X, labels


def _rows(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], rows: np.ndarray) -> np.ndarray:
    """The scaled rows with these row numbers (sorted), as a C-ordered float64 matrix."""
    X = np.empty((rows.shape[0], len(columns)))
    for batch in _with_rows(con, "model/rows", columns, rows):
        at = np.searchsorted(rows, batch.column(0).to_numpy())
        for j in range(len(columns)):
            X[at, j] = batch.column(j + 1).to_numpy(zero_copy_only=False)
    return X


def _with_rows(
    con: duckdb.DuckDBPyConnection, name: str, columns: tuple[str, ...], rows: np.ndarray
) -> list[pa.RecordBatch]:
    con.register("segsql_rows_in", pa.table({"segsql_row": pa.array(rows, pa.int64())}))
    try:
        return list(sql.relation(con, name, columns=columns).to_arrow_reader(batch_size=1 << 20))
    finally:
        con.unregister("segsql_rows_in")


def _blocks(con: duckdb.DuckDBPyConnection, columns: tuple[str, ...]) -> Iterator[np.ndarray]:
    """Every row in entity order, in blocks of exactly ``_BLOCK`` rows (the last one shorter)."""
    carry = np.empty((0, len(columns)))
    reader = sql.relation(con, "model/stream", columns=columns).to_arrow_reader(batch_size=_BLOCK)
    for batch in reader:
        part = np.column_stack([c.to_numpy(zero_copy_only=False) for c in batch.columns])
        carry = np.concatenate([carry, part]) if carry.shape[0] else part
        while carry.shape[0] >= _BLOCK:
            yield np.ascontiguousarray(carry[:_BLOCK])
            carry = carry[_BLOCK:]
    if carry.shape[0]:
        yield np.ascontiguousarray(carry)


def _silhouette(
    con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], model: ModelConfig, n_rows: int
) -> float:
    """The silhouette on the rows scikit-learn's ``silhouette_score`` would draw."""
    take = model.metric_sample or n_rows
    rows = np.sort(np.random.RandomState(model.random_state).permutation(n_rows)[:take])
    X, labels = _labelled_rows(con, "model/labeled_rows", columns, rows)
    if len(np.unique(labels)) < 2:
        return float("nan")
    return silhouette_score(X, labels)
