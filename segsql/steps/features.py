"""Run the feature query and check its result: one row per entity, numeric features."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

import duckdb

from segsql import sql
from segsql.config import RESERVED_PREFIX, Config
from segsql.errors import ConfigError, DataError, QueryError
from segsql.session import Session
from segsql.sources import is_numeric_type

__all__ = [
    "apply_rfm",
    "Categorical",
    "Features",
    "OTHER",
    "build",
    "indicator_name",
    "build_features",
    "count_distinct_points",
    "magnitude_limit",
]

# Beyond this many rows, fewer distinct points than K is implausible and the
# DISTINCT over every feature is not worth its cost.
_DISTINCT_CHECK_MAX_ROWS = 1_000_000


# the indicator column of a categorical's "(other)" group is named "<column>=(other)"
OTHER = "(other)"
# more kept levels than this in one categorical column is a mistake (an id, a free text)
MAX_LEVELS = 100


def indicator_name(column: str, level: str | None) -> str:
    """The feature column of one level of a categorical column: ``column=level``.

    >>> indicator_name("Education", "PhD"), indicator_name("Education", None)
    ('Education=PhD', 'Education=(other)')
    """
    return f"{column}={OTHER if level is None else level}"


@dataclass(frozen=True)
class Categorical:
    """One categorical column and its indicator columns (README, "Categorical features and weights").

    ``levels`` are the kept levels by descending share of rows, then by their text,
    and ``None`` last when some row falls in the "(other)" group (a rarer level, or
    NULL). Each level is one DOUBLE 0/1 feature column named :func:`indicator_name`.
    """

    column: str
    levels: tuple[str | None, ...]

    @property
    def kept(self) -> tuple[str, ...]:
        return tuple(level for level in self.levels if level is not None)

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(indicator_name(self.column, level) for level in self.levels)


@dataclass(frozen=True)
class Features:
    """What the feature stage produced: the temp table ``segsql_features``.

    ``columns`` are the numeric features, then each categorical's indicator columns
    (``categorical``, in config order); ``segsql_features`` also holds each categorical
    column as it is (not a feature: what a saved model's scoring query reads). With
    ``[features] weight``, ``weight`` is the user's column and ``segsql_features`` also
    holds it as ``segsql_weight`` (DOUBLE, not a feature).
    """

    entity: str
    entity_type: str
    columns: tuple[str, ...]
    n_rows: int
    null_counts: tuple[int, ...]
    origin: str
    # distinct feature vectors (k-means needs at least K), None when not worth counting
    n_distinct: int | None = None
    # what the run must be told (the RFM recipe's unusable transactions), and the entities
    # the recipe left out because none of their transactions could be used
    warnings: tuple[str, ...] = ()
    dropped_entities: int = 0
    categorical: tuple[Categorical, ...] = ()
    weight: str | None = None

    @property
    def numeric(self) -> tuple[str, ...]:
        """The numeric feature columns (``columns`` less the indicator columns)."""
        return self.columns[: len(self.columns) - sum(len(c.levels) for c in self.categorical)]


def build(session: Session, results: Mapping[str, Any]) -> Features:
    """The features step: ``segsql_features`` from ``[features]``, checked, distinct points counted."""
    features = build_features(session.con, session.config)
    session.leave("features", "segsql_features")
    n_distinct = count_distinct_points(session.con, features.columns, features.n_rows)
    return replace(features, n_distinct=n_distinct)


def build_features(con: duckdb.DuckDBPyConnection, config: Config) -> Features:
    """Create ``segsql_features`` from the configured query and check it.

    Raises a :class:`DataError` naming the offending ids or columns when the
    result is not one row per entity with numeric, finite features.
    """
    f = config.features
    entity = f.entity
    warnings: tuple[str, ...] = ()
    dropped = 0
    if f.recipe == "rfm":
        origin, warnings, dropped = apply_rfm(con, config)
        query_entity = "segsql_entity"
    else:
        if f.file is not None:
            path = config.resolve(f.file)
            origin = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise config.error(
                    f"cannot read feature query {path} ({exc.strerror})", "features.file"
                ) from None
        else:
            origin, text = f"{config.name}: [features] sql", f.sql or ""
        _run_feature_query(con, text, origin=origin)
        query_entity = entity

    described = _describe(con, origin)
    types = dict(described)
    if query_entity not in types:
        raise DataError(
            f"{origin}: the entity column {entity!r} is not in the feature query's result "
            f"(columns: {', '.join(types)})"
        )
    columns = _feature_columns(config, described, query_entity)
    categorical = _categorical(con, config, types, columns, origin)
    weight = _weight_column(config, types)
    columns = [*columns, *(name for c in categorical for name in c.indicators)]
    _check_keys(config, columns, categorical)
    if categorical or weight is not None:
        _create_encoded(
            con, origin, query_entity, columns[: len(columns) - _n(categorical)], categorical, weight
        )
    else:
        _create_features(con, origin, query_entity, columns)
    n_rows, nulls = _check(con, config, columns, origin)
    if weight is not None:
        _check_weight(con, weight, origin)
    return Features(
        entity=entity,
        entity_type=types[query_entity],
        columns=tuple(columns),
        n_rows=n_rows,
        null_counts=tuple(nulls),
        origin=origin,
        warnings=warnings,
        dropped_entities=dropped,
        categorical=categorical,
        weight=weight,
    )


def _n(categorical: tuple[Categorical, ...]) -> int:
    return sum(len(c.levels) for c in categorical)


def _categorical(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    types: dict[str, str],
    numeric: list[str],
    origin: str,
) -> tuple[Categorical, ...]:
    """Each ``[features] categorical`` column's levels: kept (by share of rows) and the other group."""
    f = config.features
    found = []
    for column in f.categorical:
        if column not in types:
            raise ConfigError(
                f"not in the feature query's result (columns: {', '.join(types)})",
                path=config.path or config.name,
                key="features.categorical",
            )
        if column.lower().startswith(RESERVED_PREFIX):
            raise DataError(
                f"{config.name}: categorical column {column!r}: names starting with {RESERVED_PREFIX!r} "
                "are segsql's own; rename it in the feature query"
            )
        try:
            rows = sql.execute(con, "features/levels", column=column).fetchall()
        except QueryError as exc:
            raise QueryError(exc.reason, query=origin) from None
        total = sum(n for _, n in rows)
        kept = tuple(level for level, n in rows if level is not None and n >= f.min_level_share * total)
        if len(kept) > MAX_LEVELS:
            raise DataError(
                f"{origin}: categorical column {column!r} has {len(kept)} levels of at least "
                f"[features] min_level_share = {f.min_level_share} of the rows (at most {MAX_LEVELS} "
                "are allowed): raise min_level_share, or group the levels in the feature query"
            )
        if OTHER in kept:
            raise DataError(
                f"{origin}: categorical column {column!r} has a level {OTHER!r}, the name segsql gives "
                "its group of rare levels: rename it in the feature query"
            )
        levels: tuple[str | None, ...] = kept + (
            (None,) if sum(n for _, n in rows) > sum(n for level, n in rows if level in kept) else ()
        )
        found.append(Categorical(column=column, levels=levels))
    names = [*numeric, *(name for c in found for name in c.indicators), *(c.column for c in found)]
    clash = sorted({name for name in names if names.count(name) > 1})
    if clash:
        raise DataError(
            f"{config.name}: the indicator column {clash[0]!r} of a categorical feature has the name of "
            "another feature column: rename one of them in the feature query"
        )
    return tuple(found)


def _weight_column(config: Config, types: dict[str, str]) -> str | None:
    """``[features] weight``, checked to be a numeric column of the feature query."""
    weight = config.features.weight
    if weight is None:
        return None
    path = config.path or config.name
    if weight not in types:
        raise ConfigError(
            f"{weight!r} is not in the feature query's result (columns: {', '.join(types)})",
            path=path,
            key="features.weight",
        )
    if not is_numeric_type(types[weight]):
        raise ConfigError(
            f"the sample weight column {weight!r} is {types[weight]}, not numeric",
            path=path,
            key="features.weight",
        )
    return weight


def _check_keys(config: Config, columns: list[str], categorical: tuple[Categorical, ...]) -> None:
    """``[features.transforms]``, ``labels`` and ``weights`` name features of this run."""
    f = config.features
    numeric = columns[: len(columns) - _n(categorical)]
    named = [*numeric, *(c.column for c in categorical)]
    # a label may name a numeric feature, a categorical column or one of its indicator columns
    allowed = {"transforms": numeric, "labels": [*named, *columns[len(numeric) :]], "weights": named}
    for section, mapping in (("transforms", f.transforms), ("labels", f.labels), ("weights", f.weights)):
        for column in mapping:
            if column not in allowed[section]:
                raise ConfigError(
                    f"not a feature column (features: {', '.join(named)})",
                    path=config.path or config.name,
                    key=f"features.{section}.{column}",
                )


def _create_encoded(
    con: duckdb.DuckDBPyConnection,
    origin: str,
    entity: str,
    numeric: list[str],
    categorical: tuple[Categorical, ...],
    weight: str | None,
) -> None:
    """``segsql_features`` with each categorical's indicators and the sample weight (a sqlglot tree:
    the levels are literals in it, written by :func:`segsql.scoring.replay.indicator`, the scoring
    query's own encoding)."""
    from sqlglot import exp

    from segsql.scoring.replay import indicator

    def col(name: str) -> exp.Column:
        return exp.column(name, quoted=True)

    def as_double(e: exp.Expression) -> exp.Expression:
        return exp.Cast(this=e, to=exp.DataType.build("DOUBLE"))

    select = [
        exp.alias_(col(entity), "segsql_entity", quoted=True),
        *(exp.alias_(as_double(col(c)), c, quoted=True) for c in numeric),
        *(
            exp.alias_(indicator(col(c.column), level, c.kept), name, quoted=True)
            for c in categorical
            for level, name in zip(c.levels, c.indicators, strict=True)
        ),
        # the raw categorical columns too (not features): a saved model's scoring query, which
        # builds the indicators from its own levels, can then read this table (drift's outliers)
        *(exp.alias_(col(c.column), c.column, quoted=True) for c in categorical),
    ]
    if weight is not None:
        select.append(exp.alias_(as_double(col(weight)), "segsql_weight", quoted=True))
    query = exp.select(*select).from_(exp.to_identifier("segsql_user_features"))
    try:
        sql.execute(con, "features/features_encoded", query=query)
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None


def _check_weight(con: duckdb.DuckDBPyConnection, weight: str, origin: str) -> None:
    """A sample weight is finite and >= 0 in every row, and > 0 in some."""
    n_null, n_nonfinite, n_negative, n_positive = sql.execute(con, "features/weight_checks").fetchall()[0]
    problems = [
        f"{n} {what}"
        for n, what in ((n_null, "NULL"), (n_nonfinite, "NaN or infinite"), (n_negative, "negative"))
        if n
    ]
    if problems:
        raise DataError(
            f"{origin}: the sample weight column {weight!r} ([features] weight) has "
            f"{' and '.join(problems)} values: a weight must be a finite number >= 0"
        )
    if not n_positive:
        raise DataError(
            f"{origin}: the sample weight column {weight!r} ([features] weight) is 0 in every row"
        )


def apply_rfm(
    con: duckdb.DuckDBPyConnection, config: Config, *, source: str | None = None
) -> tuple[str, tuple[str, ...], int]:
    """The RFM recipe: the temp table ``segsql_user_features`` (``segsql_entity`` and the
    features of ``[features.rfm]``, queries/features/rfm.sql) from a transactions relation.

    ``source`` names the relation the transactions are read from: by default the
    ``[features.rfm] source``, which must be a ``[sources.X]`` key registered in ``con``;
    given, any view or table ``con`` can read by that name (new transactions to score), with
    the columns ``[features] entity`` and ``[features.rfm]`` name. Returns the origin to name in
    errors, the warnings to record and how many entities lost every transaction (dropped).
    """
    f = config.features
    rfm = f.rfm
    assert rfm is not None
    if source is None:
        source = rfm.source
        if source not in config.sources:
            raise config.error(f"no source named {source!r}", "features.rfm.source")
    # what a user can fix is the source and the [features.rfm] keys, never our query files
    origin = f"[features.rfm] over source {source!r}"
    query = "features/transactions" + ("_format" if rfm.timestamp_format else "")
    names: dict[str, Any] = {
        "source": source,
        "entity": f.entity,
        "timestamp": rfm.timestamp,
        "time_zone": rfm.time_zone,
        "amount": _amount(rfm.amount),
    }
    names.update({"timestamp_format": rfm.timestamp_format} if rfm.timestamp_format else {})
    _check_timestamp_type(con, config, source)
    try:
        sql.execute(con, query, **names)
        _check_columns(con, "segsql_transactions", config)
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None
    params = {"as_of": rfm.as_of.isoformat(sep=" "), "has_amount": rfm.amount is not None}
    warnings, dropped = _check_transactions(con, config, origin, source=source, params=params)
    try:
        _run_feature_query(
            con,
            sql.render(sql.load("features/rfm"), columns=rfm.feature_names),
            origin=origin,
            params={**params, "trend_days": rfm.trend_days},
        )
    except QueryError as exc:
        # DuckDB's "LINE n:" context would quote our query file, so it is cut
        raise QueryError(exc.reason.split(" LINE ")[0], query=origin) from None
    return origin, warnings, dropped


def _check_timestamp_type(con: duckdb.DuckDBPyConnection, config: Config, source: str) -> None:
    """Refuse a timestamp column whose type says ``timestamp_format`` is missing, or is not needed.

    A number (19970101) is no time without a format that reads its digits; a column the
    source already reads as dates or times has nothing for a format to parse (DuckDB's CSV
    reader detects dates such as 05/01/2024 itself, choosing the order of day and month).
    """
    rfm = config.features.rfm
    assert rfm is not None
    try:
        rows = sql.execute(
            con, "features/transactions_timestamp_type", source=source, timestamp=rfm.timestamp
        )
        type_name = rows.fetchall()[0][1]
    except QueryError:  # no such column: making the transactions view says so
        return
    column = f"the column {rfm.timestamp!r} of source {source!r}"
    if rfm.timestamp_format is None and is_numeric_type(type_name):
        raise config.error(
            f"{column} is {type_name}, not a date or a timestamp; if it holds dates written as digits "
            '(19970101), say how to read them: [features.rfm] timestamp_format = "%Y%m%d"',
            "features.rfm.timestamp",
        )
    if rfm.timestamp_format is not None and (type_name == "DATE" or type_name.startswith("TIMESTAMP")):
        advice = "leave timestamp_format out"
        given = config.sources.get(source)
        if given is not None and given.path is not None and given.format in (None, "csv"):
            advice += (
                ", or, if the source's reader chose the wrong order of day and month, set "
                f"[sources.{source}] date_format = {rfm.timestamp_format!r}"
            )
        raise config.error(
            f"{column} is read as {type_name} already, so there is no text to parse with "
            f"{rfm.timestamp_format!r}: {advice}",
            "features.rfm.timestamp_format",
        )


def _amount(column: str | None) -> Any:
    """The amount as a sqlglot expression: the quoted column, or NULL when the log has none
    (then the recipe has no monetary features, and no transaction lacks an amount)."""
    from sqlglot import exp

    return exp.null() if column is None else exp.column(column, quoted=True)


def _check_transactions(
    con: duckdb.DuckDBPyConnection, config: Config, origin: str, *, source: str, params: dict[str, Any]
) -> tuple[tuple[str, ...], int]:
    """The DuckDB engine's counts of the transactions, judged by :func:`judge_transactions`."""
    try:
        counts = sql.execute(con, "features/transactions_summary", params).fetchall()[0]
    except QueryError as exc:
        raise QueryError(exc.reason.split(" LINE ")[0], query=origin) from None
    return judge_transactions(
        config,
        origin=origin,
        source=source,
        counts=counts,
        count_dropped=lambda: sql.execute(con, "features/unusable_entities", params).fetchall()[0][0],
    )


def judge_transactions(
    config: Config,
    *,
    origin: str,
    source: str,
    counts: tuple[int, int, int, int, datetime],
    count_dropped: Callable[[], int],
) -> tuple[tuple[str, ...], int]:
    """Count what the RFM recipe cannot use; refuse an ``as_of`` before all the data (every engine).

    ``counts`` are the transactions without an entity, those without a
    timestamp, those without an amount, the usable ones and the first usable
    timestamp; ``count_dropped`` counts the entities left with no usable
    transaction (only asked when some transaction is unusable). Returns the
    warning to record (transactions of no entity, without a timestamp, or
    without an amount when the source has an amount column, which no feature
    can count) and how many entities lose every transaction that way, so that
    they are counted as dropped, not lost.
    """
    rfm = config.features.rfm
    assert rfm is not None
    null_entity, null_ts, null_amount, usable, first = counts
    if not usable:
        if null_entity and not null_ts and not null_amount:
            raise DataError(f"{origin}: no transaction has an entity ({config.features.entity!r})")
        if rfm.amount is None:
            raise DataError(f"{origin}: no transaction has a timestamp ({rfm.timestamp!r})")
        raise DataError(
            f"{origin}: no transaction has both a timestamp ({rfm.timestamp!r}) and an amount "
            f"({rfm.amount!r})"
        )
    if first > rfm.as_of:
        raise config.error(
            f"{_when(rfm.as_of)} is before the first transaction in source {source!r} ({_when(first)}): "
            "no entity has a transaction on or before it",
            "features.rfm.as_of",
        )
    if not null_entity and not null_ts and not null_amount:
        return (), 0
    dropped = count_dropped() if null_ts or null_amount else 0
    parts = [
        f"{n} with a NULL {what} ({column!r})"
        for n, what, column in (
            (null_entity, "entity", config.features.entity),
            (null_ts, "timestamp", rfm.timestamp),
            (null_amount, "amount", rfm.amount),
        )
        if n
    ]
    # "2 transactions with a NULL timestamp ('at') and 1 with a NULL amount ('amount')"
    count, rest = parts[0].split(" ", 1)
    text = " and ".join([f"{count} transaction{'' if count == '1' else 's'} {rest}", *parts[1:]])
    verb = "is" if text.startswith("1 ") and len(parts) == 1 else "are"
    lost = ""
    if dropped:
        who = "1 entity has" if dropped == 1 else f"{dropped} entities have"
        lost = f"; {who} no other transaction and gets no segment"
    return (f"[features.rfm] source {source!r}: {text} {verb} left out{lost}",), dropped


def _when(moment: datetime) -> str:
    """A date, or a date and time when it is not midnight.

    >>> _when(datetime(2024, 1, 5)), _when(datetime(2024, 1, 5, 8, 30))
    ('2024-01-05', '2024-01-05 08:30:00')
    """
    return str(moment.date()) if moment.time() == time() else str(moment)


def _run_feature_query(
    con: duckdb.DuckDBPyConnection, text: str, *, origin: str, params: dict | None = None
) -> None:
    try:
        sql.create_user_features(con, text, origin=origin, params=params)
    except QueryError as exc:
        # a CSV row that breaks the sniffed dialect or types is only met here, when
        # the whole file is read: name the file and the row instead of the query
        detail = _csv_detail(exc.__context__)
        if detail is None:
            raise
        raise QueryError(detail, query=origin, sql=exc.sql) from None


def _csv_detail(cause: BaseException | None) -> str | None:
    """``<file>: CSV error on line N: <reason> (row: …)`` from DuckDB's long CSV message.

    >>> _csv_detail(duckdb.InvalidInputException(
    ...     "Invalid Input Error: CSV Error on Line: 7\\nOriginal Line: 6,1,2,3\\n"
    ...     "Expected Number of Columns: 3 Found: 4\\nPossible fixes:\\n  file = a.csv\\n"))
    "a.csv: CSV error on line 7: Expected Number of Columns: 3 Found: 4 (row: '6,1,2,3')"
    """
    if not isinstance(cause, duckdb.Error) or "CSV Error on Line" not in str(cause):
        return None
    lines = [line.strip() for line in str(cause).splitlines()]
    found = {
        key: next((line.split(prefix, 1)[1].strip() for line in lines if prefix in line), None)
        for key, prefix in (("line", "CSV Error on Line:"), ("row", "Original Line:"), ("file", "file = "))
    }
    after = lines.index(next(line for line in lines if "Original Line:" in line)) if found["row"] else 0
    reason = next((line for line in lines[after + 1 :] if line), "")
    row = found["row"] if found["row"] is None or len(found["row"]) <= 80 else found["row"][:77] + "..."
    where = f"{found['file']}: " if found["file"] else ""
    return f"{where}CSV error on line {found['line']}: {reason}" + (f" (row: {row!r})" if row else "")


def _check_columns(con: duckdb.DuckDBPyConnection, view: str, config: Config) -> None:  # noqa: ARG001
    # binding the mapped view reports a missing column with DuckDB's own message
    sql.execute(con, "features/probe", view=view)


def _describe(con: duckdb.DuckDBPyConnection, origin: str) -> list[tuple[str, str]]:
    try:
        rows = sql.execute(con, "features/describe").fetchall()
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None
    return [(name, type_) for name, type_ in rows]


def _feature_columns(config: Config, described: list[tuple[str, str]], entity: str) -> list[str]:
    f = config.features
    types = dict(described)
    if f.columns is not None:
        missing = [c for c in f.columns if c not in types]
        if missing:
            raise DataError(
                f"{config.name}: [features] columns: not in the feature query's result: "
                f"{', '.join(map(repr, missing))} (columns: {', '.join(types)})"
            )
        bad = [f"{c!r} ({types[c]})" for c in f.columns if not is_numeric_type(types[c])]
        if bad:
            raise DataError(
                f"{config.name}: [features] columns: non-numeric feature columns: {', '.join(bad)}"
            )
        columns = list(f.columns)
    else:
        # the categorical columns and the sample weight are not numeric features, whatever their type
        others = {entity, *f.categorical, f.weight}
        columns = [c for c, t in described if c not in others and is_numeric_type(t)]
        if not columns and not f.categorical:
            raise DataError(f"{config.name}: the feature query has no numeric column besides {entity!r}")
    # segsql's own columns beside the features (row numbers, labels) start with this prefix
    reserved = [c for c in columns if c.lower().startswith(RESERVED_PREFIX)]
    if reserved:
        raise DataError(
            f"{config.name}: feature column {reserved[0]!r}: names starting with {RESERVED_PREFIX!r} "
            "are segsql's own; rename it in the feature query"
        )
    return columns


def _create_features(con: duckdb.DuckDBPyConnection, origin: str, entity: str, columns: list[str]) -> None:
    try:
        sql.execute(con, "features/features", columns=columns, entity=entity)
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None


def _check(
    con: duckdb.DuckDBPyConnection, config: Config, columns: list[str], origin: str
) -> tuple[int, list[int]]:
    row = sql.execute(con, "features/checks", columns=columns).fetchall()[0]
    n_rows, null_entities = row[0], row[1]
    per_column = [row[2 + 4 * i : 6 + 4 * i] for i in range(len(columns))]
    if n_rows == 0:
        raise DataError(f"{origin}: the feature query returned no rows")
    if null_entities:
        raise DataError(f"{origin}: {null_entities} rows have a NULL entity ({config.features.entity!r})")
    dups = sql.execute(con, "features/duplicates").fetchall()
    if dups:
        shown = ", ".join(f"{entity!r} ×{n}" for entity, n, _ in dups)
        raise DataError(
            f"{origin}: {dups[0][2]} entities appear more than once "
            f"({config.features.entity!r} must be unique after the feature query), e.g. {shown}"
        )
    nulls: list[int] = []
    limit = magnitude_limit(n_rows, len(columns))
    rfm = config.features.rfm if config.features.recipe == "rfm" else None
    rescale = (
        f"rescale the amount column {rfm.amount!r}"
        if rfm and rfm.amount
        else "rescale it in the feature query"
    )
    for column, (n_null, n_nonfinite, _distinct, magnitude) in zip(columns, per_column, strict=True):
        if n_null == n_rows:
            raise DataError(f"{origin}: feature column {column!r} is all NULL")
        if n_nonfinite:
            raise DataError(f"{origin}: feature column {column!r} has {n_nonfinite} NaN or infinite values")
        if magnitude > limit:
            raise DataError(
                f"{origin}: feature column {column!r} has values as large as {magnitude:.3g}: over "
                f"{n_rows} rows, the sums of squares segsql computes would overflow double precision "
                f"(the limit here is {limit:.3g}); {rescale}"
            )
        nulls.append(n_null)
    return n_rows, nulls


def magnitude_limit(n_rows: int, n_features: int) -> float:
    """The largest absolute feature value whose statistics cannot overflow a double.

    Every statistic of a run is a sum over the rows, at most of squares of
    differences between two values (a variance in the profiles, a squared
    distance over every feature in the fit and the inertia): each term is at
    most ``(2·M)²`` for values up to ``M`` in magnitude, so ``n_rows ·
    n_features · 4 · M²`` must stay below the largest double. Refusing values
    beyond it up front (about 1e150 at a million rows) is what keeps ``inf``
    and NaN out of the scaler, the profiles, the names and the map.

    >>> f"{magnitude_limit(40, 2):.3g}"
    '7.5e+152'
    """
    return math.sqrt(sys.float_info.max / (4.0 * max(n_rows, 1) * max(n_features, 1)))


def count_distinct_points(
    con: duckdb.DuckDBPyConnection, columns: tuple[str, ...], n_rows: int
) -> int | None:
    """How many distinct feature vectors there are, or None when not worth counting."""
    if n_rows > _DISTINCT_CHECK_MAX_ROWS:
        return None
    return sql.execute(con, "features/distinct_points", columns=columns).fetchall()[0][0]
