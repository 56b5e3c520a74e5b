"""Write a run's output tables and ``<table>_latest`` views in one transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from . import __version__, sql
from .assign import create_assign_macro
from .config import Config
from .errors import DatabaseError
from .features import Features
from .model import ModelResult
from .naming import Contrast, describe_segments, texts_frame
from .preprocess import Preprocessed
from .profiles import write_profiles
from .testhook import pause_point

__all__ = ["OUTPUT_TABLES", "record_timings", "write_run"]

OUTPUT_TABLES = (
    "runs",
    "k_sweep",
    "scaler",
    "centroids",
    "segments",
    "profiles",
    "segment_summary",
    "projection",
)


@dataclass(frozen=True)
class RunFacts:
    """What the runs row records beyond the model: where and when."""

    started_at: datetime
    timings: dict[str, float]
    warnings: tuple[str, ...]
    sources: dict[str, str]


def attach_labels(con: duckdb.DuckDBPyConnection, model: ModelResult) -> None:
    """Create ``segsql_labels`` (entity, segment, distance) from the model's arrays."""
    if model.labels is None:  # a streamed model labelled the rows in SQL already
        return
    frame = pa.table({
        "segsql_row": np.arange(model.labels.shape[0], dtype=np.int64),
        "segment": model.labels.astype(np.int32),
        "distance": model.distances,
    })  # fmt: skip
    with _registered(con, "segsql_labels_in", frame):
        sql.execute(con, "writeback/labels")


def write_run(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    *,
    features: Features,
    pre: Preprocessed,
    model: ModelResult,
    facts: RunFacts,
    projection: pa.Table | None = None,
) -> int:
    """Append one run to every output table; return its run_id.

    ``projection`` holds the rows of the 2-D map (see :mod:`segsql.projection`).

    Everything happens in one transaction: on any failure it is rolled back and
    the tables and views are exactly as the previous run left them.
    """
    schema = config.schema
    con.execute("BEGIN TRANSACTION")
    try:
        sql.execute(con, "writeback/tables", schema=schema)
        sql.execute(con, "writeback/segments_table", schema=schema, entity=features.entity)
        _check_segments_table(con, schema, features)
        run_id = sql.execute(con, "writeback/next_run_id", schema=schema).fetchall()[0][0]

        _insert(con, schema, "scaler", _scaler_frame(run_id, pre))
        _insert(con, schema, "k_sweep", _sweep_frame(run_id, model))
        sql.execute(
            con, "writeback/segments", {"run_id": run_id}, schema=schema, entity=features.entity
        )
        with _registered(con, "segsql_centroids_in", _centroid_frame(model, pre)):
            sql.execute(con, "writeback/centroids", {"run_id": run_id}, schema=schema)
        write_profiles(con, schema=schema, run_id=run_id, columns=pre.columns)
        rows = sql.execute(con, "profiles/contrasts", {"run_id": run_id}, schema=schema).fetchall()
        texts = describe_segments([Contrast(*row) for row in rows], config=config)
        with _registered(con, "segsql_names_in", texts_frame(texts)):
            sql.execute(con, "profiles/segment_summary", {"run_id": run_id}, schema=schema)
        if projection is not None:
            with _registered(con, "segsql_projection_in", projection):
                sql.execute(con, "writeback/projection", {"run_id": run_id}, schema=schema)
        _insert(con, schema, "runs", _run_frame(run_id, config, features, pre, model, facts))
        for table in OUTPUT_TABLES:
            sql.execute(
                con, "writeback/latest_view",
                table=(schema, table), view=(schema, f"{table}_latest"), runs=(schema, "runs"),
            )  # fmt: skip
        create_assign_macro(con, schema=schema, entity=features.entity, columns=pre.columns)
        pause_point("commit")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    pause_point("committed")
    return run_id


def record_timings(
    con: duckdb.DuckDBPyConnection, config: Config, *, run_id: int, timings: dict[str, float]
) -> None:
    """Store the finished stage timings (seconds) in the run's ``runs.timings``."""
    sql.execute(
        con, "writeback/run_timings", {"run_id": run_id, "timings": _timings_json(timings)},
        schema=config.schema,
    )  # fmt: skip


def _timings_json(timings: dict[str, float]) -> str:
    return json.dumps({k: round(v, 4) for k, v in timings.items()})


def _check_segments_table(con: duckdb.DuckDBPyConnection, schema: str, features: Features) -> None:
    rows = sql.execute(
        con, "writeback/table_columns", {"schema": schema, "table": "segments"}
    ).fetchall()
    entity_columns = [
        (name, type_) for name, type_ in rows if name not in {"run_id", "segment", "distance"}
    ]
    if entity_columns != [(features.entity, features.entity_type)]:
        found = ", ".join(f"{n} {t}" for n, t in entity_columns)
        raise DatabaseError(
            f"{schema}.segments holds entities as ({found}), not "
            f"({features.entity} {features.entity_type}): use another [project] schema or database"
        )


def _insert(con: duckdb.DuckDBPyConnection, schema: str, table: str, frame: pa.Table) -> None:
    with _registered(con, "segsql_frame_in", frame):
        sql.execute(con, "writeback/insert", table=(schema, table), frame="segsql_frame_in")


class _registered:
    """Register an Arrow table under a name for the duration of a block."""

    def __init__(self, con: duckdb.DuckDBPyConnection, name: str, frame: pa.Table):
        self.con, self.name, self.frame = con, name, frame

    def __enter__(self) -> None:
        self.con.register(self.name, self.frame)

    def __exit__(self, *exc: object) -> None:
        self.con.unregister(self.name)


def _scaler_frame(run_id: int, pre: Preprocessed) -> pa.Table:
    rows = [s.__dict__ for s in pre.scalers]
    return pa.Table.from_pylist(
        [{"run_id": run_id, **row} for row in rows],
        schema=pa.schema([
            ("run_id", pa.int64()), ("feature", pa.string()), ("position", pa.int32()),
            ("transform", pa.string()), ("impute_value", pa.float64()), ("clip_low", pa.float64()),
            ("clip_high", pa.float64()), ("center", pa.float64()), ("scale", pa.float64()),
        ]),
    )  # fmt: skip


def _sweep_frame(run_id: int, model: ModelResult) -> pa.Table:
    return pa.Table.from_pylist([{"run_id": run_id, **p.__dict__} for p in model.sweep])


def _centroid_frame(model: ModelResult, pre: Preprocessed) -> pa.Table:
    k, p = model.centers.shape
    return pa.table({
        "segment": np.repeat(np.arange(1, k + 1, dtype=np.int32), p),
        "feature": list(pre.columns) * k,
        "value_scaled": model.centers.reshape(-1),
    })  # fmt: skip


def _run_frame(
    run_id: int,
    config: Config,
    features: Features,
    pre: Preprocessed,
    model: ModelResult,
    facts: RunFacts,
) -> pa.Table:
    row = {
        "run_id": run_id,
        "name": config.project.name,
        "started_at": facts.started_at,
        "finished_at": datetime.now(),
        "status": "success",
        "config_hash": config.config_hash,
        "config": config.text,
        "config_path": str(config.path.resolve()) if config.path else None,
        "entity": features.entity,
        "features": json.dumps(list(pre.columns)),
        "sources": json.dumps(facts.sources),
        "input_rows": features.n_rows,
        "dropped_rows": pre.dropped_rows,
        "sweep_rows": model.sweep_rows,
        "k": model.k,
        "k_choice": model.k_choice,
        "algorithm": config.model.algorithm,
        "scaling": config.preprocess.scaling,
        "impute": config.preprocess.impute,
        "inertia": model.inertia,
        "silhouette": model.silhouette,
        "n_iter": model.n_iter,
        "timings": _timings_json(facts.timings),
        "warnings": json.dumps(list(facts.warnings)),
        "segsql_version": __version__,
    }
    return pa.Table.from_pylist([row])
