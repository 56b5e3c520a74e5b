"""The scoring query: a run's preprocessing replayed on new rows, and their nearest centroid.

This is the one place that writes it. ``segsql score`` runs it in DuckDB over
its input view, the ``assign`` table macro is made of it (one copy per run the
macro can score with), and ``segsql export-sql`` writes it in another dialect.
A second copy would drift: the three used to disagree on bad input.

It is a sqlglot tree rather than a query file because the run's numbers are
written into it: the impute values, clip bounds, centres, scales, centroids and
99th-percentile distances, each an exact float literal (:func:`number`). With
constants in place there is nothing to join or look up per row, every engine
can run it, and DuckDB runs it fastest: one column per centroid with the
squared distance written out, ``LEAST`` for the nearest, and a ``CASE`` in
segment order for its number (a tie goes to the lowest segment, as
scikit-learn's argmin does).

Bad input fails the query itself, the same way wherever it runs. No engine
shares an ``error()`` function, but every one fails a cast of text that is not
a number, so a failure is ``CAST(CASE WHEN <bad> THEN 'segsql: …' END AS
DOUBLE)``: the message depends on the row, so no engine folds the cast at plan
time (PostgreSQL would reject a constant ``'text'::float8`` while parsing),
and the engine's error quotes the message. Per feature, in this order:

1. a NULL the run cannot impute (its impute rule is ``error``) fails; under
   ``drop`` the row is left out, as in training;
2. NaN or an infinity fails: ``x - x <> 0`` holds for exactly those in every
   engine (DuckDB and PostgreSQL order NaN as equal to itself, so ``x <> x``
   would not do);
3. a value, after imputing, that the transform cannot take fails (``log1p``:
   -1 or less; ``sqrt``: negative).

Every message names the feature column and the reason; :func:`raised` finds
it again in an engine's error text.

A categorical feature is read as its raw column, and each of its indicator
features is rebuilt from the run's saved levels by :func:`indicator` (the
same function the feature step encodes the training rows with): the column
compared as text with each kept level, a string literal that sqlglot escapes
for the dialect. It has no failure: an unseen level and NULL are the
"(other)" group (or no level at all when the run had none).

Each layer reads the columns of the layer below by name: the scaled values
are named twice per centroid in the squared distances, the distances about
K + 1 times each where the nearest is chosen and again for the distance to
the second nearest. An engine that flattens the layers into one expression
per output column substitutes every such name by its whole definition, so
the query grows by a factor at each layer: PostgreSQL (which inlines a CTE
read once and then pulls its subquery up) planned a 20-feature, K = 10 query
to 18 MB of plan text and did not finish in 15 minutes, its JIT compiling
the result. For PostgreSQL the layers the next one names several times are
therefore written with ``OFFSET 0``, the idiom that keeps PostgreSQL from
pulling a subquery up: each layer is computed once per row and the plan stays
a few kilobytes (``bench/README.md``, "Exported query on PostgreSQL"). The
other engines keep a projection apart when merging it would compute an
expression twice (DuckDB, Trino, Spark), and BigQuery does not take an
``OFFSET`` without a ``LIMIT``, so they get the layers as they are.

The entity column comes out under its own name beside the fixed output
columns, so an entity named like one of them (``segment``, ``is_outlier``,
…, in any case) is refused: the rows would carry two columns of one name and
a reader would take the wrong one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from sqlglot import exp

from segsql.errors import DataError, SegsqlError
from segsql.scoring import OUTPUT_COLUMNS
from segsql.scoring.saved import SavedModel

__all__ = [
    "FENCED_DIALECTS",
    "OUTPUT_COLUMNS",
    "indicator",
    "named_table",
    "number",
    "raise_if",
    "raised",
    "replay_query",
]


# the engines that flatten the query's layers unless fenced (see the module's docstring)
FENCED_DIALECTS = frozenset({"postgres"})

# the alias of the rows to score: their columns are always read through it, so that
# a feature named like a macro parameter (``tbl``, ``run``) is still the column
_SOURCE = "segsql_source"


def replay_query(model: SavedModel, source: exp.Table, *, dialect: str = "duckdb") -> exp.Select:
    """The scoring query of ``model`` over ``source``, for the engine ``dialect``.

    ``source`` is a table (:func:`named_table`) or a table function such as DuckDB's
    ``query_table(tbl)``. The query returns the entity column under its own
    name, then segment, segment_name, distance, second_distance, is_outlier,
    one row per input row (but rows left out under the ``drop`` rule), in
    input order where the engine keeps it. ``dialect`` only decides whether
    the layers are fenced (:data:`FENCED_DIALECTS`); the tree is written in any
    dialect. An entity named like an output column is a :class:`DataError`.
    """
    clash = [c for c in OUTPUT_COLUMNS if c.casefold() == model.entity.casefold()]
    if clash:
        raise DataError(
            f"run {model.run_id}'s entity column {model.entity!r} has the name of a scoring output "
            f"column ({', '.join(OUTPUT_COLUMNS)}): rename it in the feature query and run again"
        )
    k = len(model.segments)
    vs = [f"v_{i}" for i in range(len(model.features))]
    xs = [f"x_{i}" for i in range(len(model.features))]
    ds = [f"d_{s}" for s in model.segments]

    source = source.copy()
    source.set("alias", exp.TableAlias(this=_ident(_SOURCE)))
    values = exp.select(
        exp.alias_(_source_col(model.entity), "segsql_entity", quoted=True),
        *(exp.alias_(_value(model, i), vs[i], quoted=True) for i in range(len(vs))),
    ).from_(source)
    if model.impute == "drop":
        values = values.where(
            exp.and_(
                *(exp.Not(this=exp.Is(this=_source_col(f), expression=exp.Null())) for f in model.numeric)
            )
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
    nearest_case = exp.Case()
    for d, s in zip(ds, model.segments, strict=True):
        nearest_case = nearest_case.when(exp.EQ(this=_col(d), expression=least.copy()), exp.Literal.number(s))
    nearest = exp.select(
        _col("segsql_entity"), *(_col(d) for d in ds), exp.alias_(nearest_case, "segment", quoted=True)
    ).from_(_ident("segsql_distances"))

    def by_segment(values: list[exp.Expression]) -> exp.Case:
        case = exp.Case(this=_col("segment"))
        for s, value in zip(model.segments, values, strict=True):
            case = case.when(exp.Literal.number(s), value)
        return case

    distance = exp.Sqrt(this=by_segment([_col(d) for d in ds]))
    second = exp.Sqrt(this=by_segment([_least([_col(d) for d in ds if d != own]) for own in ds]))
    p99 = by_segment([number(v) if v is not None else exp.Null() for v in model.p99])
    names = by_segment([exp.Literal.string(n) if n is not None else exp.Null() for n in model.names])
    return (
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
        .with_(_ident("segsql_scaled"), as_=_fenced(scaled, dialect))
        .with_(_ident("segsql_distances"), as_=_fenced(distances, dialect))
        .with_(_ident("segsql_nearest"), as_=_fenced(nearest, dialect))
    )


def _fenced(layer: exp.Select, dialect: str) -> exp.Select:
    """``layer``, kept a layer of its own where the engine would flatten it into the next one.

    ``OFFSET 0`` changes no row; PostgreSQL does not pull up a subquery that has one,
    and drops the no-op offset from the plan.
    """
    return layer.offset(0, copy=False) if dialect in FENCED_DIALECTS else layer


def named_table(parts: tuple[str, ...]) -> exp.Table:
    """A table named by its parts (``(name,)``, ``(schema, name)`` or ``(catalog, schema, name)``)."""
    if not 1 <= len(parts) <= 3:
        raise SegsqlError(f"--table: too many parts in {'.'.join(parts)!r}")
    *rest, name = parts
    catalog, db = ([None] * (2 - len(rest)) + list(rest))[-2:]
    return exp.table_(name, db=db, catalog=catalog, quoted=True)


def raise_if(branches: Iterable[tuple[exp.Expression, exp.Expression]]) -> exp.Expression:
    """A DOUBLE that is NULL when no condition holds, and fails with the first one's message.

    The portable raise: ``CAST(CASE WHEN c1 THEN 'm1' WHEN c2 THEN 'm2' END AS DOUBLE)``.
    A message is a string expression (a literal, or one built from the row or a
    macro parameter); the engine's conversion error quotes it.
    """
    case = exp.Case()
    for condition, message in branches:
        case = case.when(condition, message)
    return exp.Cast(this=case, to=exp.DataType.build("DOUBLE"))


def raised(text: str) -> str | None:
    """The segsql message inside an engine's error text (from :func:`raise_if`), if there is one.

    DuckDB quotes it as ``Could not convert string '…' to DOUBLE``, PostgreSQL as
    ``invalid input syntax for type double precision: "…"``.

    >>> raised("Conversion Error: Could not convert string 'segsql: feature column a is NaN' to DOUBLE")
    'feature column a is NaN'
    """
    start = min((i for i in (text.find("segsql: "), text.find("segsql.assign: ")) if i >= 0), default=-1)
    if start < 0:
        return None
    rest = text[start:].split(": ", 1)[1]
    for end in ("' to DOUBLE", '"'):
        if (cut := rest.rfind(end)) > 0:
            return rest[:cut]
    return rest


def number(value: float) -> exp.Expression:
    """An exact float literal: the shortest repr that reads back as the same double,
    in exponent form so that every engine reads it as a double, not a decimal."""
    value = float(value)
    if not math.isfinite(value):
        raise SegsqlError(f"the saved model holds a non-finite constant ({value}); cannot write it into SQL")
    text = repr(abs(value))
    if "e" not in text:
        text += "e0"
    literal = exp.Literal.number(text)
    return exp.paren(exp.Neg(this=literal), copy=False) if value < 0 else literal


def indicator(raw: exp.Expression, level: str | None, kept: tuple[str, ...]) -> exp.Expression:
    """The 0/1 indicator of one level of a categorical column, as a DOUBLE (README, "Categorical features").

    The column is compared as text (``CAST(raw AS VARCHAR)``); ``level`` is one of the run's
    kept levels ``kept``, or None for the "(other)" group: every other value, an unseen level
    and NULL. Training (:mod:`segsql.steps.features`) and every replay build it here, so
    that a row is encoded the same way wherever it is scored; the levels are string
    literals that sqlglot escapes for each dialect.
    """
    text = exp.Cast(this=raw, to=exp.DataType.build("VARCHAR"))
    # a DOUBLE everywhere (PostgreSQL reads 1e0 as NUMERIC, and would scale it in NUMERIC)
    one, zero = exp.Literal.number("1"), exp.Literal.number("0")
    if level is not None:
        test: exp.Expression = exp.EQ(this=text, expression=exp.Literal.string(level))
        case = exp.Case().when(test, one).else_(zero)
    elif not kept:
        case = exp.Case().when(exp.true(), one)
    else:
        # a NULL fails both IN and NOT IN, so the ELSE branch takes it: NULL is "(other)"
        test = exp.In(this=text, expressions=[exp.Literal.string(k) for k in kept])
        case = exp.Case().when(test, zero).else_(one)
    return exp.Cast(this=case, to=exp.DataType.build("DOUBLE"))


def _value(model: SavedModel, i: int) -> exp.Expression:
    """Feature ``i`` checked, imputed and transformed (the first steps of queries/preprocess/macros.sql).

    An indicator feature is its level's 0/1 indicator over the categorical column: any
    value is good (an unseen level and NULL are the "(other)" group).
    """
    source = model.source_column(i)
    if source is not None:
        return indicator(_source_col(source), model.levels[i], model.kept(source))
    column = model.features[i]
    raw = exp.Cast(this=_source_col(column), to=exp.DataType.build("DOUBLE"))
    value: exp.Expression = raw
    fill = model.impute_values[i]
    if fill is not None:
        value = exp.Coalesce(this=raw.copy(), expressions=[number(fill)])

    def message(reason: str) -> exp.Literal:
        return exp.Literal.string(f"segsql: feature column {column} {reason}")

    failures: list[tuple[exp.Expression, exp.Expression]] = []
    if fill is None and model.impute != "drop":
        failures.append(
            (
                exp.Is(this=raw.copy(), expression=exp.Null()),
                message(f'is NULL and run {model.run_id}\'s impute rule is "{model.impute}"'),
            )
        )
    difference = exp.Sub(this=raw.copy(), expression=raw.copy())
    failures.append(
        (exp.NEQ(this=difference, expression=exp.Literal.number(0)), message("is NaN or infinite"))
    )
    how = model.transforms[i]
    if how == "log1p":
        failures.append(
            (
                exp.LTE(this=value.copy(), expression=exp.Literal.number(-1)),
                message("is -1 or less, which log1p cannot take"),
            )
        )
    elif how == "sqrt":
        failures.append(
            (
                exp.LT(this=value.copy(), expression=exp.Literal.number(0)),
                message("is negative, which sqrt cannot take"),
            )
        )
    # the failure is NULL on a good row, so COALESCE moves on to the value: each check is
    # written once, which matters where an engine inlines the query's layers into one
    # expression per output column (PostgreSQL), copying every reference to a column below
    checked = exp.Coalesce(this=raise_if(failures), expressions=[value])
    if how == "log1p":
        return exp.Ln(this=exp.Add(this=exp.Literal.number(1), expression=checked))
    if how == "sqrt":
        return exp.Sqrt(this=checked)
    return checked


def _scaled(model: SavedModel, i: int, value: exp.Expression) -> exp.Expression:
    """An imputed, transformed value clipped and scaled (the last steps of the macros).

    ``value`` is never NULL here (a NULL was imputed, its row left out, or the
    query failed), so GREATEST and LEAST clip the same way on every engine, and
    name the value once where a CASE would name it three times.
    """
    low, high = model.clip_low[i], model.clip_high[i]
    if high is not None:
        value = exp.Least(this=value, expressions=[number(high)], ignore_nulls=True)
    if low is not None:
        value = exp.Greatest(this=value, expressions=[number(low)], ignore_nulls=True)
    return exp.Div(
        this=exp.paren(_minus(value, model.centers[i]), copy=False), expression=number(model.scales[i])
    )


def _minus(value: exp.Expression, constant: float) -> exp.Expression:
    """``value - constant``, written ``value + |constant|`` for a negative constant (the same double)."""
    if constant < 0:
        return exp.Add(this=value, expression=number(-constant))
    return exp.Sub(this=value, expression=number(constant))


def _square(term: exp.Expression) -> exp.Expression:
    # t * t, not POWER(t, 2): the same double, and DuckDB's POWER made the whole query 2.5
    # times slower. Naming t twice is cheap here: t is one column minus a constant
    return exp.Mul(this=exp.paren(term, copy=False), expression=exp.paren(term.copy(), copy=False))


def _sum(terms: Iterable[exp.Expression]) -> exp.Expression:
    total: exp.Expression | None = None
    for term in terms:
        total = term if total is None else exp.Add(this=total, expression=term)
    assert total is not None
    return total


def _least(values: list[exp.Expression]) -> exp.Expression:
    # LEAST of one value is not allowed everywhere (Spark). A distance is never NULL (a NULL
    # feature is imputed, its row dropped, or the query fails), so how LEAST treats NULL does
    # not matter; saying it skips them lets sqlglot write a bare LEAST for DuckDB rather than
    # wrap it in a NULL test per row (Snowflake gets LEAST_IGNORE_NULLS).
    if len(values) == 1:
        return values[0]
    return exp.Least(this=values[0], expressions=values[1:], ignore_nulls=True)


def _ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def _col(name: str) -> exp.Column:
    return exp.column(name, quoted=True)


def _source_col(name: str) -> exp.Column:
    return exp.column(name, table=_SOURCE, quoted=True)
