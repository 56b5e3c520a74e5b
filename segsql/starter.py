"""Write a starter config for a data file: `segsql init DATAFILE`.

A table of entities (one row each, a unique id) gets a config of its numeric
columns, and of its text columns with few values as categorical features. A
transactions log (an id that repeats, a date column, maybe an amount) gets a
config of the RFM recipe instead, which turns it into one row per entity.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import tomli_w

from segsql import sql
from segsql.config import config_from_text
from segsql.errors import QueryError, SegsqlError, SourceError
from segsql.sources import is_numeric_type, reader_for
from segsql.steps.diagnostics import FeatureDiagnosis, diagnose_columns
from segsql.steps.features import build_features

__all__ = ["init_config"]

_ID_NAME = re.compile(r"(^id$|_id$|^id_|id$|^key$|_key$|number$|_no$|^code$)", re.IGNORECASE)
# an id that names a customer rather than an order, a line or a store: the entity of a log
_CUSTOMER_NAME = re.compile(
    r"(customer|client|user|member|account|buyer|shopper|person|patient|subscriber|guest|visitor|cust)",
    re.IGNORECASE,
)
# a numeric column of a transactions log that holds its amount
_AMOUNT_NAME = re.compile(
    r"(amount|amt|value|price|total|revenue|sales|spend|monetary|paid|payment|cost|turnover|dollar"
    r"|euro|eur$|usd|gbp|sum)",
    re.IGNORECASE,
)
# a column name that says it holds a date (preferred when a log has several date columns)
_DATE_NAME = re.compile(r"(date|time|day|_at$|^at$|^ts$|_ts$|^dt|_dt$)", re.IGNORECASE)
_NATIVE_DATES = re.compile(r"^(DATE|TIMESTAMP)")
_INTEGER = re.compile(r"^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$")
_FLOATING = re.compile(r"^(FLOAT|DOUBLE|REAL|DECIMAL)")
# the forms of text dates init recognises, tried in this order (None: ISO, which DuckDB reads by
# itself); a form must fit every value of the column. Slashes are month first, as in the US
# (12/31/2010), unless a value shows otherwise; dashes and dots are day first (31-12-2010).
_TEXT_DATES: tuple[str | None, ...] = (
    None,
    "%Y%m%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%d-%m-%Y",
    "%m-%d-%Y",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%d-%m-%Y %H:%M",
    "%d.%m.%Y %H:%M",
)
# a text column with at most this many distinct values (and values shared by rows) is proposed
# as a categorical feature; more are likely names, ids or free text
MAX_CATEGORICAL_LEVELS = 20


def init_config(datafile: str | Path, *, output: str | Path | None = None, force: bool = False) -> Path:
    """Inspect ``datafile`` and write ``<stem>.toml`` beside it (or at ``output``).

    The entity is the first column whose name looks like an id and whose
    values are unique (else the first unique column); the features are the
    other numeric columns. Returns the path written.
    """
    datafile = Path(datafile)
    if not datafile.exists():
        raise SourceError(f"{datafile}: file not found")
    target = Path(output) if output else datafile.with_suffix(".toml")
    if target.exists() and not force:
        raise SegsqlError(f"{target}: already exists (use --force to overwrite)")
    con = duckdb.connect()
    log: _Log | None = None
    try:
        sql.execute(con, "starter/time_zone")
        sql.execute(
            con,
            "sources/file",
            name="data",
            reader=reader_for(str(datafile)),
            path=str(datafile.resolve()),
        )
        # a name holding a NUL character cannot be written in SQL (sql.quote_ident): such a
        # column is neither the entity nor a feature, and the config leaves it out of `columns`
        columns = [c for c in sql.execute(con, "starter/profile_columns").fetchall() if "\x00" not in c[0]]
        n_rows = sql.execute(con, "starter/row_count").fetchall()[0][0]
        distinct = {
            name: sql.execute(con, "starter/distinct_count", column=name).fetchall()[0][0]
            for name, _ in columns
        }
        unique = [name for name, _ in columns if distinct[name] == n_rows]
        entity = next((c for c in unique if _ID_NAME.search(c)), unique[0] if unique else None)
        if n_rows:
            log = _transactions_log(con, columns, distinct, n_rows, unique)
        if log is not None:
            text = _render_log(datafile, target, log, con)
        categorical = _categorical(columns, distinct, n_rows, entity)
        numeric = [name for name, type_ in columns if name != entity and is_numeric_type(type_)]
        # the run's diagnostics (README, "Diagnostics"), each column measured raw and after log1p
        diagnosed = (
            diagnose_columns(con, "data", numeric, ["log1p"] * len(numeric))
            if n_rows and numeric and log is None
            else ()
        )
    except SegsqlError as exc:
        raise SourceError(
            f"{datafile}: cannot read ({exc.reason if isinstance(exc, QueryError) else exc})"
        ) from None
    finally:
        con.close()
    if n_rows == 0:
        raise SourceError(f"{datafile}: the file has no rows")
    if log is not None:
        target.write_text(text, encoding="utf-8")
        return target
    if entity is None:
        raise SourceError(
            f"{datafile}: no column has a unique value per row to use as the entity, and it is not a "
            "transactions log init recognises (an id that repeats, such as customer_id, and a date column)"
        )
    if not numeric and not categorical:
        raise SourceError(f"{datafile}: no numeric column to segment on besides {entity!r}")
    choices = _choices(diagnosed, categorical)
    if not choices.features and not categorical:
        raise SourceError(
            f"{datafile}: every numeric column besides {entity!r} is constant: nothing to segment on"
        )
    target.write_text(_render(datafile, target, entity, choices), encoding="utf-8")
    return target


@dataclass(frozen=True)
class _Log:
    """A transactions log: the entity that repeats, its date column (and the form of its dates),
    its amount column if it has one, and the day after its last transaction."""

    entity: str
    timestamp: str
    timestamp_format: str | None
    amount: str | None
    as_of: date
    rows: int
    entities: int


def _transactions_log(
    con: duckdb.DuckDBPyConnection,
    columns: list[tuple[str, str]],
    distinct: dict[str, int],
    n_rows: int,
    unique: list[str],
) -> _Log | None:
    """The log the file is, or None when it is a table of entities.

    A log has an id column that repeats (its name says id, key, code or number,
    or names a customer, a client, a user …) and a date column. A file with a
    unique id as well is a table of entities, unless only the repeating id names
    a customer (a table of orders: order_id unique, customer_id repeating).
    """
    types = dict(columns)
    repeated = [
        name
        for name, type_ in columns
        if 1 < distinct[name] < n_rows
        and (_INTEGER.match(type_) or type_ == "VARCHAR")
        and (_ID_NAME.search(name) or _CUSTOMER_NAME.search(name))
    ]
    if not repeated:
        return None
    entity = next((c for c in repeated if _CUSTOMER_NAME.search(c)), repeated[0])
    unique_ids = [c for c in unique if _ID_NAME.search(c)]
    if unique_ids and not (_CUSTOMER_NAME.search(entity) and not any(map(_CUSTOMER_NAME.search, unique_ids))):
        return None
    dates = _date_columns(con, [(n, t) for n, t in columns if n != entity])
    if not dates:
        return None
    timestamp, form = next(((n, f) for n, f in dates if _DATE_NAME.search(n)), dates[0])
    amounts = [
        name
        for name, type_ in columns
        if name not in (entity, timestamp) and is_numeric_type(type_) and not _ID_NAME.search(name)
    ]
    amount = next((c for c in amounts if _AMOUNT_NAME.search(c)), None)
    if amount is None:
        floating = [c for c in amounts if _FLOATING.match(types[c])]
        amount = floating[0] if len(floating) == 1 else None
    last = sql.execute(con, "starter/last_date", {"format": form}, column=timestamp).fetchall()[0][0]
    return _Log(
        entity=entity,
        timestamp=timestamp,
        timestamp_format=form,
        amount=amount,
        as_of=last + timedelta(days=1),
        rows=n_rows,
        entities=distinct[entity],
    )


def _date_columns(
    con: duckdb.DuckDBPyConnection, columns: list[tuple[str, str]]
) -> list[tuple[str, str | None]]:
    """The columns holding dates, in file order, each with the strptime format its values need
    (None: DuckDB reads them as they are): DATE and TIMESTAMP columns, integers written as
    YYYYMMDD, and text in one of the forms of :data:`_TEXT_DATES`, the first that fits every value."""
    tried: list[tuple[str, str | None]] = []
    for name, type_ in columns:
        if _NATIVE_DATES.match(type_):
            tried.append((name, None))
        elif _INTEGER.match(type_):
            tried.append((name, "%Y%m%d"))
        elif type_ == "VARCHAR":
            tried += [(name, form) for form in _TEXT_DATES]
    if not tried:
        return []
    params = {f"format_{i}": form for i, (_, form) in enumerate(tried)}
    cursor = sql.execute(con, "starter/date_formats", params, columns=[name for name, _ in tried])
    row = dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0], strict=True))
    found: dict[str, str | None] = {}
    for i, (name, form) in enumerate(tried):
        if name not in found and row[f"given_{i}"] and not row[f"unparsed_{i}"]:
            found[name] = form
    return list(found.items())


def _categorical(
    columns: list[tuple[str, str]], distinct: dict[str, int], n_rows: int, entity: str | None
) -> list[str]:
    """Text (or true/false) columns with a few values that rows share: ``[features] categorical``."""
    return [
        name
        for name, type_ in columns
        if name != entity
        and type_ in ("VARCHAR", "BOOLEAN")
        and 2 <= distinct[name] <= MAX_CATEGORICAL_LEVELS
        and distinct[name] < n_rows
        and not name.lower().startswith("segsql_")
    ]


@dataclass(frozen=True)
class _Choices:
    """What init keeps, leaves out and transforms, each with the reason its comment gives."""

    features: list[str]
    left_out: dict[str, str]
    transforms: dict[str, str]
    categorical: list[str]


def _choices(diagnosed: tuple[FeatureDiagnosis, ...], categorical: list[str]) -> _Choices:
    """Leave out constant columns; propose log1p for heavy right skew on non-negative values
    (the run's warning, :data:`segsql.steps.diagnostics.SKEWED`) when it brings the skew down."""
    features, left_out, transforms = [], {}, {}
    for d in diagnosed:
        if d.constant:
            left_out[d.feature] = "constant (one value in every row): it cannot separate anyone"
            continue
        features.append(d.feature)
        after = d.skewness_transformed
        if d.skewed and d.non_negative and after is not None and abs(after) < abs(d.skewness or 0):
            transforms[d.feature] = (
                f"skewness {d.skewness:.1f} on non-negative values, {after:.1f} after log1p"
            )
    return _Choices(features=features, left_out=left_out, transforms=transforms, categorical=categorical)


def _comment(text: str) -> str:
    r"""``text`` made safe inside a TOML comment, which may hold no control character but tab.

    >>> _comment("a\nb\x7f.csv")
    'a\\x0ab\\x7f.csv'
    """
    return re.sub(r"[\x00-\x08\x0a-\x1f\x7f\ud800-\udfff]", lambda m: f"\\x{ord(m[0]):02x}", text)


def _parts(datafile: Path, target: Path) -> tuple[str, dict, dict]:
    """What every starter config has: the comment at its top, [project] and [sources.data]
    (the file, relative to the config when it can be), and the sections after [features]."""
    name = re.sub(r"\W+", "_", datafile.stem).strip("_").lower() or "segments"
    try:
        relative = datafile.resolve().relative_to(target.resolve().parent)
    except ValueError:
        relative = datafile.resolve()
    path = relative.as_posix()
    if path.startswith("~"):  # a file called "~x.csv", not a home folder (config paths expand "~")
        path = "./" + path
    start = {"project": {"name": name, "database": name + ".duckdb"}, "sources": {"data": {"path": path}}}
    end = {
        "preprocess": {"scaling": "standard", "impute": "median"},
        "model": {"k": "auto", "k_range": [2, 10], "select": "silhouette", "random_state": 42},
        "output": {"dir": "out"},
    }
    head = (
        f"# segsql config written by `segsql init {_comment(datafile.name)}`.\n"
        f"# Edit it, then: segsql run {_comment(target.name)}\n"
        "# Every key is described in the segsql README.\n\n"
    )
    return head, start, end


def _columns_and_transforms(choices: _Choices) -> tuple[str, str]:
    """The `columns` key (with a comment line per column left out) and [features.transforms]."""
    columns = ""
    for column, why in choices.left_out.items():
        columns += _comment(f"# left out of columns: {column!r} is {why}") + "\n"
    if choices.features or not choices.categorical:
        columns += tomli_w.dumps({"columns": choices.features})
    transforms = ""
    if choices.transforms:
        transforms = "\n[features.transforms]\n"
        for column, why in choices.transforms.items():
            transforms += _comment(f"# {column!r}: {why}") + "\n" + tomli_w.dumps({column: "log1p"})
    return columns, transforms


def _render(datafile: Path, target: Path, entity: str, choices: _Choices) -> str:
    """The starter config: every value written by tomli-w, so any name reads back as it was."""
    head, start, end = _parts(datafile, target)
    # tomli-w writes no comments: the [features] table is written key by key, each choice
    # init made preceded by a comment line, every value and key still written by tomli-w
    features = "[features]\n" + tomli_w.dumps({"entity": entity, "sql": "SELECT * FROM data"})
    columns, transforms = _columns_and_transforms(choices)
    features += columns
    if choices.categorical:
        features += (
            f"# text columns of 2 to {MAX_CATEGORICAL_LEVELS} values: each level becomes an indicator "
            '(README, "Categorical features and weights")\n'
        )
        features += tomli_w.dumps({"categorical": choices.categorical})
    return head + tomli_w.dumps(start) + "\n" + features + transforms + "\n" + tomli_w.dumps(end)


def _render_log(datafile: Path, target: Path, log: _Log, con: duckdb.DuckDBPyConnection) -> str:
    """The starter config of a transactions log: the RFM recipe over it.

    The recipe runs here, on the file, as the config will run it: what it computes is
    measured like a table's columns (constant features left out, log1p proposed for
    skewed ones), and a config that cannot run is never written.
    """
    head, start, end = _parts(datafile, target)
    about = (
        f"A transactions log: {log.entity!r} repeats ({log.rows} rows for {log.entities} of them) beside "
        f"the dates in {log.timestamp!r}, so the RFM recipe turns it into one row per {log.entity!r} "
        '(README, "The RFM recipe").'
    )
    head += "".join(_comment(f"# {line}") + "\n" for line in textwrap.wrap(about, width=96)) + "\n"
    rfm: dict[str, object] = {"source": "data", "timestamp": log.timestamp}
    if log.timestamp_format is not None:
        rfm["timestamp_format"] = log.timestamp_format
    if log.amount is not None:
        rfm["amount"] = log.amount
    recipe = "\n[features.rfm]\n" + tomli_w.dumps(rfm)
    if log.amount is None:
        recipe += "# no amount column was recognised: the recipe computes no monetary features\n"
    recipe += "# the day after the last transaction: every transaction counts\n"
    recipe += tomli_w.dumps({"as_of": log.as_of})

    def text(columns: str, transforms: str) -> str:
        features = "[features]\n" + tomli_w.dumps({"entity": log.entity, "recipe": "rfm"}) + columns
        return head + tomli_w.dumps(start) + "\n" + features + recipe + transforms + "\n" + tomli_w.dumps(end)

    config = config_from_text(text("", ""), base_dir=target.resolve().parent, path=target)
    computed = build_features(con, config)
    diagnosed = diagnose_columns(con, "segsql_features", computed.columns, ["log1p"] * len(computed.columns))
    choices = _choices(diagnosed, [])
    if not choices.features:
        raise SegsqlError(
            f"every feature the RFM recipe computes from it is constant ({', '.join(computed.columns)})"
        )
    columns, transforms = _columns_and_transforms(choices)
    return text(columns if choices.left_out else "", transforms)
