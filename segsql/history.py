"""Read a run database: list the runs, or answer a user's SQL query."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import polars as pl

from segsql import sql
from segsql.config import Config, as_config
from segsql.connection import connect, read_only_transaction
from segsql.errors import DatabaseError, QueryError

__all__ = ["as_frame", "list_runs", "query"]


def list_runs(config: Config | str | Path, *, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Every run recorded in the config's database (or ``con``), newest first."""
    config = as_config(config)
    with connect(config, con, read_only=True) as db:
        try:
            return sql.relation(db, "history/runs", schema=config.schema).pl()
        except QueryError as exc:
            # no runs table: nothing was ever written here; a runs table that cannot be
            # read (a column dropped, a view of something else) is not "no runs"
            if not sql.execute(db, "history/runs_exists", {"schema": config.schema}).fetchall():
                return pl.DataFrame()
            raise DatabaseError(
                f"{config.database}: {config.schema}.runs is not the runs table segsql writes, so the "
                f"runs cannot be listed ({exc.reason}); was it changed by hand?"
            ) from None


def query(
    config: Config | str | Path, text: str, *, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Run one SQL statement on the config's database, read-only, or on ``con``.

    Read-only in fact, by DuckDB's own means rather than by reading the SQL: the
    database is attached read-only and the connection sandboxed (no file read or
    written, no database attached, no extension installed or loaded, no setting
    changed: :func:`segsql.connection.connect`). A caller's connection is not
    reconfigured: there the statement must be a SELECT, run in a read-only
    transaction. More than one statement is refused, as DuckDB's parser counts them.
    """
    config = as_config(config)
    with connect(config, con, read_only=True, sandbox=True) as db:
        try:
            statements = db.extract_statements(text)
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0], query="query") from None
        if len(statements) != 1:
            raise QueryError(f"the query must be one SQL statement (found {len(statements)})", query="query")
        statement = statements[0]
        if con is None:
            return _result(db, statement)
        if statement.type != duckdb.StatementType.SELECT:
            raise QueryError(
                "on a caller's connection (con=) the query must be a SELECT, which runs read-only "
                f"(found {statement.type.name})",
                query="query",
            )
        with read_only_transaction(db):
            return _result(db, statement)


def _result(db: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> pl.DataFrame:
    try:
        relation = db.sql(statement)
        # a statement with no result (db.sql returns None)
        return pl.DataFrame() if relation is None else as_frame(relation)
    except duckdb.PermissionException as exc:
        raise QueryError(
            f"{str(exc).splitlines()[0]} (segsql query is read-only: it reads the run database, "
            "and no file, other database or extension)",
            query="query",
        ) from None
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0], query="query") from None


# types Polars cannot hold (it refuses INTERVAL and UNION), alone or inside a list, struct or map
_NOT_POLARS = re.compile(r"\bINTERVAL\b|\bUNION\(")
# dates inside a list, struct or map, which Python may not be able to show either: text too
_NESTED_DATE = re.compile(r"(?=.*(?:\[|\bSTRUCT\(|\bMAP\()).*\b(?:DATE|TIMESTAMP)")
# the dates and times Python can show (years 1 to 9999), per Polars' physical unit
_DAYS = (-719_162, 2_932_896)
_SECONDS = (-62_135_596_800, 253_402_300_799)
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


def as_frame(relation: duckdb.DuckDBPyRelation) -> pl.DataFrame:
    """A query's result as Polars, for any column type DuckDB has.

    A column Polars cannot hold (INTERVAL, UNION, or a list, struct or map of
    one) becomes DuckDB's text of it, so ``SELECT INTERVAL 3 DAY`` gives the
    string ``3 days``; so does a date or timestamp column holding a value
    Python cannot show (``infinity``, a year beyond 9999), and a list, struct
    or map holding dates.
    """
    odd = [
        name
        for name, type_ in zip(relation.columns, relation.types, strict=True)
        if _NOT_POLARS.search(str(type_)) or _NESTED_DATE.match(str(type_))
    ]
    frame = _as_text(relation, odd).pl()
    beyond = [name for name in frame.columns if _beyond_python(frame[name])]
    return _as_text(relation, odd + beyond).pl() if beyond else frame


def _as_text(relation: duckdb.DuckDBPyRelation, names: list[str]) -> duckdb.DuckDBPyRelation:
    if not names:
        return relation
    text = duckdb.sqltype("VARCHAR")
    return relation.select(
        *(
            duckdb.ColumnExpression(name).cast(text).alias(name)
            if name in names
            else duckdb.ColumnExpression(name)
            for name in relation.columns
        )
    )


def _beyond_python(column: pl.Series) -> bool:
    """Whether a date or datetime column holds a value Python has no date for (Polars panics on it)."""
    if column.dtype == pl.Date:
        low, high = _DAYS
    elif isinstance(column.dtype, pl.Datetime):
        factor = _PER_SECOND[column.dtype.time_unit or "us"]
        low, high = _SECONDS[0] * factor, _SECONDS[1] * factor
    else:
        return False
    physical = column.to_physical().drop_nulls()
    return not physical.is_empty() and bool(physical.min() < low or physical.max() > high)  # type: ignore[operator]
