"""Read a run database: list the runs, or answer a user's SQL query."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from segsql import sql
from segsql.config import Config, as_config
from segsql.connection import connect
from segsql.errors import QueryError

__all__ = ["list_runs", "query"]


def list_runs(config: Config | str | Path, *, con: duckdb.DuckDBPyConnection | None = None) -> pl.DataFrame:
    """Every run recorded in the config's database (or ``con``), newest first."""
    config = as_config(config)
    with connect(config, con, read_only=True) as db:
        try:
            return sql.relation(db, "history/runs", schema=config.schema).pl()
        except QueryError:
            return pl.DataFrame()


def query(
    config: Config | str | Path, text: str, *, con: duckdb.DuckDBPyConnection | None = None
) -> pl.DataFrame:
    """Run one SQL statement on the config's database (opened read-only), or on ``con``."""
    config = as_config(config)
    with connect(config, con, read_only=True) as db:
        try:
            return db.sql(text).pl()
        except duckdb.Error as exc:
            raise QueryError(str(exc).splitlines()[0], query="query") from None
        except AttributeError:  # a statement with no result (db.sql returns None)
            return pl.DataFrame()
