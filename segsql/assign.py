"""The SQL interface to scoring: the ``assign`` table macro in the run database.

``SELECT * FROM segsql.assign('new_customers')`` scores any table or view that
holds the entity and the feature columns, with no Python involved. The macro is
(re)created by every write-back, inside its transaction, for that run's entity
and features; its body is the same query files ``segsql score`` runs
(``queries/score/``), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from . import sql

__all__ = ["create_assign_macro"]


def create_assign_macro(
    con: duckdb.DuckDBPyConnection, *, schema: str, entity: str, columns: Sequence[str]
) -> None:
    """Create or replace the table macro ``<schema>.assign(tbl, run := NULL)``."""
    sql.execute(
        con, "score/assign_macro", columns=columns, schema=schema, entity=entity, assign=(schema, "assign")
    )
