"""Segment profiles, in SQL (names and recommendations: :mod:`segsql.naming`)."""

from __future__ import annotations

import duckdb

from . import sql

__all__ = ["write_profiles"]


def write_profiles(
    con: duckdb.DuckDBPyConnection, *, schema: str, run_id: int, columns: tuple[str, ...]
) -> None:
    """Append this run's ``profiles`` rows, computed in SQL from features and labels."""
    params = {"run_id": run_id} | {f"feature_{i}": c for i, c in enumerate(columns)}
    sql.execute(con, "profiles/profiles", params, columns=columns, schema=schema)
