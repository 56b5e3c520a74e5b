"""Write a run's output tables and ``<table>_latest`` views in one transaction."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.config import OUTPUT_TABLES, Config
from segsql.errors import DatabaseError, SavedThenInterrupted
from segsql.scoring.macro import create_assign_macro
from segsql.session import Session
from segsql.steps import guard
from segsql.steps.features import Features
from segsql.steps.fit import FitResult
from segsql.steps.preprocess import Preprocessed
from segsql.testhook import pause_point
from segsql.version import __version__

__all__ = ["OUTPUT_TABLES", "Saved", "save"]

# (the list lives in segsql.config, where `[[publish]] tables` is checked against it)


# output tables that steps fill as relations of the same name (see pipeline.STEPS): every one
# from `profiles` on, the ones before it are written here; a relation no step left (no previous
# run to compare with) adds no rows
_LEFT_BY_STEPS = OUTPUT_TABLES[OUTPUT_TABLES.index("profiles") :]


@dataclass(frozen=True)
class Saved:
    """The run as written: its id, and the step timings its ``runs`` row holds."""

    run_id: int
    timings: dict[str, float]


def save(session: Session, results: Mapping[str, Any]) -> Saved:
    """Append one run to every output table from what the steps left; return its run_id.

    Everything happens in one transaction: on any failure it is rolled back and
    the tables and views are exactly as the previous run left them. The
    ``runs`` row is written once, complete: its timings end with this step's
    own time up to that row (the views, the macro and the COMMIT after it are
    not counted).
    """
    started = time.perf_counter()
    con, schema = session.con, session.schema
    features: Features = results["features"]
    pre: Preprocessed = results["preprocess"]
    fit: FitResult = results["model"]
    committed = False
    # the frames handed to DuckDB are taken back after the transaction has ended: taking
    # them back inside a failed transaction fails too ("transaction is aborted") and would
    # replace the real cause (a full disk, a damaged file, a failed insert)
    with _handed(con) as frames:
        con.execute("BEGIN TRANSACTION")
        try:
            sql.execute(con, "writeback/tables", schema=schema)
            labels = session.relation("labels")
            if session.engine != "spark":  # a Spark run's segments go to [spark] output (README, "Spark")
                from segsql.spark.output import check_segments_object

                check_segments_object(con, schema, engine=session.engine)
                sql.execute(
                    con, "writeback/segments_table", schema=schema, entity=features.entity, labels=labels
                )
                _check_segments_table(con, schema, features)
            # (a Spark run's feature query result is here too, staged: segsql.spark.steps.features)
            stored = _prepare_features_table(con, session.config, features)
            run_id = sql.execute(con, "writeback/next_run_id", schema=schema).fetchall()[0][0]
            params = {"run_id": run_id}

            _insert(con, frames, schema, "scaler", _scaler_frame(run_id, pre))
            _insert(con, frames, schema, "k_sweep", _sweep_frame(run_id, fit))
            if session.engine == "spark":
                from segsql.spark.output import write_segments

                write_segments(session, entity=features.entity, labels=labels, run_id=run_id)
            else:
                sql.execute(
                    con, "writeback/segments", params, schema=schema, entity=features.entity, labels=labels
                )
            if stored is not None:  # what the feature query returned, per entity (README, "Output tables")
                sql.execute(
                    con,
                    "writeback/features",
                    params,
                    columns=stored,
                    schema=schema,
                    entity=features.entity,
                    source=_source_entity(session.config),
                )
            identities, centers = guard.kept(results)  # [segments] min_size may have merged some
            frames.enter_context(
                sql.registered(con, "segsql_centroids_in", _centroid_frame(centers, pre, identities))
            )
            sql.execute(con, "writeback/centroids", params, schema=schema)
            # what the profiles, names and map steps left in the session, under the tables' names
            for table in _LEFT_BY_STEPS:
                if not session.has(table):
                    continue
                sql.execute(
                    con, "writeback/relation", params, table=(schema, table), relation=session.relation(table)
                )
            if session.has("segment_transitions"):
                sql.execute(con, "writeback/to_run", params, schema=schema)
            session.timings["writeback"] = time.perf_counter() - started
            timings = dict(session.timings)
            _insert(con, frames, schema, "runs", _run_frame(run_id, session, results, timings))
            for table in OUTPUT_TABLES:
                sql.execute(
                    con,
                    "writeback/latest_view",
                    # unqualified in the body: DuckDB binds a view's names in its own catalog
                    # and schema, so the views work under any name the file is attached as
                    # (`segsql.duckdb` opened in the DuckDB CLI is the catalog `segsql`)
                    table=table,
                    view=(schema, f"{table}_latest"),
                    runs="runs",
                )
            create_assign_macro(con, schema=schema, run_id=run_id)
            pause_point("commit")
            with _interrupt_deferred():
                _commit(con, session.config.database)
                committed = True
        except BaseException as exc:
            if committed:  # a Ctrl-C during the COMMIT, raised once it returned: the run is saved
                raise SavedThenInterrupted(run_id=run_id) from exc
            _rollback(con)
            raise
    try:
        pause_point("committed")
    except KeyboardInterrupt as exc:
        raise SavedThenInterrupted(run_id=run_id) from exc
    return Saved(run_id=run_id, timings=timings)


def _timings_json(timings: dict[str, float]) -> str:
    return json.dumps({k: round(v, 4) for k, v in timings.items()})


def _check_segments_table(con: duckdb.DuckDBPyConnection, schema: str, features: Features) -> None:
    rows = sql.execute(con, "writeback/table_columns", {"schema": schema, "table": "segments"}).fetchall()
    entity_columns = [(name, type_) for name, type_ in rows if name not in {"run_id", "segment", "distance"}]
    if entity_columns != [(features.entity, features.entity_type)]:
        found = ", ".join(f"{n} {t}" for n, t in entity_columns)
        raise DatabaseError(
            f"{schema}.segments holds entities as ({found}), not "
            f"({features.entity} {features.entity_type}): use another [project] schema or database"
        )


def _source_entity(config: Config) -> str:
    """The entity column of the feature query's result: a built-in recipe names it segsql_entity."""
    return "segsql_entity" if config.features.recipe is not None else config.features.entity


def _prepare_features_table(con: duckdb.DuckDBPyConnection, config: Config, features: Features) -> list[str]:
    """Create the features table or add this run's new columns; return the columns the run stores.

    A run stores its numeric features (DOUBLE), its categorical columns as their text
    (VARCHAR, not the indicators the model saw) and its sample weight (DOUBLE), each as the
    feature query returned it. A column the table already holds under another type, or the
    entity under another name or type, is refused here, before any row is written.
    """
    schema = config.schema
    wanted = [(c, "DOUBLE") for c in features.numeric]
    wanted += [(c.column, "VARCHAR") for c in features.categorical]
    if features.weight is not None:
        wanted.append((features.weight, "DOUBLE"))
    where = f"{schema}.features"
    for column, _ in wanted:
        if column.casefold() == "run_id":
            raise DatabaseError(
                f"{where}: a feature column cannot be called {column!r}, the name of the run id "
                "beside it: rename it in the feature query"
            )
    # created with the numeric features in one statement; the columns a run adds, one each
    sql.execute(
        con,
        "writeback/features_table",
        columns=features.numeric,
        schema=schema,
        entity=features.entity,
        source=_source_entity(config),
    )
    rows = sql.execute(con, "writeback/table_columns", {"schema": schema, "table": "features"}).fetchall()
    if rows[1:2] != [(features.entity, features.entity_type)]:
        found = " ".join(rows[1]) if len(rows) > 1 else "no entity column"
        raise DatabaseError(
            f"{where} holds entities as ({found}), not ({features.entity} {features.entity_type}): "
            "use another [project] schema or database"
        )
    existing = {name.casefold(): (name, type_) for name, type_ in rows}
    for column, type_ in wanted:
        name, stored = existing.get(column.casefold(), (column, type_))
        if stored != type_:
            kind = "a categorical column (VARCHAR)" if type_ == "VARCHAR" else "numeric (DOUBLE)"
            raise DatabaseError(
                f"{where} stores {name!r} as {stored}, and this run's {column!r} is {kind}: "
                "rename it in the feature query, or use another [project] schema or database"
            )
    for column, type_ in wanted:
        if column.casefold() not in existing:
            query = "writeback/features_text" if type_ == "VARCHAR" else "writeback/features_number"
            sql.execute(con, query, schema=schema, column=column)
    return [column for column, _ in wanted]


def _insert(
    con: duckdb.DuckDBPyConnection, frames: ExitStack, schema: str, table: str, frame: pa.Table
) -> None:
    name = f"segsql_{table}_in"
    frames.enter_context(sql.registered(con, name, frame))
    sql.execute(con, "writeback/insert", table=(schema, table), frame=name)


@contextmanager
def _handed(con: duckdb.DuckDBPyConnection) -> Iterator[ExitStack]:
    """A stack for the frames handed to DuckDB, closed after the block (and its transaction).

    When the block fails, a failure to take a frame back (a database that a
    full disk or a damaged file left unusable) is not allowed to hide the
    block's own exception.
    """
    stack = ExitStack()
    try:
        yield stack
    except BaseException:
        # the exception in flight is the cause; a failure here only follows from it
        with suppress(duckdb.Error):
            stack.close()
        raise
    stack.close()


def _commit(con: duckdb.DuckDBPyConnection, database: str) -> None:
    """COMMIT; a failure (a full disk, an I/O error) is the cause to report, with the database named."""
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        reason = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
        raise DatabaseError(
            f"{database}: the run could not be committed, nothing was written ({reason})"
        ) from exc


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back after a failure, which stays the failure reported.

    DuckDB ends the transaction itself when its COMMIT fails, and a database a
    full disk made unusable refuses every statement: "no transaction is
    active" then says nothing new, and must not replace the cause.
    """
    with suppress(duckdb.Error):
        con.execute("ROLLBACK")


@contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) until the block ends, so it cannot land between COMMIT and knowing it.

    Only the main thread can set signal handlers; elsewhere the block runs as it is.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if received:
        raise KeyboardInterrupt


def _scaler_frame(run_id: int, pre: Preprocessed) -> pa.Table:
    rows = [s.__dict__ for s in pre.scalers]
    return pa.Table.from_pylist(
        [{"run_id": run_id, **row} for row in rows],
        schema=pa.schema(
            [
                ("run_id", pa.int64()),
                ("feature", pa.string()),
                ("position", pa.int32()),
                ("transform", pa.string()),
                ("impute_value", pa.float64()),
                ("clip_low", pa.float64()),
                ("clip_high", pa.float64()),
                ("center", pa.float64()),
                ("scale", pa.float64()),
                ("source_column", pa.string()),
                ("level", pa.string()),
                ("weight", pa.float64()),
            ]
        ),
    )


def _sweep_frame(run_id: int, fit: FitResult) -> pa.Table:
    return pa.Table.from_pylist([{"run_id": run_id, **p.__dict__} for p in fit.sweep])


def _centroid_frame(centers: np.ndarray, pre: Preprocessed, segments: tuple[int, ...]) -> pa.Table:
    k, p = centers.shape
    return pa.table(
        {
            "segment": np.repeat(np.array(segments, dtype=np.int32), p),
            "feature": list(pre.columns) * k,
            "value_scaled": centers.reshape(-1),
        }
    )


def run_warnings(results: Mapping[str, Any]) -> tuple[str, ...]:
    """What the run must be told, stored in ``runs.warnings`` and printed: the preprocess
    step's (with the features'), the diagnostics', the model's (a warm start made cold), the stability
    step's, then the drift step's."""
    drift, stable, guarded = results.get("drift"), results.get("stability"), results.get("guard")
    return (
        results["preprocess"].warnings
        + (results["diagnostics"].warnings if "diagnostics" in results else ())  # before fitting
        + results["model"].warnings
        + (guarded.warnings if guarded is not None else ())  # [segments] min_size merges
        + (stable.warnings if stable is not None else ())
        + (drift.warnings if drift is not None else ())
    )


def _run_frame(
    run_id: int, session: Session, results: Mapping[str, Any], timings: dict[str, float]
) -> pa.Table:
    config, features, pre, fit = session.config, results["features"], results["preprocess"], results["model"]
    row = {
        "run_id": run_id,
        "name": config.project.name,
        "started_at": session.started_at,
        "finished_at": datetime.now(),
        "status": "success",
        "config_hash": config.config_hash,
        "config": config.text,
        "config_path": str(config.path.resolve()) if config.path else None,
        "entity": features.entity,
        "features": json.dumps(list(pre.columns)),
        "sources": json.dumps(dict(results["sources"])),
        # what the inputs were (segsql.sources.fingerprint_sources), so two runs can be told apart
        "fingerprint": json.dumps(
            {"sources": results["sources"].fingerprint, "feature_rows": features.n_rows}, sort_keys=True
        ),
        "as_of": (
            config.features.rfm.as_of if config.features.recipe == "rfm" and config.features.rfm else None
        ),
        "input_rows": features.n_rows,
        "dropped_rows": pre.dropped_rows,
        "sweep_rows": fit.sweep_rows,
        "sweep_n_init": fit.sweep_n_init,
        "k": fit.k,
        "k_choice": fit.k_choice,
        "algorithm": config.model.algorithm,
        "scaling": config.preprocess.scaling,
        "impute": config.preprocess.impute,
        "weight_column": pre.weight,
        "inertia": fit.inertia,
        "silhouette": fit.silhouette,
        "n_iter": fit.n_iter,
        "timings": _timings_json(timings),
        "warnings": json.dumps(list(run_warnings(results))),
        "segsql_version": __version__,
        "previous_run_id": results["lifecycle"].previous_run_id,
    }
    return pa.Table.from_pylist([row])
