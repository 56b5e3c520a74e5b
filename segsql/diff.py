"""What changed between two runs: who moved between segments, the lineage events, the drift.

``segsql diff`` reads it from the database (read-only). A run stores its
transitions, lineage and drift against the run it was compared with (its
``previous_run_id``, README "Reruns"); for any other pair of runs the
transitions are computed from the ``segments`` table, and there is no lineage
or drift to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from segsql import sql
from segsql.config import Config, as_config
from segsql.connection import connect
from segsql.errors import DatabaseError, QueryError

__all__ = ["Diff", "diff"]

_TRANSITIONS = {
    "from_segment": pl.Int32,
    "from_name": pl.String,
    "to_segment": pl.Int32,
    "to_name": pl.String,
    "entities": pl.Int64,
    "share": pl.Float64,
}
_LINEAGE = {
    "segment": pl.Int32,
    "name": pl.String,
    "event": pl.String,
    "previous_segment": pl.Int32,
    "previous_name": pl.String,
    "centroid_shift": pl.Float64,
    "members_kept": pl.Float64,
}
_DRIFT = {"feature": pl.String, "measure": pl.String, "value": pl.Float64, "warn": pl.Boolean}


@dataclass(frozen=True)
class Diff:
    """Two runs compared: ``from_run`` (the earlier) and ``to_run``.

    ``transitions``: one row per (from_segment, to_segment) with the entities
    that moved so and their share of the from segment; a NULL segment is an
    entity in one run only (new in ``to_run``, or gone from it). ``matrix``:
    the same counts as a from × to table, one row per from segment (NULL: new),
    one column per to segment (``"gone"``: not in ``to_run``) and ``total``.
    ``lineage`` (each segment's event, its previous segment, centroid shift and
    members kept) and ``drift`` (per feature and for the whole run) are those
    ``to_run`` stored against its ``previous_run_id``: empty unless
    ``from_run`` is that run. ``notes`` says what was computed or is missing.
    """

    from_run: int
    to_run: int
    previous_run_id: int | None
    transitions: pl.DataFrame
    matrix: pl.DataFrame
    lineage: pl.DataFrame
    drift: pl.DataFrame
    computed: bool
    notes: tuple[str, ...]


def diff(
    config: Config | str | Path,
    *,
    from_run: int | None = None,
    to_run: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> Diff:
    """Compare two successful runs of the config's database (or ``con``), read-only.

    ``to_run`` defaults to the latest successful run, ``from_run`` to the run
    ``to_run`` was compared with when it ran (the successful run before it
    when none was): by default, the last two runs.
    """
    config = as_config(config)
    if con is None and config.database == ":memory:":
        raise DatabaseError(
            '[project] database is ":memory:", which keeps no runs to compare: use a database file'
        )
    with connect(config, con, read_only=True) as db:
        runs = _runs(db, config)
        first, second, previous = _pair(config, runs, from_run, to_run)
        params = {"from_run": first, "to_run": second}
        present = {row[0] for row in sql.execute(db, "diff/tables", {"schema": config.schema}).fetchall()}
        moves = pl.DataFrame()
        if "segment_transitions" in present:
            moves = sql.relation(db, "diff/stored_transitions", params, schema=config.schema).pl()
        computed = moves.is_empty()
        if computed:
            entity = runs[second]["entity"]
            moves = sql.relation(db, "diff/transitions", params, schema=config.schema, entity=entity).pl()
        compared = first == previous
        lineage = drift = pl.DataFrame()
        if compared and "segment_lineage" in present:
            lineage = sql.relation(db, "diff/lineage", params, schema=config.schema).pl()
        if compared and "drift" in present:
            drift = sql.relation(db, "diff/drift", params, schema=config.schema).pl()
        names = sql.relation(db, "diff/names", params, schema=config.schema).pl()

    notes = []
    if computed:
        notes.append(f"transitions computed from the segments of runs {first} and {second}")
    if not compared:
        against = f"run {previous}" if previous is not None else "no earlier run"
        notes.append(
            f"lineage and drift are stored only against the run each run was compared with "
            f"(run {second} against {against}), not against run {first}"
        )
    transitions = _named_transitions(moves, names, first, second)
    return Diff(
        from_run=first,
        to_run=second,
        previous_run_id=previous,
        transitions=transitions,
        matrix=_matrix(transitions),
        lineage=_named_lineage(lineage, names, first, second),
        drift=_typed(drift, _DRIFT),
        computed=computed,
        notes=tuple(notes),
    )


def _runs(db: duckdb.DuckDBPyConnection, config: Config) -> dict[int, dict[str, Any]]:
    """The successful runs, by id, oldest first; none when nothing was ever written here."""
    where = f"{config.database} (schema {config.schema})"
    if not sql.execute(db, "history/runs_exists", {"schema": config.schema}).fetchall():
        return {}
    try:
        rows = sql.relation(db, "diff/runs", schema=config.schema).pl()
    except QueryError as exc:
        raise DatabaseError(
            f"{where}: {config.schema}.runs is not the runs table segsql writes ({exc.reason}); "
            "was it changed by hand?"
        ) from None
    return {row["run_id"]: row for row in rows.iter_rows(named=True)}


def _pair(
    config: Config, runs: dict[int, dict[str, Any]], from_run: int | None, to_run: int | None
) -> tuple[int, int, int | None]:
    """(from, to, the to run's previous run): the runs asked for, checked, or the defaults."""
    where = f"{config.database} (schema {config.schema})"
    ids = list(runs)
    if len(ids) < 2:
        found = "none" if not ids else f"only run {ids[0]}"
        raise DatabaseError(f"{where}: a diff needs two successful runs, and there is {found}")
    listed = ", ".join(map(str, ids)) if len(ids) <= 12 else f"{ids[0]} … {ids[-1]}"
    for given, flag in ((from_run, "--from / from_run"), (to_run, "--to / to_run")):
        if given is not None and given not in runs:
            raise DatabaseError(
                f"{where}: run {given} ({flag}) is not a successful run here (the successful runs: {listed})"
            )
    second = to_run if to_run is not None else ids[-1]
    previous = runs[second].get("previous_run_id")
    first = from_run
    if first is None:
        earlier = [i for i in ids if i < second]
        first = previous if previous in runs else (earlier[-1] if earlier else None)
        if first is None:
            raise DatabaseError(
                f"{where}: run {second} is the first successful run, there is none before it to "
                "compare with (give --from / from_run and a later --to / to_run)"
            )
    if first == second:
        raise DatabaseError(f"{where}: --from and --to (from_run, to_run) are the same run, {first}")
    if first > second:
        raise DatabaseError(
            f"{where}: run {first} (--from / from_run) is after run {second} (--to / to_run): "
            "the earlier run comes first"
        )
    return first, second, previous


def _typed(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """``frame`` with exactly ``schema``'s columns and types (an empty frame when none was read)."""
    if frame.is_empty():
        return pl.DataFrame(schema=schema)
    return frame.select(pl.col(name).cast(dtype) for name, dtype in schema.items())


def _names(names: pl.DataFrame, run_id: int, segment: str, name: str) -> pl.DataFrame:
    return names.filter(pl.col("run_id") == run_id).select(
        pl.col("segment").cast(pl.Int32).alias(segment), pl.col("name").alias(name)
    )


def _named_transitions(moves: pl.DataFrame, names: pl.DataFrame, first: int, second: int) -> pl.DataFrame:
    if moves.is_empty():
        return pl.DataFrame(schema=_TRANSITIONS)
    moves = moves.with_columns(pl.col("from_segment", "to_segment").cast(pl.Int32))
    named = moves.join(_names(names, first, "from_segment", "from_name"), on="from_segment", how="left")
    named = named.join(_names(names, second, "to_segment", "to_name"), on="to_segment", how="left")
    return _typed(named, _TRANSITIONS).sort(
        ["from_segment", "to_segment"], nulls_last=True, maintain_order=True
    )


def _named_lineage(lineage: pl.DataFrame, names: pl.DataFrame, first: int, second: int) -> pl.DataFrame:
    if lineage.is_empty():
        return pl.DataFrame(schema=_LINEAGE)
    lineage = lineage.with_columns(pl.col("segment", "previous_segment").cast(pl.Int32))
    named = lineage.join(_names(names, second, "segment", "name"), on="segment", how="left")
    named = named.join(
        _names(names, first, "previous_segment", "previous_name"), on="previous_segment", how="left"
    )
    return _typed(named, _LINEAGE).sort(["segment", "previous_segment"], nulls_last=True, maintain_order=True)


def _matrix(transitions: pl.DataFrame) -> pl.DataFrame:
    """The transitions as a from × to table of entity counts, with row totals.

    One row per from segment in order (NULL, the entities new in the to run,
    last); one column per to segment named by its number, ``gone`` for the
    entities not in the to run, and ``total`` (the from segment's size).
    """
    to_segments = sorted(s for s in transitions["to_segment"].unique().to_list() if s is not None)
    columns = [str(s) for s in to_segments]
    if transitions["to_segment"].is_null().any():
        columns.append("gone")
    keyed = transitions.with_columns(
        pl.col("to_segment").cast(pl.String).fill_null("gone").alias("segsql_to")
    )
    rows = []
    for (segment,), group in keyed.group_by(["from_segment"], maintain_order=True):
        counts = dict(zip(group["segsql_to"].to_list(), group["entities"].to_list(), strict=True))
        rows.append({"from_segment": segment, **{c: counts.get(c, 0) for c in columns}})
    schema: dict[str, Any] = {"from_segment": pl.Int32, **{c: pl.Int64 for c in columns}}
    matrix = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    total = pl.sum_horizontal(columns).cast(pl.Int64) if columns else pl.lit(0, pl.Int64)
    return matrix.with_columns(total.alias("total")).sort("from_segment", nulls_last=True)
