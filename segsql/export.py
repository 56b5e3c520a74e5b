"""The scoring query for any SQL engine: ``segsql export-sql``.

A run's model is a handful of numbers, so scoring is one standalone query with
those numbers written in: no segsql tables, no functions beyond arithmetic,
``LN``, ``SQRT``, ``LEAST`` and ``CASE``. The query is built once, as a sqlglot
expression tree (the canonical form: every identifier quoted by sqlglot, every
constant an exact float literal), and sqlglot writes it in each dialect.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
from sqlglot import exp

from . import sql
from .config import Config, load_config
from .connection import connect
from .errors import SegsqlError
from .saved import SavedModel, saved_model

__all__ = ["DIALECTS", "DEFAULT_TABLE", "export_sql", "scoring_query"]

DIALECTS = ("duckdb", "postgres", "spark", "bigquery", "snowflake", "trino")
DEFAULT_TABLE = "segsql_input"


def export_sql(
    config: Config | str | Path,
    *,
    dialect: str = "duckdb",
    table: str | None = None,
    run_id: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> str:
    """The scoring query of run ``run_id`` (default: the latest) over ``table``, in ``dialect``.

    ``table`` (default ``segsql_input``) may be qualified: ``catalog.schema.table``.

    It returns the same columns as ``segsql score``: the entity, segment,
    segment_name, distance, second_distance, is_outlier. A row with a NULL
    feature that the run could not impute gets a NULL segment; with the
    ``drop`` rule it is left out.
    """
    config = config if isinstance(config, Config) else load_config(config)
    if dialect not in DIALECTS:
        raise SegsqlError(f"--dialect: must be one of {', '.join(DIALECTS)} (got {dialect!r})")
    table = DEFAULT_TABLE if table is None else table
    try:
        parts = sql.split_name(table)
    except ValueError:
        raise SegsqlError(f"--table: not a table name: {table!r}") from None
    with connect(config, con, read_only=True) as db:
        model = saved_model(db, schema=config.schema, run_id=run_id)
    return scoring_query(model, parts).sql(dialect=dialect, pretty=True) + ";\n"


def scoring_query(model: SavedModel, table: tuple[str, ...]) -> exp.Select:
    """The canonical scoring query of ``model`` over ``table`` (its name's parts)."""
    k = len(model.segments)
    vs = [f"v_{i}" for i in range(len(model.features))]
    xs = [f"x_{i}" for i in range(len(model.features))]
    ds = [f"d_{s}" for s in model.segments]

    values = exp.select(
        exp.alias_(_col(model.entity), "segsql_entity", quoted=True),
        *(exp.alias_(_value(model, i), vs[i], quoted=True) for i in range(len(vs))),
    ).from_(_table(table))
    if model.impute == "drop":
        values = values.where(
            exp.and_(*(exp.Not(this=exp.Is(this=_col(f), expression=exp.Null())) for f in model.features))
        )
    scaled = exp.select(
        _col("segsql_entity"),
        *(exp.alias_(_scaled(model, i, _col(vs[i])), xs[i], quoted=True) for i in range(len(xs))),
    ).from_(_ident("segsql_values"))

    distances = exp.select(
        _col("segsql_entity"),
        *(
            exp.alias_(
                _sum(_square(_minus(_col(x), c)) for x, c in zip(xs, centroid, strict=True)), d, quoted=True
            )
            for d, centroid in zip(ds, model.centroids, strict=True)
        ),
    ).from_(_ident("segsql_scaled"))

    least = _least([_col(d) for d in ds])
    nearest = exp.select(
        _col("segsql_entity"),
        *(_col(d) for d in ds),
        exp.alias_(
            _case_first(
                [
                    (exp.EQ(this=_col(d), expression=least.copy()), exp.Literal.number(s))
                    for d, s in zip(ds, model.segments, strict=True)
                ]
            ),
            "segment",
            quoted=True,
        ),
    ).from_(_ident("segsql_distances"))

    def by_segment(values: list[exp.Expression]) -> exp.Case:
        case = exp.Case(this=_col("segment"))
        for s, value in zip(model.segments, values, strict=True):
            case = case.when(exp.Literal.number(s), value)
        return case

    distance = exp.Sqrt(this=by_segment([_col(d) for d in ds]))
    second = exp.Sqrt(this=by_segment([_least([_col(d) for d in ds if d != own]) for own in ds]))
    p99 = by_segment([_num(v) if v is not None else exp.Null() for v in model.p99])
    names = by_segment([exp.Literal.string(n) if n is not None else exp.Null() for n in model.names])
    final = (
        exp.select(
            exp.alias_(_col("segsql_entity"), model.entity, quoted=True),
            _col("segment"),
            exp.alias_(names, "segment_name", quoted=True),
            exp.alias_(distance, "distance", quoted=True),
            exp.alias_(second if k > 1 else exp.Null(), "second_distance", quoted=True),
            exp.alias_(exp.GT(this=distance.copy(), expression=p99), "is_outlier", quoted=True),
        )
        .from_(_ident("segsql_nearest"))
        .with_(_ident("segsql_values"), as_=values)
        .with_(_ident("segsql_scaled"), as_=scaled)
        .with_(_ident("segsql_distances"), as_=distances)
        .with_(_ident("segsql_nearest"), as_=nearest)
    )
    return final


def _value(model: SavedModel, i: int) -> exp.Expression:
    """Feature ``i`` imputed and transformed (the first steps of queries/preprocess/macros.sql)."""
    value: exp.Expression = exp.Cast(this=_col(model.features[i]), to=exp.DataType.build("DOUBLE"))
    if model.impute_values[i] is not None:
        value = exp.Coalesce(this=value, expressions=[_num(model.impute_values[i])])
    how = model.transforms[i]
    if how == "log1p":
        return exp.Ln(this=exp.Add(this=exp.Literal.number(1), expression=value))
    if how == "sqrt":
        return exp.Sqrt(this=value)
    return value


def _scaled(model: SavedModel, i: int, value: exp.Expression) -> exp.Expression:
    """An imputed, transformed value clipped and scaled (the last steps of the macros)."""
    # CASE rather than GREATEST / LEAST: engines disagree on how those treat NULL
    low, high = model.clip_low[i], model.clip_high[i]
    if low is not None or high is not None:
        case = exp.Case()
        if low is not None:
            case = case.when(exp.LT(this=value.copy(), expression=_num(low)), _num(low))
        if high is not None:
            case = case.when(exp.GT(this=value.copy(), expression=_num(high)), _num(high))
        value = case.else_(value)
    return exp.Div(
        this=exp.paren(_minus(value, model.centers[i]), copy=False), expression=_num(model.scales[i])
    )


def _minus(value: exp.Expression, constant: float) -> exp.Expression:
    """``value - constant``, written ``value + |constant|`` for a negative constant (the same double)."""
    if constant < 0:
        return exp.Add(this=value, expression=_num(-constant))
    return exp.Sub(this=value, expression=_num(constant))


def _num(value: float) -> exp.Expression:
    """An exact float literal: the shortest repr that reads back as the same double,
    in exponent form so that every engine reads it as a double, not a decimal."""
    value = float(value)
    if not math.isfinite(value):
        raise SegsqlError(f"the saved model holds a non-finite constant ({value}); cannot export it")
    text = repr(abs(value))
    if "e" not in text:
        text += "e0"
    literal = exp.Literal.number(text)
    return exp.paren(exp.Neg(this=literal), copy=False) if value < 0 else literal


def _square(term: exp.Expression) -> exp.Expression:
    return exp.Mul(this=exp.paren(term, copy=False), expression=exp.paren(term.copy(), copy=False))


def _sum(terms) -> exp.Expression:  # noqa: ANN001 - an iterable of expressions
    total: exp.Expression | None = None
    for term in terms:
        total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None
    return total


def _least(values: list[exp.Expression]) -> exp.Expression:
    # LEAST of one value is not allowed everywhere (Spark)
    return values[0] if len(values) == 1 else exp.Least(this=values[0], expressions=values[1:])


def _case_first(branches: list[tuple[exp.Expression, exp.Expression]]) -> exp.Case:
    case = exp.Case()
    for condition, value in branches:
        case = case.when(condition, value)
    return case


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _table(parts: tuple[str, ...]) -> exp.Table:
    *rest, name = parts
    catalog, db = ([None] * (2 - len(rest)) + rest)[-2:] if len(rest) <= 2 else (None, None)
    if len(rest) > 2:
        raise SegsqlError(f"--table: too many parts in {'.'.join(parts)!r}")
    return exp.table_(name, db=db, catalog=catalog, quoted=True)
