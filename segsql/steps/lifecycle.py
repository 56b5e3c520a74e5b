"""Reruns: the previous run a run is compared with, and the identities of its segments.

A project is rerun every month; the business keys campaigns and names on
segment numbers. This step matches the new segments to the previous
successful run's (same schema, entity and features), so a continuing segment
keeps its number, and records how they relate: ``segment_lineage`` and
``segment_transitions``. See the README, "Reruns".
"""

from __future__ import annotations

import json

import duckdb

from segsql import sql

__all__ = ["previous_run"]


def previous_run(
    con: duckdb.DuckDBPyConnection, *, schema: str, entity: str, features: tuple[str, ...]
) -> int | None:
    """The latest successful run of ``entity`` with exactly ``features`` in ``schema``, or None."""
    if not sql.execute(con, "history/runs_exists", {"schema": schema}).fetchall():
        return None
    row = sql.execute(
        con,
        "lifecycle/previous_run",
        {"entity": entity, "features": json.dumps(list(features))},
        runs=(schema, "runs"),
    ).fetchall()
    return None if row[0][0] is None else int(row[0][0])
