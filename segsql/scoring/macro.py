"""The SQL interface to scoring: the ``assign`` table macro in the run database.

``SELECT * FROM segsql.assign('new_customers')`` scores any table or view that
holds the entity and the feature columns, with no Python involved;
``assign('new_customers', run := 3)`` scores with an earlier run. Every
write-back (re)creates the macro inside its transaction, for the run it writes.

Its body is the scoring query of :mod:`segsql.scoring.replay`, the one
``segsql score`` and ``segsql export-sql`` run, so the three cannot drift
apart. That query has the run's numbers written in, so the macro holds one
copy of it per run it can score with: every successful run with the new run's
entity and features (another run has other input columns, and a table macro
has one set of output columns)::

    SELECT * FROM (<replay of run 1 over query_table(tbl)>) WHERE coalesce(run, 3) = 1
    UNION ALL SELECT * FROM (<replay of run 3 …>) WHERE coalesce(run, 3) = 3
    UNION ALL SELECT NULL, … FROM (SELECT <raise unless coalesce(run, 3) is 1 or 3>) …

Once DuckDB expands the macro, ``run`` is a constant, so each ``WHERE`` folds
to true or false and the planner drops every branch but one (``EXPLAIN``
shows a single scan of the input): choosing the run costs nothing per row,
where reading the constants from the tables at query time cost a join and
list lambdas per row. The last branch raises, with the portable raise of
:func:`segsql.scoring.replay.raise_if`, when ``run`` names no successful run or
a run with other columns; otherwise it is empty. The price is a macro whose
text grows with the number of runs (a few kilobytes each).
"""

from __future__ import annotations

import json

import duckdb
from sqlglot import exp

from segsql import sql
from segsql.errors import SegsqlError
from segsql.scoring.replay import OUTPUT_COLUMNS, raise_if, replay_query
from segsql.scoring.saved import SavedModel, saved_model

__all__ = ["assign_body", "create_assign_macro"]


def create_assign_macro(con: duckdb.DuckDBPyConnection, *, schema: str, run_id: int) -> None:
    """Create or replace the table macro ``<schema>.assign(tbl, run := NULL)`` for run ``run_id``.

    Called by the write-back inside its transaction, once every row of run
    ``run_id`` (its runs row included) is in; ``run := NULL`` means ``run_id``.
    """
    latest = saved_model(con, schema=schema, run_id=run_id)
    others: list[SavedModel] = []
    unusable: dict[int, str] = {}
    rows = sql.execute(con, "scoring/successful_runs", {"run_id": run_id}, schema=schema).fetchall()
    for other_id, entity, features in rows:
        if other_id == run_id:
            continue
        if entity != latest.entity or tuple(json.loads(features)) != latest.features:
            unusable[other_id] = "has another entity or other features than the latest run"
            continue
        try:
            others.append(saved_model(con, schema=schema, run_id=other_id))
        except SegsqlError:  # a DatabaseError, or a constant SQL cannot hold
            unusable[other_id] = "has a saved model segsql cannot read"
    body = assign_body(latest, others, unusable)
    sql.execute(con, "scoring/assign_macro", assign=(schema, "assign"), body=body)


def assign_body(latest: SavedModel, others: list[SavedModel], unusable: dict[int, str]) -> exp.Query:
    """The macro's body: a branch per run it can score with, picked by ``run``, and the guard.

    ``unusable`` maps the successful runs it cannot score with to why not
    (the rest of a message ``segsql.assign: run N …``).
    """
    chosen = exp.func("coalesce", exp.column("run"), exp.Literal.number(latest.run_id))
    source = exp.Table(this=exp.Anonymous(this="query_table", expressions=[exp.column("tbl")]))
    models = sorted([latest, *others], key=lambda m: m.run_id)
    branches: list[exp.Select] = [
        exp.select("*")
        .from_(replay_query(model, source).subquery(f"segsql_run_{model.run_id}", copy=False))
        .where(exp.EQ(this=chosen.copy(), expression=exp.Literal.number(model.run_id)))
        for model in models
    ]

    def message(text: str, *, with_run: bool = True) -> exp.Expression:
        if not with_run:
            return exp.Literal.string(text)
        as_text = exp.Cast(this=chosen.copy(), to=exp.DataType.build("VARCHAR"))
        return exp.DPipe(this=exp.Literal.string(text), expression=as_text)

    def among(ids: list[int]) -> exp.Expression:
        return exp.In(this=chosen.copy(), expressions=[exp.Literal.number(i) for i in ids])

    failures: list[tuple[exp.Expression, exp.Expression]] = [
        (among([m.run_id for m in models]), exp.Null()),
        *(
            (among([run]), message(f"segsql.assign: run {run} {why}", with_run=False))
            for run, why in sorted(unusable.items())
        ),
        (exp.true(), message("segsql.assign: no successful run ")),
    ]
    check = exp.select(exp.alias_(raise_if(failures), "segsql_check", quoted=True))
    guard = (
        exp.select(*(exp.alias_(exp.Null(), name, quoted=True) for name in (latest.entity, *OUTPUT_COLUMNS)))
        .from_(check.subquery("segsql_guard", copy=False))
        .where(exp.Not(this=exp.Is(this=exp.column("segsql_check", quoted=True), expression=exp.Null())))
    )
    body: exp.Query = branches[0]
    for branch in [*branches[1:], guard]:
        body = exp.union(body, branch, distinct=False)
    return body
