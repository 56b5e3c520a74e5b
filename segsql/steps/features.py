"""Run the feature query and check its result: one row per entity, numeric features."""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any

import duckdb

from segsql import sql
from segsql.config import RESERVED_PREFIX, Config
from segsql.errors import ConfigError, DataError, QueryError
from segsql.session import Session
from segsql.sources import is_numeric_type

__all__ = ["Features", "build", "build_features", "count_distinct_points", "magnitude_limit"]

# Beyond this many rows, fewer distinct points than K is implausible and the
# DISTINCT over every feature is not worth its cost.
_DISTINCT_CHECK_MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Features:
    """What the feature stage produced: the temp table ``segsql_features``."""

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
        assert f.rfm is not None
        # what a user can fix is the source and the [features.rfm] keys, never our query files
        origin = f"[features.rfm] over source {f.rfm.source!r}"
        if f.rfm.source not in config.sources:
            raise config.error(f"no source named {f.rfm.source!r}", "features.rfm.source")
        try:
            sql.execute(
                con,
                "features/transactions",
                source=f.rfm.source,
                entity=entity,
                timestamp=f.rfm.timestamp,
                amount=f.rfm.amount,
                time_zone=f.rfm.time_zone,
            )
            _check_columns(con, "segsql_transactions", config)
        except QueryError as exc:
            raise QueryError(exc.reason, query=origin) from None
        warnings, dropped = _check_transactions(con, config, origin)
        params = {"as_of": f.rfm.as_of.isoformat(sep=" ")}
        try:
            _run_feature_query(con, sql.load("features/rfm"), origin=origin, params=params)
        except QueryError as exc:
            # DuckDB's "LINE n:" context would quote our query file, so it is cut
            raise QueryError(exc.reason.split(" LINE ")[0], query=origin) from None
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
    _create_features(con, origin, query_entity, columns)
    n_rows, nulls = _check(con, config, columns, origin)
    return Features(
        entity=entity,
        entity_type=types[query_entity],
        columns=tuple(columns),
        n_rows=n_rows,
        null_counts=tuple(nulls),
        origin=origin,
        warnings=warnings,
        dropped_entities=dropped,
    )


def _check_transactions(
    con: duckdb.DuckDBPyConnection, config: Config, origin: str
) -> tuple[tuple[str, ...], int]:
    """Count what the RFM recipe cannot use; refuse an ``as_of`` before all the data.

    Returns the warning to record (transactions without a timestamp or an
    amount, which no feature can count) and how many entities lose every
    transaction that way, so that they are counted as dropped, not lost.
    """
    rfm = config.features.rfm
    assert rfm is not None
    try:
        null_ts, null_amount, usable, first = sql.execute(con, "features/transactions_summary").fetchall()[0]
    except QueryError as exc:
        raise QueryError(exc.reason.split(" LINE ")[0], query=origin) from None
    if not usable:
        raise DataError(
            f"{origin}: no transaction has both a timestamp ({rfm.timestamp!r}) and an amount "
            f"({rfm.amount!r})"
        )
    if first > rfm.as_of:
        raise config.error(
            f"{_when(rfm.as_of)} is before the first transaction in source {rfm.source!r} ({_when(first)}): "
            "no entity has a transaction on or before it",
            "features.rfm.as_of",
        )
    if not null_ts and not null_amount:
        return (), 0
    dropped = sql.execute(con, "features/unusable_entities").fetchall()[0][0]
    parts = [
        f"{n} with a NULL {what} ({column!r})"
        for n, what, column in ((null_ts, "timestamp", rfm.timestamp), (null_amount, "amount", rfm.amount))
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
    return (f"[features.rfm] source {rfm.source!r}: {text} {verb} left out{lost}",), dropped


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
        columns = [c for c, t in described if c != entity and is_numeric_type(t)]
        if not columns:
            raise DataError(f"{config.name}: the feature query has no numeric column besides {entity!r}")
    # segsql's own columns beside the features (row numbers, labels) start with this prefix
    reserved = [c for c in columns if c.lower().startswith(RESERVED_PREFIX)]
    if reserved:
        raise DataError(
            f"{config.name}: feature column {reserved[0]!r}: names starting with {RESERVED_PREFIX!r} "
            "are segsql's own; rename it in the feature query"
        )
    for section, mapping in (("transforms", f.transforms), ("labels", f.labels)):
        for column in mapping:
            if column not in columns:
                raise ConfigError(
                    f"not a feature column (features: {', '.join(columns)})",
                    path=config.path or config.name,
                    key=f"features.{section}.{column}",
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
    rescale = f"rescale the amount column {rfm.amount!r}" if rfm else "rescale it in the feature query"
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
