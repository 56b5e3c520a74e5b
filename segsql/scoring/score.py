"""Score new rows with a saved run, in DuckDB SQL: ``segsql score``.

The rows (a CSV / Parquet / JSON file, or a table or view in the run database)
are preprocessed with the run's saved constants and given their nearest
centroid by the scoring query of :mod:`segsql.scoring.replay`, the one the
``assign`` table macro and ``segsql export-sql`` are made of, written for
DuckDB with the run's numbers in it. Python checks the input first, to say
what is wrong with it in one counted line (the query would fail on the same
rows, naming the column, but only on the first bad row it meets), and moves
nothing but the model's handful of constants; the rows stay in DuckDB unless
they are asked for (no ``output`` and no ``into``).
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from segsql import sql
from segsql.config import Config, as_config
from segsql.connection import connect
from segsql.errors import DataError, QueryError, SegsqlError, SourceError
from segsql.scoring.replay import named_table, raised, replay_query
from segsql.scoring.saved import SavedModel, saved_model
from segsql.sources import is_numeric_type, reader_for

__all__ = ["ScoreSummary", "score"]

_OUTPUT_FORMATS = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv"}


@dataclass(frozen=True)
class ScoreSummary:
    """What a scoring that wrote its rows did: how many rows went to each segment."""

    run_id: int
    rows: int
    written_to: str
    segments: pl.DataFrame  # segment, segment_name, rows, outliers


def score(
    config: Config | str | Path,
    *,
    input: str | Path | None = None,
    table: str | None = None,
    run_id: int | None = None,
    output: str | Path | None = None,
    into: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame | ScoreSummary:
    """Score the rows of ``input`` (a file) or ``table`` with run ``run_id`` (default: the latest).

    Returns the scored rows ({entity}, segment, segment_name, distance,
    second_distance, is_outlier) as a Polars frame, or, when they are written to
    ``output`` (a .parquet or .csv file) or ``into`` (a table in the run
    database, replaced if it exists), a :class:`ScoreSummary`. Bad input (a
    missing or non-numeric feature column, a missing categorical column, NULLs
    the run cannot impute, NaN or infinite values, values a transform cannot
    take) is a :class:`DataError` naming the column, and nothing is written. A
    categorical column may hold any value: an unseen level and NULL score as
    its "(other)" group.
    """
    config = as_config(config)
    if (input is None) == (table is None):
        raise SegsqlError("score: give exactly one of an input file or a table")
    if output is not None and into is not None:
        raise SegsqlError("score: give at most one of an output file or a table to write into")
    out_format = _output_format(output) if output is not None else None
    into_name = _table_name(into, "into") if into is not None else None

    with connect(config, con, read_only=into is None) as db:
        if into_name is not None:
            _refuse_own_schema(db, into_name, into=into, schema=config.schema)  # type: ignore[arg-type]
        model = saved_model(db, schema=config.schema, run_id=run_id)
        origin = _register_input(db, config, input, table)
        _check_input(db, model, origin)
        query = replay_query(model, named_table(("segsql_score_input",)))
        try:
            sql.execute(db, "scoring/scored_table", replay=query)
        except QueryError as exc:
            found = raised(exc.reason)
            raise DataError(
                f"{origin}: {found}" if found else f"{origin}: cannot score the rows ({exc.reason})"
            ) from None
        if output is None and into is None:
            return sql.relation(db, "scoring/scored_rows").pl()
        if into_name is not None:
            sql.execute(db, "scoring/into", into=into_name)
            written = ".".join(into_name)
        else:
            written = _copy(db, Path(output), out_format)  # type: ignore[arg-type]
        summary = sql.relation(db, "scoring/summary").pl()
    return ScoreSummary(
        run_id=model.run_id,
        rows=int(summary["rows"].sum()) if summary.height else 0,
        written_to=written,
        segments=summary,
    )


def _output_format(output: str | Path) -> str:
    suffix = Path(output).suffix.lower()
    if suffix not in _OUTPUT_FORMATS:
        raise SegsqlError(f"{output}: the output must end in .parquet, .pq or .csv")
    return _OUTPUT_FORMATS[suffix]


def _table_name(name: str, what: str) -> tuple[str, ...]:
    try:
        return sql.split_name(name)
    except ValueError:
        raise SegsqlError(f"--{what}: not a table name: {name!r}") from None


def _refuse_own_schema(
    con: duckdb.DuckDBPyConnection, parts: tuple[str, ...], *, into: str, schema: str
) -> None:
    """Refuse an ``--into`` table that would land in the output schema, before anything is written.

    The schema holds the run history (``runs``, ``segments``, the ``*_latest`` views,
    the ``assign`` macro): a table of scored rows there would replace one of them or
    sit among them. The name is resolved as DuckDB resolves it, ignoring case as
    DuckDB does: one part is in the current schema; ``a.t`` is in schema ``a`` of
    the current catalog when it has one (or ``a`` is the output schema), otherwise
    in catalog ``a``'s ``main``; ``c.s.t`` is in schema ``s`` of catalog ``c``.
    """
    row = sql.execute(con, "scoring/target_place").fetchone()
    assert row is not None
    catalog, current, schemas, catalogs = row
    folded = {name.casefold() for name in schemas or ()} | {schema.casefold()}
    if len(parts) == 1:
        where = (catalog, current)
    elif len(parts) == 2 and (
        parts[0].casefold() in folded or parts[0].casefold() not in {c.casefold() for c in catalogs or ()}
    ):
        where = (catalog, parts[0])
    elif len(parts) == 2:
        where = (parts[0], "main")
    else:
        where = (parts[0], parts[1])
    if where[0].casefold() == catalog.casefold() and where[1].casefold() == schema.casefold():
        raise SegsqlError(
            f"--into {into}: that table would be in {schema!r}, the schema where segsql keeps its "
            "runs and models ([project] schema); write the scored rows to a table in another "
            "schema, e.g. main.scored"
        )


def _register_input(
    con: duckdb.DuckDBPyConnection, config: Config, input: str | Path | None, table: str | None
) -> str:
    """The temp view ``segsql_score_input`` over the rows to score; returns their name."""
    if table is not None:
        try:
            sql.execute(con, "sources/table", name="segsql_score_input", table=_table_name(table, "table"))
        except QueryError as exc:
            raise SourceError(f"table {table}: {exc.reason}") from None
        return f"table {table}"
    path = str(Path(input).expanduser())  # type: ignore[arg-type]
    if not glob.glob(path) and not Path(path).exists():
        raise SourceError(f"{path}: file not found")
    reader = reader_for(path)
    try:
        sql.execute(con, "sources/file", name="segsql_score_input", reader=reader, path=path)
    except QueryError as exc:
        raise SourceError(f"{path}: cannot read as {reader[5:]} ({exc.reason})") from None
    return path


def _check_input(con: duckdb.DuckDBPyConnection, model: SavedModel, origin: str) -> None:
    """One-line errors naming the column, before anything is computed or written."""
    types = dict(sql.execute(con, "scoring/input_columns").fetchall())
    # a categorical column is read as it is, any type (its levels are compared as text)
    needed = (model.entity, *model.inputs)
    missing = [c for c in needed if c not in types]
    untyped = [c for c in model.numeric if c in types and not is_numeric_type(types[c])]
    if (missing or untyped) and not sql.execute(con, "scoring/row_count").fetchone()[0]:  # type: ignore[index]
        # a header-only CSV types every column VARCHAR, and a zero-byte file has none: the
        # columns are not what is wrong
        raise DataError(f"{origin}: has no rows to score (only a header, or nothing)")
    for column in needed:
        if column not in types:
            kind = (
                "entity column"
                if column == model.entity
                else "categorical column"
                if column in model.categorical
                else "feature column"
            )
            raise DataError(
                f"{origin}: {kind} {column!r} is missing (run {model.run_id} needs "
                f"{', '.join(map(repr, needed))})"
            )
    for column in model.numeric:
        if not is_numeric_type(types[column]):
            raise DataError(f"{origin}: feature column {column!r} is {types[column]}, not numeric")
    if not model.numeric:
        return
    cursor = sql.execute(con, "scoring/checks", columns=model.numeric)
    names = [d[0] for d in cursor.description]
    row = dict(zip(names, cursor.fetchall()[0], strict=True))
    positions = [i for i in range(len(model.features)) if model.source_column(i) is None]
    for j, (i, column) in enumerate(zip(positions, model.numeric, strict=True)):
        nulls, low = row[f"nulls_{j}"], row[f"min_{j}"]
        if nulls and model.impute_values[i] is None and model.impute != "drop":
            raise DataError(
                f"{origin}: feature column {column!r} has {nulls} NULLs and run {model.run_id}'s "
                f'impute rule is "{model.impute}"'
            )
        if row[f"nonfinite_{j}"]:
            raise DataError(
                f"{origin}: feature column {column!r} has {row[f'nonfinite_{j}']} NaN or infinite values"
            )
        floor = model.impute_values[i] if low is None else low
        how = model.transforms[i]
        if floor is not None and ((how == "log1p" and floor <= -1) or (how == "sqrt" and floor < 0)):
            raise DataError(
                f"{origin}: feature column {column!r} has values ({floor}) that {how} cannot take"
            )


def _copy(con: duckdb.DuckDBPyConnection, output: Path, fmt: str) -> str:
    """COPY the scored rows to a temporary file beside ``output``, then rename it into place,
    so a failure leaves no file and no half-written one."""
    output = output.expanduser().resolve()
    if not output.parent.is_dir():
        raise SegsqlError(f"{output}: its folder does not exist")
    if output.is_dir():
        raise SegsqlError(f"{output}: --output is a folder; give the path of a file to write")
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        sql.execute(con, "scoring/copy", path=str(partial), format=fmt)
        os.replace(partial, output)
    except QueryError as exc:
        raise SegsqlError(f"{output}: cannot write ({exc.reason})") from None
    except OSError as exc:  # the rename: the temporary file's name is no business of the user's
        raise SegsqlError(f"{output}: cannot write ({exc.strerror or exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return str(output)
