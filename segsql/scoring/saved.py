"""A run's saved model, read back from the run database for scoring and export.

The model is a handful of rows in ``scaler``, ``centroids``, ``segment_summary``
and ``runs``; :func:`saved_model` finds the run (``queries/scoring/run.sql``)
and brings its numbers into Python as one :class:`SavedModel`
(``queries/scoring/model.sql``), from which :mod:`segsql.scoring.replay`
writes the scoring query with the numbers in it. Nothing is left behind in
the connection, so it can also run inside the write-back's transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import duckdb

from segsql import sql
from segsql.errors import DatabaseError, QueryError

__all__ = ["SavedModel", "saved_model"]

# columns the scoring queries need that databases made by older versions lack
_NEEDED = {"runs": "impute", "segment_summary": "p99_distance"}


@dataclass(frozen=True)
class SavedModel:
    """One run's model: the entity, the features in order, their constants, the centroids.

    Per feature, in the run's order: ``transforms`` (``log1p``, ``sqrt`` or
    ``none``), ``impute_values`` (None when the rule imputes nothing),
    ``clip_low`` / ``clip_high`` (None when not winsorized), ``centers`` and
    ``scales``. ``impute`` is the run's rule (``mean``, ``median``, ``zero``,
    ``drop`` or ``error``; runs made before it was recorded read as
    ``error``). Per segment, in number order: ``centroids`` (scaled space),
    ``names`` and ``p99`` (the 99th-percentile training distance, None for
    runs made before it was recorded).
    """

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
    # per feature: the categorical column an indicator feature encodes and its level (None:
    # the "(other)" group), None for a numeric feature; empty for a run without categoricals
    # (or made before them)
    source_columns: tuple[str | None, ...] = ()
    levels: tuple[str | None, ...] = ()

    def source_column(self, i: int) -> str | None:
        """The categorical column feature ``i`` is an indicator of, or None when it is numeric."""
        return self.source_columns[i] if self.source_columns else None

    @property
    def numeric(self) -> tuple[str, ...]:
        """The numeric feature columns: read from the rows to score as they are."""
        return tuple(f for i, f in enumerate(self.features) if self.source_column(i) is None)

    @property
    def categorical(self) -> tuple[str, ...]:
        """The categorical columns the rows to score must hold (raw, any type), in order."""
        return tuple(dict.fromkeys(c for c in self.source_columns if c is not None))

    def kept(self, column: str) -> tuple[str, ...]:
        """A categorical column's kept levels (its indicators but "(other)"), in order."""
        return tuple(
            level
            for c, level in zip(self.source_columns, self.levels, strict=True)
            if c == column and level is not None
        )

    @property
    def inputs(self) -> tuple[str, ...]:
        """The columns scoring reads besides the entity: numeric features, then categorical columns."""
        return (*self.numeric, *self.categorical)


def saved_model(con: duckdb.DuckDBPyConnection, *, schema: str, run_id: int | None = None) -> SavedModel:
    """The model of ``run_id`` (default: the latest successful run) in ``schema``.

    A database made by an older segsql, a missing or failed run, or model rows
    that do not fit together are a :class:`DatabaseError`.
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
    rows = sql.execute(con, "scoring/run", {"run_id": run_id}, schema=schema).fetchall()
    if not rows:
        what = f"no run {run_id}" if run_id is not None else "no successful run"
        raise DatabaseError(f"{what} in {schema}.runs")
    run, status, entity, features_json, impute = rows[0]
    if status != "success":
        raise DatabaseError(f"run {run} in {schema}.runs did not succeed (status {status!r})")
    features = tuple(json.loads(features_json))
    try:
        cursor = sql.execute(con, "scoring/model", {"run_id": run}, schema=schema)
    except QueryError as exc:
        raise DatabaseError(f"cannot read the model of run {run} in {schema}: {exc.reason}") from None
    names = [d[0] for d in cursor.description]
    row: dict[str, Any] = dict(zip(names, cursor.fetchall()[0], strict=True))
    if tuple(row["features"] or ()) != features or not row["segments"]:
        raise DatabaseError(
            f"cannot read the model of run {run} in {schema}: its scaler or centroids rows "
            "do not match its features"
        )
    source_columns, levels = _levels(con, schema, run, len(features))
    return SavedModel(
        run_id=run,
        entity=entity,
        features=features,
        impute=impute or "error",
        transforms=tuple(row["transforms"]),
        impute_values=tuple(row["impute_values"]),
        clip_low=tuple(row["clip_lows"]),
        clip_high=tuple(row["clip_highs"]),
        centers=tuple(row["centers"]),
        scales=tuple(row["scales"]),
        segments=tuple(row["segments"]),
        centroids=tuple(tuple(c) for c in row["centroids"]),
        names=tuple(row["names"]),
        p99=tuple(row["p99s"]),
        source_columns=source_columns,
        levels=levels,
    )


def _levels(
    con: duckdb.DuckDBPyConnection, schema: str, run_id: int, n: int
) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Per feature, the categorical column and level it encodes; empty for a run with none.

    A scaler table made before categorical features has no such columns: every
    feature of its runs is numeric.
    """
    found = {
        name
        for name, _ in sql.execute(
            con, "writeback/table_columns", {"schema": schema, "table": "scaler"}
        ).fetchall()
    }
    if "source_column" not in found:
        return (), ()
    rows = sql.execute(con, "scoring/levels", {"run_id": run_id}, schema=schema).fetchall()
    if len(rows) != n:
        raise DatabaseError(
            f"cannot read the model of run {run_id} in {schema}: its scaler rows are not its features"
        )
    if all(column is None for column, _ in rows):
        return (), ()
    return tuple(column for column, _ in rows), tuple(level for _, level in rows)
