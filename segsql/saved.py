"""A run's saved model, read back from the run database for scoring and export.

The model is a handful of rows in ``scaler``, ``centroids``, ``segment_summary``
and ``runs``; :func:`saved_model` finds the run and brings them together as
one row (``queries/score/model.sql``), also left behind as the temp table
``segsql_score_model`` that the scoring queries read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from . import sql
from .errors import DatabaseError, QueryError

__all__ = ["SavedModel", "saved_model"]

# columns the scoring queries need that databases made by older versions lack
_NEEDED = {"runs": "impute", "segment_summary": "p99_distance"}


@dataclass(frozen=True)
class SavedModel:
    """One run's model: the entity, the features in order, their constants, the centroids."""

    run_id: int
    entity: str
    features: tuple[str, ...]
    impute: str
    transforms: tuple[str, ...]
    impute_values: tuple[float | None, ...]
    clip_low: tuple[float | None, ...]
    clip_high: tuple[float | None, ...]
    centers: tuple[float, ...]
    scales: tuple[float, ...]
    segments: tuple[int, ...]
    centroids: tuple[tuple[float, ...], ...]
    names: tuple[str | None, ...]
    p99: tuple[float | None, ...]


def saved_model(con: duckdb.DuckDBPyConnection, *, schema: str, run_id: int | None = None) -> SavedModel:
    """The model of ``run_id`` (default: the latest successful run) in ``schema``.

    Leaves the temp tables ``segsql_score_run`` and ``segsql_score_model`` behind
    for the scoring queries.
    """
    where = f"schema {schema!r}"
    for table, column in _NEEDED.items():
        found = [
            name
            for name, _ in sql.execute(
                con, "writeback/table_columns", {"schema": schema, "table": table}
            ).fetchall()
        ]
        if not found:
            raise DatabaseError(f"no segsql runs in {where} of this database; run `segsql run` first")
        if column not in found:
            raise DatabaseError(
                f"{schema}.{table} has no {column} column (made by an older segsql): "
                "run `segsql run` once to upgrade it"
            )
    rows = sql.execute(con, "score/run", {"run_id": run_id}, schema=schema).fetchall()
    if not rows:
        what = f"no run {run_id}" if run_id is not None else "no successful run"
        raise DatabaseError(f"{what} in {schema}.runs")
    run, status, entity, features_json, impute = rows[0]
    if status != "success":
        raise DatabaseError(f"run {run} in {schema}.runs did not succeed (status {status!r})")
    features = tuple(json.loads(features_json))
    sql.execute(con, "score/run_table", {"run_id": run})
    try:
        sql.execute(con, "score/model_table", columns=features, schema=schema)
    except QueryError as exc:
        raise DatabaseError(f"cannot read the model of run {run} in {schema}: {exc}") from None
    cursor = sql.execute(con, "score/model_row")
    names = [d[0] for d in cursor.description]
    row: dict[str, Any] = dict(zip(names, cursor.fetchall()[0], strict=True))
    p = range(len(features))
    return SavedModel(
        run_id=run,
        entity=entity,
        features=features,
        impute=impute or "error",
        transforms=tuple(row[f"transform_{i}"] for i in p),
        impute_values=tuple(row[f"impute_{i}"] for i in p),
        clip_low=tuple(row[f"low_{i}"] for i in p),
        clip_high=tuple(row[f"high_{i}"] for i in p),
        centers=tuple(row[f"center_{i}"] for i in p),
        scales=tuple(row[f"scale_{i}"] for i in p),
        segments=tuple(row["segments"]),
        centroids=tuple(tuple(c) for c in row["centroids"]),
        names=tuple(row["names"]),
        p99=tuple(row["p99s"]),
    )
