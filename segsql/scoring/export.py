"""The scoring query for any SQL engine: ``segsql export-sql``.

A run's model is a handful of numbers, so scoring is one standalone query with
those numbers written in: no segsql tables, no functions beyond arithmetic,
``LN``, ``SQRT``, ``LEAST``, ``CASE`` and ``CAST``. It is the query
``segsql score`` and the ``assign`` macro run (:mod:`segsql.scoring.replay`,
a sqlglot tree: every identifier quoted by sqlglot, every constant an exact
float literal), written by sqlglot in the chosen dialect.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from segsql import sql
from segsql.config import Config, as_config
from segsql.connection import connect
from segsql.errors import SegsqlError
from segsql.scoring.replay import named_table, replay_query
from segsql.scoring.rules import case_query
from segsql.scoring.saved import saved_model

__all__ = ["DIALECTS", "DEFAULT_TABLE", "export_sql"]

DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake", "trino")
DEFAULT_TABLE = "segsql_input"


def export_sql(
    config: Config | str | Path,
    *,
    dialect: str = "duckdb",
    table: str | None = None,
    run_id: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    rules: bool = False,
) -> str:
    """The scoring query of run ``run_id`` (default: the latest) over ``table``, in ``dialect``.

    ``table`` (default ``segsql_input``) may be qualified: ``catalog.schema.table``.

    It returns the same columns as ``segsql score``: the entity, segment,
    segment_name, distance, second_distance, is_outlier. Bad input fails the
    query where it runs, with the engine's cast error quoting a message that
    names the column: a NULL the run cannot impute, NaN or an infinity, a value
    the transform cannot take. With the ``drop`` rule a row with a NULL is left
    out. A categorical feature's column is read as it is (any type, compared as
    text with the run's levels): an unseen level and NULL are its "(other)" group.

    With ``rules`` it is instead the run's segment rules (``segment_rules``, README,
    "Segment rules") as one query: ``SELECT <entity>, CASE WHEN rule_1 THEN 1 …
    END AS segment``; a row no rule catches (or with a NULL a rule needs) gets
    a NULL segment.
    """
    config = as_config(config)
    if dialect not in DIALECTS:
        raise SegsqlError(f"--dialect: must be one of {', '.join(DIALECTS)} (got {dialect!r})")
    table = DEFAULT_TABLE if table is None else table
    try:
        parts = sql.split_name(table)
    except ValueError:
        raise SegsqlError(f"--table: not a table name: {table!r}") from None
    with connect(config, con, read_only=True) as db:
        model = saved_model(db, schema=config.schema, run_id=run_id)
        stored = _stored_rules(db, config.schema, model.run_id) if rules else None
    if stored is not None:
        # README, "Segment rules": the segments as the decision tree's rules, not the nearest centroid
        query = case_query(stored, entity=model.entity, source=named_table(parts))
    else:
        query = replay_query(model, named_table(parts), dialect=dialect)
    return query.sql(dialect=dialect, pretty=True) + ";\n"


def _stored_rules(db: duckdb.DuckDBPyConnection, schema: str, run_id: int) -> list[tuple[int, str]]:
    """Run ``run_id``'s rows of ``segment_rules``; a run made before segsql wrote rules has none."""
    has_table = sql.execute(db, "writeback/table_columns", {"schema": schema, "table": "segment_rules"})
    rows = (
        sql.execute(db, "rules/stored", {"run_id": run_id}, schema=schema).fetchall()
        if (has_table.fetchall())
        else []
    )
    if not rows:
        raise SegsqlError(
            f"--rules: run {run_id} has no segment rules (it was made before segsql wrote them): "
            "run segsql again to write them"
        )
    return [(int(segment), str(text)) for segment, text in rows]
