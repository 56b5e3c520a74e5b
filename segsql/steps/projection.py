"""The 2-D map: PCA of the scaled matrix, a bounded seeded sample of rows, and the centroids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.config import ModelConfig
from segsql.errors import DataError
from segsql.session import Session
from segsql.steps import guard, matrix

__all__ = ["MAX_POINTS", "STREAMED_MAP_ROWS", "Projection", "build", "project"]

# the map is for the eye, and a chart must stay small whatever the row count
MAX_POINTS = 5000
# rows the PCA is fitted on when the whole matrix is not in memory (the streamed fit)
STREAMED_MAP_ROWS = 100_000


@dataclass(frozen=True)
class Projection:
    """The temp table ``segsql_projection``: the map's points and centroids."""

    relation: str
    rows: int


def build(session: Session, results: Mapping[str, Any]) -> Projection:
    """The map step: PCA of the whole matrix when the fit kept it in memory, else of a seeded
    sample of labelled rows read back from the database. Frees the matrix afterwards."""
    columns = results["preprocess"].columns
    model = session.config.model
    kept = session.matrix
    identities, centers = guard.kept(results)  # [segments] min_size may have merged some
    if kept is not None and kept.labels is not None:
        table = project(kept.X, kept.labels, centers, model, segments=identities)
    else:
        n_rows = results["preprocess"].n_rows
        chosen = matrix.seeded_rows(n_rows, STREAMED_MAP_ROWS, model.random_state)
        rows = chosen if chosen is not None else np.arange(n_rows)
        X, segments = matrix.labelled_rows(session.con, "projection/labelled_rows", columns, rows)
        table = project(X, segments, centers, model, row_numbers=rows, segments=identities)
    session.matrix = None  # the map is the whole matrix's last reader
    coordinates = [table[c].to_numpy() for c in ("pc1", "pc2", "variance_pc1", "variance_pc2")]
    if not all(np.isfinite(c).all() for c in coordinates):
        # cannot happen with the features step's magnitude check; never write NaN as a map
        raise DataError(
            f"the 2-D map of features {', '.join(map(repr, columns))} is not finite: "
            "their scaled values overflow double precision (rescale them)"
        )
    with sql.registered(session.con, "segsql_projection_in", table):
        sql.execute(session.con, "projection/projection")
    session.leave("projection", "segsql_projection")
    return Projection(relation="segsql_projection", rows=table.num_rows)


def project(
    X: np.ndarray,
    labels: np.ndarray,
    centers: np.ndarray,
    config: ModelConfig,
    *,
    row_numbers: np.ndarray | None = None,
    segments: tuple[int, ...] | None = None,
) -> pa.Table:
    """PCA fitted on every row of ``X``; the projections of a sample and of the centroids.

    ``labels`` are the rows' segments and ``centers`` the segment centres, whose
    numbers are ``segments`` (default 1..K: the lifecycle step may keep numbers
    from the previous run). ``X`` is the whole scaled matrix, or (on the
    streamed path) a seeded sample of it whose ``segsql_row`` numbers are
    ``row_numbers``.

    Rows are ``(segsql_row, kind, segment, pc1, pc2, variance_pc1, variance_pc2)``:
    ``kind`` is ``"point"`` for at most :data:`MAX_POINTS` rows drawn with
    ``random_state`` (kept in entity order) and ``"centroid"`` for each segment's
    centre (``segsql_row`` NULL). ``variance_pc*`` is the share of the variance
    each component explains. With one feature the second component is zero.
    """
    n, p = X.shape
    from sklearn.decomposition import PCA

    pca = PCA(n_components=min(2, p), random_state=config.random_state).fit(X)
    chosen = matrix.seeded_rows(n, MAX_POINTS, config.random_state)
    rows = chosen if chosen is not None else np.arange(n)
    points = _two(pca.transform(X[rows]))
    centres = _two(pca.transform(centers))
    ratio = list(pca.explained_variance_ratio_) + [0.0] * (2 - pca.n_components_)
    k = centers.shape[0]
    ids = rows if row_numbers is None else row_numbers[rows]
    count = rows.shape[0] + k
    return pa.table(
        {
            "segsql_row": pa.array(
                np.concatenate([ids, np.zeros(k, dtype=np.int64)]),
                mask=np.arange(count) >= rows.shape[0],
                type=pa.int64(),
            ),
            "kind": ["point"] * rows.shape[0] + ["centroid"] * k,
            "segment": np.concatenate(
                [labels[rows], np.arange(1, k + 1) if segments is None else np.array(segments)]
            ).astype(np.int32),
            "pc1": np.concatenate([points[:, 0], centres[:, 0]]),
            "pc2": np.concatenate([points[:, 1], centres[:, 1]]),
            "variance_pc1": np.full(count, float(ratio[0])),
            "variance_pc2": np.full(count, float(ratio[1])),
        }
    )


def _two(projected: np.ndarray) -> np.ndarray:
    if projected.shape[1] == 2:
        return projected
    return np.column_stack([projected[:, 0], np.zeros(projected.shape[0])])
