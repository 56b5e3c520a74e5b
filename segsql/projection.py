"""The 2-D map: PCA of the scaled matrix, a bounded seeded sample of rows, and the centroids."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from sklearn.decomposition import PCA

from .config import ModelConfig
from .model import ModelResult
from .stream import segmented_sample

__all__ = ["MAX_POINTS", "STREAMED_MAP_ROWS", "project", "project_run"]

# the map is for the eye, and a chart must stay small whatever the row count
MAX_POINTS = 5000
# rows the PCA is fitted on when the whole matrix is never loaded (segsql.stream)
STREAMED_MAP_ROWS = 100_000


def project_run(
    con: duckdb.DuckDBPyConnection,
    X: np.ndarray | None,
    model: ModelResult,
    columns: tuple[str, ...],
    config: ModelConfig,
    *,
    n_rows: int,
) -> pa.Table:
    """The map of a run: from the whole matrix ``X``, or, on the streamed path (``X`` None),
    from a seeded sample of labelled rows read back from DuckDB."""
    if X is not None:
        return project(X, model.labels, model.centers, config)
    sample, segments, row_numbers = segmented_sample(
        con, columns, config, n_rows=n_rows, size=STREAMED_MAP_ROWS
    )
    return project(sample, segments, model.centers, config, row_numbers=row_numbers)


def project(
    X: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    config: ModelConfig,
    *,
    row_numbers: np.ndarray | None = None,
) -> pa.Table:
    """PCA fitted on every row of ``X``; the projections of a sample and of the centroids.

    ``labels`` are the rows' segments (1..K) and ``centers`` the segment
    centres in segment order. ``X`` is the whole scaled matrix, or (on the
    streamed path) a seeded sample of it whose ``segsql_row`` numbers are
    ``row_numbers``.

    Rows are ``(segsql_row, kind, segment, pc1, pc2, variance_pc1, variance_pc2)``:
    ``kind`` is ``"point"`` for at most :data:`MAX_POINTS` rows drawn with
    ``random_state`` (kept in entity order) and ``"centroid"`` for each segment's
    centre (``segsql_row`` NULL). ``variance_pc*`` is the share of the variance
    each component explains. With one feature the second component is zero.
    """
    n, p = X.shape
    pca = PCA(n_components=min(2, p), random_state=config.random_state).fit(X)
    rng = np.random.RandomState(config.random_state)
    rows = np.sort(rng.choice(n, MAX_POINTS, replace=False)) if n > MAX_POINTS else np.arange(n)
    points = _two(pca.transform(X[rows]))
    centres = _two(pca.transform(centers))
    ratio = list(pca.explained_variance_ratio_) + [0.0] * (2 - pca.n_components_)
    k = centers.shape[0]
    ids = rows if row_numbers is None else row_numbers[rows]
    count = rows.shape[0] + k
    return pa.table({
        "segsql_row": pa.array(np.concatenate([ids, np.zeros(k, dtype=np.int64)]),
                               mask=np.arange(count) >= rows.shape[0], type=pa.int64()),
        "kind": ["point"] * rows.shape[0] + ["centroid"] * k,
        "segment": np.concatenate([labels[rows], np.arange(1, k + 1)]).astype(np.int32),
        "pc1": np.concatenate([points[:, 0], centres[:, 0]]),
        "pc2": np.concatenate([points[:, 1], centres[:, 1]]),
        "variance_pc1": np.full(count, float(ratio[0])),
        "variance_pc2": np.full(count, float(ratio[1])),
    })  # fmt: skip


def _two(projected: np.ndarray) -> np.ndarray:
    if projected.shape[1] == 2:
        return projected
    return np.column_stack([projected[:, 0], np.zeros(projected.shape[0])])
