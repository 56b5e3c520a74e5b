"""Read a run database: list the runs, or answer a user's SQL query."""

from __future__ import annotations

import duckdb
import polars as pl

from . import sql
from .config import Config
from .connection import connect
from .errors import QueryError

__all__ = ["list_runs", "query"]


def list_runs(config: Config) -> pl.DataFrame:
    """Every run recorded in the config's database, newest first."""
    with connect(config, read_only=True) as con:
        try:
            return sql.relation(con, "history/runs", schema=config.schema).pl()
        except QueryError:
            return pl.DataFrame()


def query(config: Config, text: str, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Run one SQL statement on the config's database (opened read-only)."""
    with connect(config, con, read_only=True) as db:
        try:
            return db.sql(text).pl()
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0], query="query") from None
        except AttributeError:  # a statement with no result (db.sql returns None)
            return pl.DataFrame()
