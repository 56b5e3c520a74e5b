"""TOML config → frozen, validated objects.

The contract is in DESIGN.md and the README. Validation is pydantic's (strict
types, unknown keys rejected); its first complaint is turned into one
:class:`~segsql.errors.ConfigError` naming the file and the key. Relative paths
are resolved against the folder of the config file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import string
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from segsql.errors import ConfigError

__all__ = ["Config", "RESERVED_PREFIX", "as_config", "load_config", "config_from_dict", "config_from_text"]

# every relation, macro and registered frame segsql creates in a run is named with this prefix
# (tests/test_config_limits.py checks it); a source is a temp view named after its key, so a key
# under the prefix could replace, or be replaced by, one of segsql's own
RESERVED_PREFIX = "segsql_"
# the seeds scikit-learn's estimators and NumPy's RandomState accept
MAX_SEED = 2**32 - 1
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)

Scaling = Literal["standard", "minmax", "robust", "none"]
Impute = Literal["error", "mean", "median", "zero", "drop"]
Transform = Literal["log1p", "sqrt", "none"]
Select = Literal["silhouette", "elbow", "calinski_harabasz", "davies_bouldin", "consensus"]
Algorithm = Literal["kmeans", "minibatch", "bisecting"]
Level = Literal["high", "low", "above", "below", "typical"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _KeyedError(ValueError):
    """A section validator's complaint about one of its keys (pydantic would name only the section)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


# the catalog name of the run database in every connection segsql opens (segsql.connection),
# and the catalog names a schema cannot take there, or `schema.table` would be ambiguous
# (DuckDB's `temp` and `system` are in every connection; its in-memory `memory` is detached)
RUN_CATALOG = "segsql_database"
RESERVED_CATALOGS = (RUN_CATALOG, "temp", "system")


class ProjectConfig(_Section):
    name: str = "segsql"
    database: str | None = None
    schema_name: str = Field("segsql", alias="schema", min_length=1)

    @field_validator("schema_name")
    @classmethod
    def _not_a_catalog(cls, value: str) -> str:
        # `schema.table` is ambiguous when a catalog has the schema's name (DuckDB ignores case)
        if value.lower() in RESERVED_CATALOGS:
            raise ValueError(
                f"{value!r} is the name of a catalog in every connection segsql opens "
                f"({', '.join(RESERVED_CATALOGS)}), so {value}.<table> would be ambiguous: "
                "choose another schema name"
            )
        return value

    # seconds to wait for another process's lock on the database before failing
    lock_timeout: float = Field(0.0, ge=0)
    # DuckDB's memory_limit for the connections segsql opens ("4GB", "800MB"); beyond it DuckDB
    # spills to disk (beside the database). Default: DuckDB's own, 80% of the machine's memory.
    memory_limit: str | None = None
    # which engine computes the features, the preprocessing and the fit (README, "Spark")
    engine: Literal["duckdb", "spark"] = "duckdb"

    @field_validator("memory_limit")
    @classmethod
    def _size(cls, value: str | None) -> str | None:
        if value is None:
            return value
        # the documented forms (ASCII digits, a unit DuckDB knows), then DuckDB itself: it also
        # refuses sizes out of its range, and limits too small for it to start (a few KB)
        if not re.fullmatch(r"(?ai)\s*\d+(\.\d+)?\s*(b|[kmgt]i?b)\s*", value):
            raise ValueError(f'must be a size such as "4GB", "800MB" or "2GiB" (got {value!r})')
        try:
            with duckdb.connect(":memory:", config={"memory_limit": value}) as con:
                con.execute("SELECT current_setting('memory_limit')").fetchall()
        except duckdb.Error as exc:
            reason = str(exc).splitlines()[0]
            raise ValueError(f"DuckDB cannot use it: {value!r} ({reason})") from None
        return value

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)


def _datetime(value: Any) -> datetime | None:
    """A TOML date, date and time, or ISO text as a datetime (a date: its midnight); else None.

    >>> _datetime("2024-01-02"), _datetime(date(2024, 1, 2)) == _datetime("2024-01-02"), _datetime("x")
    (datetime.datetime(2024, 1, 2, 0, 0), True, None)
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return None


# the DuckDB reader of each file format, and the format a file's suffix says (here, not in
# segsql.sources, so that [sources.X] can tell a CSV-like file at load)
_READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}
_SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
}  # fmt: skip


def reader_for(path: str, format: str | None = None) -> str:
    """The DuckDB table function that reads ``path``: by ``format``, else by suffix.

    >>> reader_for("sales/*.parquet"), reader_for("a.csv.gz"), reader_for("x", "json")
    ('read_parquet', 'read_csv', 'read_json')
    """
    if format:
        return _READERS[format]
    for suffix in reversed([s.lower() for s in Path(path).suffixes if s.lower() not in {".gz", ".zst"}]):
        if suffix in _SUFFIXES:
            return _READERS[_SUFFIXES[suffix]]
    return "read_csv"


# the reader options of [sources.X] (segsql.sources passes them to read_csv), and the delimiter
# that means "runs of spaces and tabs"
READER_OPTIONS = (
    "delimiter", "header", "quote", "skip", "date_format", "timestamp_format", "columns", "null_values"
)  # fmt: skip
WHITESPACE = "whitespace"


def strptime_format(value: str) -> str:
    """``value`` if DuckDB's strptime accepts it as a format, else a ValueError saying why.

    >>> strptime_format("%Y%m%d")
    '%Y%m%d'
    """
    try:
        with duckdb.connect(":memory:") as con:
            con.execute("SELECT try_strptime('', $format)", {"format": value}).fetchall()
    except duckdb.Error as exc:
        reason = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise ValueError(f"not a strptime format DuckDB can use: {value!r} ({reason})") from None
    return value


def _duckdb_type(type_name: Any, *, key: str) -> str:
    """The DuckDB type ``type_name`` names, as DuckDB writes it ("int" → "INTEGER")."""
    if not isinstance(type_name, str):
        raise _KeyedError(key, f'must be a DuckDB type name such as "VARCHAR" (got {type_name!r})')
    try:
        return str(duckdb.sqltype(type_name))
    except (duckdb.Error, ValueError) as exc:
        reason = str(exc).splitlines()[0].split(": ", 1)[-1]
        raise _KeyedError(key, f"not a DuckDB type: {type_name!r} ({reason})") from None


class SourceConfig(_Section):
    """``[sources.X]``: a file (or a glob, or a hive-partitioned Parquet folder), a DuckDB table,
    a Delta table (``format = "delta"``, ``path``) or an Iceberg table (``format = "iceberg"``,
    ``table`` in a ``catalog``). README, "Lake sources"."""

    path: str | None = None
    table: str | None = None
    format: Literal["csv", "parquet", "json", "delta", "iceberg"] | None = None
    # Delta time travel: a version number, or the version current at a time (UTC unless it says)
    version: int | None = Field(None, ge=0)
    timestamp: Annotated[datetime, Field(strict=False)] | None = None
    # Iceberg: a table of pyiceberg catalog properties, or the name of a catalog in the user's
    # pyiceberg configuration (~/.pyiceberg.yaml, PYICEBERG_CATALOG__… variables)
    catalog: dict[str, str] | str | None = None
    snapshot_id: int | None = None
    # reader options of a CSV-like file (README, "Files as they come"), given to DuckDB's read_csv
    # by name (delim, header, quote, skip, dateformat, timestampformat, columns, nullstr);
    # delimiter = "whitespace" splits each line on runs of spaces and tabs instead
    delimiter: str | None = Field(None, min_length=1)
    header: bool | None = None
    quote: str | None = None
    skip: int | None = Field(None, ge=0)
    date_format: str | None = Field(None, min_length=1)
    timestamp_format: str | None = Field(None, min_length=1)
    columns: dict[str, str] | None = None
    null_values: list[str] | None = None

    @field_validator("date_format", "timestamp_format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        return None if value is None else strptime_format(value)

    @field_validator("columns")
    @classmethod
    def _types(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError('names no column (give every column of the file, in order: { name = "TYPE" })')
        typed = {}
        for name, type_name in value.items():
            if not name:
                raise ValueError("names an empty column")
            typed[name] = _duckdb_type(type_name, key=name)
        return typed

    @model_validator(mode="after")
    def _reader_options(self) -> SourceConfig:
        given = [key for key in READER_OPTIONS if getattr(self, key) is not None]
        if not given:
            return self
        if self.table is not None or self.format in ("parquet", "json", "delta", "iceberg"):
            read_as = f"format = {self.format!r}" if self.format else "a table"
            raise _KeyedError(
                given[0], f"is a reader option only for CSV-like files (this source is {read_as})"
            )
        if self.format is None:
            reader = reader_for(self.path or "")
            if reader != "read_csv":
                raise _KeyedError(
                    given[0],
                    f"is a reader option only for CSV-like files ({self.path!r} is read as {reader[5:]} "
                    'by its suffix; format = "csv" reads it as CSV)',
                )
        if self.delimiter == WHITESPACE:
            for key in ("quote", "date_format", "timestamp_format", "null_values"):
                if getattr(self, key) is not None:
                    raise _KeyedError(
                        key,
                        f'not with delimiter = "{WHITESPACE}": its fields are split on spaces, never quoted; '
                        "type them with `columns` and convert them in the feature query",
                    )
        return self

    @field_validator("catalog", mode="before")
    @classmethod
    def _properties(cls, value: Any) -> Any:
        # pyiceberg's properties are strings; TOML may give a number or a flag ("true", as pyiceberg reads it)
        if isinstance(value, dict):
            properties = {}
            for key, item in value.items():
                if not isinstance(item, str | int | float):
                    raise ValueError(
                        f"the property {key!r} must be a string, a number or true/false (got {item!r})"
                    )
                properties[key] = str(item).lower() if isinstance(item, bool) else str(item)
            return properties
        if value is not None and not isinstance(value, str):
            raise ValueError(
                'must be a table of pyiceberg catalog properties ({ type = "sql", uri = … }) '
                f"or the name of a catalog in your pyiceberg configuration (got {value!r})"
            )
        return value

    @field_validator("timestamp", mode="before")
    @classmethod
    def _when(cls, value: Any) -> Any:
        if value is None:  # a config dumped and validated again (with_as_of, with_model)
            return value
        when = _datetime(value)
        if when is None:
            raise ValueError(
                "must be a date or a date and time "
                "(YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS, with an offset or in UTC)"
            )
        return when

    @model_validator(mode="after")
    def _one_of(self) -> SourceConfig:
        if self.format == "iceberg":
            if self.path is not None:
                raise _KeyedError(
                    "path", 'an Iceberg source is named by `table = "namespace.name"`, not a path'
                )
            if self.table is None:
                raise _KeyedError("table", 'is required with format = "iceberg" ("namespace.name")')
            if len(self.table.split(".")) < 2 or not all(self.table.split(".")):
                raise _KeyedError("table", f'must be "namespace.name" (got {self.table!r})')
            if self.catalog is None:
                raise _KeyedError("catalog", "is required")
        elif self.format == "delta" and self.table is not None:
            raise _KeyedError("table", "a Delta source is read from its folder: give `path`, not `table`")
        elif (self.path is None) == (self.table is None):
            raise ValueError("give exactly one of `path` or `table`")
        if self.format != "delta":
            for key in ("version", "timestamp"):
                if getattr(self, key) is not None:
                    raise _KeyedError(key, 'is time travel in a Delta table: only with format = "delta"')
        elif self.version is not None and self.timestamp is not None:
            raise _KeyedError("timestamp", "give `version` or `timestamp`, not both")
        if self.format != "iceberg":
            for key in ("catalog", "snapshot_id"):
                if getattr(self, key) is not None:
                    raise _KeyedError(key, 'is for an Iceberg table: only with format = "iceberg"')
        return self


# the RFM recipe's features (queries/features/rfm.sql, README "The RFM recipe"): those that need
# an amount, and the default selection (with an amount: the first five, as before the others existed)
RFM_FEATURES = (
    "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days",
    "interpurchase_mean_days", "interpurchase_std_days", "order_trend",
)  # fmt: skip
RFM_MONETARY = ("monetary", "avg_order_value")
RFM_DEFAULT = RFM_FEATURES[:5]


class RfmConfig(_Section):
    source: str
    timestamp: str
    # optional: a log of dates alone has every feature but the monetary ones
    amount: str | None = None
    # a strptime format for a timestamp column written as digits or text in another order
    # ("%Y%m%d" for 19970101): the column is read as text and parsed with it
    timestamp_format: str | None = Field(None, min_length=1)
    # the recipe's features to compute, in this order (default: RFM_DEFAULT, or without an
    # amount the non-monetary ones of it)
    features: list[str] | None = None
    # order_trend compares the orders of the last trend_days days before as_of with the trend_days before
    trend_days: int = Field(90, ge=1)
    # a wall-clock time in `time_zone`: a date is its midnight; a time of day is honoured
    as_of: Annotated[datetime, Field(strict=False)]
    # where a day starts and ends for timestamps that carry a zone (an IANA name)
    time_zone: str = "UTC"

    @field_validator("as_of", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        when = _datetime(value)
        if when is None:
            raise ValueError("must be a date or a date and time, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS")
        return when

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        import zoneinfo

        if value not in zoneinfo.available_timezones() and value != "UTC":
            raise ValueError(f'must be an IANA time zone such as "UTC" or "Europe/Paris" (got {value!r})')
        return value

    @field_validator("timestamp_format")
    @classmethod
    def _format(cls, value: str | None) -> str | None:
        return None if value is None else strptime_format(value)

    @model_validator(mode="after")
    def _computable(self) -> RfmConfig:
        if self.features is None:
            return self
        if not self.features:
            raise _KeyedError(
                "features", f"must list at least one feature of the recipe ({', '.join(RFM_FEATURES)})"
            )
        for name in self.features:
            if name not in RFM_FEATURES:
                raise _KeyedError(
                    "features",
                    f"{name!r} is not a feature of the recipe (its features: {', '.join(RFM_FEATURES)})",
                )
            if name in RFM_MONETARY and self.amount is None:
                raise _KeyedError(
                    "features",
                    f'{name!r} needs an amount: set [features.rfm] amount = "<column>", or leave it out',
                )
        if len(set(self.features)) != len(self.features):
            raise _KeyedError("features", "lists a feature twice")
        return self

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The features the recipe computes, in order: ``features``, else the default selection."""
        if self.features is not None:
            return tuple(self.features)
        if self.amount is None:
            return tuple(f for f in RFM_DEFAULT if f not in RFM_MONETARY)
        return RFM_DEFAULT

    @model_validator(mode="after")
    def _local(self) -> RfmConfig:
        # an as_of with an offset names an instant: the same instant as a wall-clock time in time_zone
        if self.as_of.tzinfo is not None:
            import zoneinfo

            local = self.as_of.astimezone(zoneinfo.ZoneInfo(self.time_zone)).replace(tzinfo=None)
            object.__setattr__(self, "as_of", local)
        return self


class LabelWords(_Section):
    """A feature's words for segment names: ``high`` / ``low`` replace "High <label>" / "Low <label>"."""

    name: str | None = Field(None, min_length=1)
    high: str = Field(min_length=1)
    low: str = Field(min_length=1)


# a table is words per direction, anything else must be one word; the tag keeps errors to one branch
Label = Annotated[
    Annotated[str, Tag("<word>")] | Annotated[LabelWords, Tag("<words>")],
    Discriminator(lambda v: "<words>" if isinstance(v, dict | LabelWords) else "<word>"),
]


# the columns scoring returns after the entity's, in order (segsql.scoring.OUTPUT_COLUMNS; named
# here so the entity can be checked at load), and the names the entity cannot take in any case:
# those, and the run id the write-back stores beside it in the segments table
SCORING_COLUMNS = ("segment", "segment_name", "distance", "second_distance", "is_outlier")
RESERVED_ENTITY_NAMES = ("run_id", *SCORING_COLUMNS)


class FeaturesConfig(_Section):
    entity: str = Field(min_length=1)
    sql: str | None = None
    file: str | None = None
    recipe: Literal["rfm"] | None = None
    rfm: RfmConfig | None = None
    columns: list[str] | None = None
    transforms: dict[str, Transform] = {}
    labels: dict[str, Label] = {}
    # columns of the feature query (any type, levels compared as text) one-hot encoded in SQL
    # (README, "Categorical features and weights")
    categorical: list[str] = []
    # a level rarer than this share of rows joins the column's "(other)" group
    min_level_share: float = Field(0.01, ge=0, lt=1)
    # per feature (a numeric column or a categorical column: its whole block), how much it weighs
    weights: dict[str, float] = {}
    # a column of the feature query holding each row's sample weight (not a feature)
    weight: str | None = Field(None, min_length=1)

    @field_validator("weights")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for key, w in value.items():
            if not (math.isfinite(w) and w > 0):
                raise _KeyedError(key, f"a feature weight must be a finite number > 0 (got {w!r})")
        return value

    @field_validator("entity")
    @classmethod
    def _not_an_output_name(cls, value: str) -> str:
        # segsql writes these beside the entity (scoring, the segments table): two columns of one
        # name would be renamed or read wrongly (DuckDB ignores case)
        if value.casefold() in RESERVED_ENTITY_NAMES:
            raise ValueError(
                f"{value!r} is the name of a column segsql writes beside the entity "
                f"({', '.join(RESERVED_ENTITY_NAMES)}): rename it in the feature query "
                f"(e.g. SELECT {value} AS entity_id) and name that here"
            )
        return value

    @model_validator(mode="after")
    def _one_query(self) -> FeaturesConfig:
        given = [k for k in ("sql", "file", "recipe") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `sql`, `file` or `recipe`")
        if self.recipe == "rfm" and self.rfm is None:
            raise ValueError('recipe = "rfm" needs a [features.rfm] section')
        if self.columns is not None:
            if not self.columns:
                raise ValueError("`columns` is empty")
            if len(set(self.columns)) != len(self.columns):
                raise ValueError("`columns` lists a column twice")
            if self.entity in self.columns:
                raise ValueError("`columns` must not include the entity column")
        self._categories_and_weights()
        return self

    def _categories_and_weights(self) -> None:
        """``categorical``, ``weight`` and ``weights`` against each other and the other keys."""
        numeric = set(self.columns or ())
        seen: set[str] = set()
        for column in self.categorical:
            if not column:
                raise _KeyedError("categorical", "names an empty column")
            if column in seen:
                raise _KeyedError("categorical", f"lists {column!r} twice")
            seen.add(column)
            if column == self.entity:
                raise _KeyedError("categorical", f"{column!r} is the entity column, not a feature")
            if column in numeric:
                raise _KeyedError(
                    "categorical", f"{column!r} is also in `columns`: a feature is numeric or categorical"
                )
            if column == self.weight:
                raise _KeyedError("categorical", f"{column!r} is the sample weight column (`weight`)")
            if column in self.transforms:
                raise _KeyedError(
                    f"transforms.{column}",
                    f"{column!r} is categorical: its levels are indicators, not a number to transform",
                )
        if self.weight is not None:
            if self.weight == self.entity:
                raise _KeyedError("weight", f"{self.weight!r} is the entity column")
            if self.weight in numeric:
                raise _KeyedError(
                    "weight", f"{self.weight!r} is also in `columns`: the sample weight is not a feature"
                )
        for key in self.weights:
            if key in (self.entity, self.weight):
                raise _KeyedError(f"weights.{key}", "not a feature (the entity or the sample weight column)")
            if self.columns is not None and key not in numeric and key not in seen:
                raise _KeyedError(
                    f"weights.{key}",
                    f"not a feature (features: {', '.join([*self.columns, *self.categorical])})",
                )


class PreprocessConfig(_Section):
    scaling: Scaling = "standard"
    impute: Impute = "error"
    winsorize: list[float] = Field(default_factory=list)

    @field_validator("winsorize", mode="before")
    @classmethod
    def _floats(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        return value

    @field_validator("winsorize")
    @classmethod
    def _quantiles(cls, value: list[float]) -> list[float]:
        if value and not (len(value) == 2 and 0.0 <= value[0] < value[1] <= 1.0):
            raise ValueError("must be [] or two quantiles [low, high] with 0 <= low < high <= 1")
        return value


class ModelConfig(_Section):
    k: int | Literal["auto"] = "auto"
    k_range: tuple[int, int] = (2, 10)
    select: Select = "silhouette"
    algorithm: Algorithm = "kmeans"
    n_init: int = Field(10, ge=1)
    max_iter: int = Field(300, ge=1)
    random_state: int = 42
    metric_sample: int = Field(10000, ge=0)
    sweep_sample: int = Field(100000, ge=0)
    # k-means++ starts per K in the sweep when it fits a sample (never more than n_init); a sweep
    # of every row uses n_init, as its fit at the chosen K is the final fit (README, "Choosing K")
    sweep_n_init: int = Field(3, ge=1)
    # constraints a chosen K must meet (README, "Choosing K"): the smallest segment's share of
    # the rows at least min_segment_share, the largest's at most max_segment_share
    min_segment_share: float | None = None
    max_segment_share: float | None = None

    @model_validator(mode="after")
    def _shares(self) -> ModelConfig:
        low, high = self.min_segment_share, self.max_segment_share
        if low is not None and not 0 < low < 1:
            raise _KeyedError("min_segment_share", f"must be above 0 and below 1 (got {low})")
        if high is not None and not 0 < high <= 1:
            raise _KeyedError("max_segment_share", f"must be above 0 and at most 1 (got {high})")
        if low is not None and high is not None and low >= high:
            raise _KeyedError(
                "min_segment_share",
                f"must be below max_segment_share ({low} >= {high}): no K could meet both",
            )
        return self

    @field_validator("random_state")
    @classmethod
    def _seed(cls, value: int) -> int:
        if not 0 <= value <= MAX_SEED:
            raise ValueError(
                f"must be from 0 to {MAX_SEED} (2**32 - 1), the seeds scikit-learn accepts (got {value})"
            )
        return value

    @model_validator(mode="after")
    def _samples_fit_k(self) -> ModelConfig:
        # The sweep fits every K on sweep_sample rows and the silhouette is computed on metric_sample
        # rows; K must be below a sample's row count (scikit-learn refuses more clusters than rows,
        # the silhouette one row a cluster). Refused here, not after the data is read. A sample of 0
        # is every row: then the K values are cut to the rows at run time (ks(at_most=…)).
        top, top_key = max((self.k_range[1], "k_range"), (self.k if isinstance(self.k, int) else 0, "k"))
        samples = (("sweep_sample", "fits every K on"), ("metric_sample", "computes the silhouette on"))
        for key, use in samples:
            size = getattr(self, key)
            if not size or size > top:
                continue
            if key in self.model_fields_set:
                raise _KeyedError(
                    key,
                    f"{size} {'row is' if size == 1 else 'rows are'} too few for K up to {top} "
                    f"(segsql {use} this sample, and K must be "
                    f"below its row count): give at least {top + 1}, or 0 for every row",
                )
            raise _KeyedError(
                top_key,
                f"K up to {top} needs more rows than {key} = {size} (the default; segsql {use} this "
                f"sample, and K must be below its row count): raise {key} above {top}, or set it to 0 "
                "for every row",
            )
        return self

    @field_validator("k", mode="before")
    @classmethod
    def _k(cls, value: Any) -> Any:
        if value == "auto":
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f'must be an integer >= 2 or "auto" (got {value!r})')
        if value < 2:
            raise ValueError(f"must be >= 2 (got {value})")
        return value

    @field_validator("k_range", mode="before")
    @classmethod
    def _k_range(cls, value: Any) -> Any:
        if (
            not isinstance(value, list | tuple)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise ValueError("must be two integers [low, high]")
        low, high = value
        if low < 2:
            raise ValueError(f"low end must be >= 2 (got {low})")
        if low > high:
            raise ValueError(f"is reversed: {low} > {high}")
        return tuple(value)

    def ks(self, *, at_most: int | None = None) -> list[int]:
        """The K values the sweep fits: k_range, plus a fixed k outside it; with ``at_most``, those up to it.

        ``at_most`` bounds the list before it is built: with both samples 0, ``k_range``
        may reach far beyond any row count.

        >>> ModelConfig(k=12, k_range=(2, 4)).ks()
        [2, 3, 4, 12]
        >>> ModelConfig(k_range=(2, 2**62), sweep_sample=0, metric_sample=0).ks(at_most=4)
        [2, 3, 4]
        """
        low, high = self.k_range
        if at_most is not None:
            high = min(high, at_most)
        ks = set(range(low, high + 1))
        if isinstance(self.k, int) and (at_most is None or self.k <= at_most):
            ks.add(self.k)
        return sorted(ks)


class OutputConfig(_Section):
    dir: str = "out"
    report: bool = True
    # a segment with fewer members publishes no quantiles (median, p05…p95, min, max, std):
    # NULL in profiles, not drawn in the report (README, "Small segments"); None = off
    min_group: int | None = Field(None, ge=1)


class SegmentsConfig(_Section):
    threshold: float = Field(0.5, gt=0)
    names: dict[str, str] = {}
    # a segment of fewer entities is merged into its nearest segment before the write-back
    # (README, "Small segments"); None = off
    min_size: int | None = Field(None, ge=1)

    @field_validator("names")
    @classmethod
    def _numbered(cls, value: dict[str, str]) -> dict[str, str]:
        for key, name in value.items():
            if not key.isdigit() or int(key) < 1:
                raise ValueError(f"keys are segment numbers 1, 2, … (got {key!r})")
            if not name.strip():
                raise ValueError(f"segment {key}: the name is empty")
        if len(set(value.values())) != len(value):
            raise ValueError("two segments are given the same name")
        return value

    def overrides(self) -> dict[int, str]:
        """``names`` keyed by segment number."""
        return {int(key): name for key, name in self.names.items()}


class LifecycleConfig(_Section):
    """``[lifecycle]``: how a run relates to the previous run of the same project (README, "Reruns")."""

    # keep segment numbers across runs by matching segments to the previous run's
    match: bool = True
    # start the final fit from the previous run's centroids
    warm_start: bool = False
    # bootstrap resamples for each segment's stability (Jaccard); 0 = off
    stability: int = Field(0, ge=0, le=1000)
    min_stability: float = Field(0.6, ge=0, le=1)
    # a population stability index at or above this is a warning stored with the run
    drift_warn: float = Field(0.2, gt=0)


class RulesConfig(_Section):
    """``[rules]``: each segment as a SQL rule from a shallow decision tree (README, "Segment rules")."""

    # the tree's depth: a rule is an OR of paths of at most this many conditions
    max_depth: int = Field(3, ge=1, le=8)


class RuleConfig(_Section):
    when: dict[str, Level] = Field(min_length=1)
    say: str = Field(min_length=1)


# the output tables a run writes, in order: the write-back's list (segsql.steps.writeback), kept
# here, below it, so that `[[publish]] tables` can be checked at load
OUTPUT_TABLES = (
    "runs",
    "k_sweep",
    "scaler",
    "centroids",
    "segments",
    "features",
    "profiles",
    "segment_summary",
    "projection",
    "segment_lineage",
    "segment_transitions",
    "drift",
    "feature_bins",
    "segment_rules",
    "diagnostics",
)


def _property(value: Any) -> Any:
    """A catalog property as pyiceberg reads it: a number or a flag as text (``true``)."""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value) if isinstance(value, int | float) else value


class PublishConfig(_Section):
    """One ``[[publish]]`` target: where a run's output tables go after its commit (README, "Publishing")."""

    format: Literal["parquet", "delta", "iceberg"]
    # a folder (Parquet, Delta) holding one table per output table, relative to the config
    path: str | None = Field(None, min_length=1)
    # Iceberg: a catalog name from the user's pyiceberg configuration, or the catalog's properties
    catalog: str | dict[str, str] | None = None
    namespace: str | None = Field(None, min_length=1)
    tables: list[str] | None = None

    @field_validator("tables")
    @classmethod
    def _known(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        if not value:
            raise ValueError(
                f"is empty: leave it out to publish every output table ({', '.join(OUTPUT_TABLES)})"
            )
        for name in value:
            if name not in OUTPUT_TABLES:
                raise ValueError(f"{name!r} is not an output table (they are: {', '.join(OUTPUT_TABLES)})")
        if len(set(value)) != len(value):
            raise ValueError("lists a table twice")
        return value

    @field_validator("catalog", mode="before")
    @classmethod
    def _catalog(cls, value: Any) -> Any:
        # pyiceberg's properties are strings; TOML may give a number or a flag (as [sources.X] catalog)
        if isinstance(value, dict):
            return {key: _property(item) for key, item in value.items()}
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: give a catalog name, or a table of pyiceberg catalog properties")
        return value

    @model_validator(mode="after")
    def _target(self) -> PublishConfig:
        if self.format == "iceberg":
            if self.path is not None:
                raise _KeyedError(
                    "path", 'format = "iceberg" publishes through `catalog` and `namespace`, not a path'
                )
            for key in ("catalog", "namespace"):
                if getattr(self, key) is None:
                    raise _KeyedError(key, f'format = "iceberg" needs `{key}`')
            return self
        for key in ("catalog", "namespace"):
            if getattr(self, key) is not None:
                raise _KeyedError(key, f'is for format = "iceberg"; format = "{self.format}" takes a `path`')
        if self.path is None:
            raise _KeyedError("path", f'format = "{self.format}" needs `path`, the folder to publish to')
        return self

    @property
    def published(self) -> tuple[str, ...]:
        """The tables this target receives: ``tables``, or every output table."""
        return tuple(self.tables) if self.tables is not None else OUTPUT_TABLES


class SparkConfig(_Section):
    """``[spark]``: the Spark engine's session and outputs (README, "Spark")."""

    master: str = Field("local[*]", min_length=1)
    # Spark settings for a session segsql starts ({ "spark.driver.memory" = "4g" })
    conf: dict[str, str | int | float | bool] = {}
    # where the per-entity segments go: a Parquet folder (a path: it has a "/"), or a Spark
    # catalog table name ("db.segments"); default: the folder "segments" in [output] dir
    output: str | None = Field(None, min_length=1)
    # "sample": scikit-learn on a seeded sample on the driver; "mllib": Spark MLlib KMeans on every row
    fit: Literal["sample", "mllib"] = "sample"


class _Root(_Section):
    project: ProjectConfig = ProjectConfig()
    sources: dict[str, SourceConfig] = {}
    features: FeaturesConfig
    preprocess: PreprocessConfig = PreprocessConfig()
    model: ModelConfig = ModelConfig()
    output: OutputConfig = OutputConfig()
    segments: SegmentsConfig = SegmentsConfig()
    recommendations: list[RuleConfig] = []
    lifecycle: LifecycleConfig = LifecycleConfig()
    publish: list[PublishConfig] = []
    rules: RulesConfig = RulesConfig()
    spark: SparkConfig = SparkConfig()

    @field_validator("sources")
    @classmethod
    def _source_names(cls, value: dict[str, SourceConfig]) -> dict[str, SourceConfig]:
        # each source becomes a temp view named after its key; DuckDB matches names ignoring the
        # case of ASCII letters (only those: "É" and "é" are two names to it)
        seen: dict[str, str] = {}
        for key in value:
            folded = key.translate(_ASCII_LOWER)
            if not key:
                raise _KeyedError(key, 'the source needs a name ([sources.""] is empty)')
            if folded.startswith(RESERVED_PREFIX):
                raise _KeyedError(
                    key,
                    f"names starting with {RESERVED_PREFIX!r} are segsql's own (its temporary tables "
                    "and views in a run): rename the source",
                )
            if folded in seen:
                raise _KeyedError(
                    key,
                    f"is the same name as [sources.{seen[folded]}] to DuckDB, which ignores the case "
                    "of letters in names: rename one of them",
                )
            seen[folded] = key
        return value


class Config:
    """A validated config, with its paths resolved against ``base_dir``.

    Build one with :func:`load_config` (from a TOML file) or
    :func:`config_from_dict`.
    """

    def __init__(self, root: _Root, *, base_dir: Path, path: Path | None, text: str):
        self._root = root
        self.base_dir = base_dir
        self.path = path
        self.text = text

    project = property(lambda self: self._root.project)
    sources = property(lambda self: self._root.sources)
    features = property(lambda self: self._root.features)
    preprocess = property(lambda self: self._root.preprocess)
    model = property(lambda self: self._root.model)
    rules = property(lambda self: self._root.rules)
    output = property(lambda self: self._root.output)
    segments = property(lambda self: self._root.segments)
    recommendations = property(lambda self: self._root.recommendations)
    lifecycle = property(lambda self: self._root.lifecycle)
    publish = property(lambda self: self._root.publish)
    spark = property(lambda self: self._root.spark)

    @property
    def name(self) -> str:
        return self.path.name if self.path else "<config>"

    @property
    def schema(self) -> str:
        return self.project.schema_name

    @property
    def database(self) -> str:
        """The database path (absolute), or ``":memory:"``."""
        db = self.project.database
        if db == ":memory:":
            return db
        return str(self.resolve(db or f"{self.project.name}.duckdb"))

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output.dir)

    @property
    def config_hash(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()[:16]

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        with contextlib.suppress(RuntimeError):  # "~name…" of no user called name: a file called so
            path = path.expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def error(self, message: str, key: str | None = None) -> ConfigError:
        """A ConfigError naming this config's file and ``key``."""
        return ConfigError(message, path=self.path or self.name, key=key)

    def with_model(self, **changes: Any) -> Config:
        """A copy with ``[model]`` keys changed (validated like the file)."""
        data = self._root.model_dump(by_alias=True)
        data["model"].update(changes)
        return _build(data, base_dir=self.base_dir, path=self.path, text=self.text)

    def with_as_of(self, as_of: str | date | datetime) -> Config:
        """A copy with ``[features.rfm] as_of`` replaced (``segsql run --as-of``), validated like the file.

        The text (``runs.config``, ``config_hash``) stays the file's: a schedule
        and a backfill run the same config; ``runs.as_of`` records the date used.
        """
        if self.features.recipe != "rfm" or self.features.rfm is None:
            raise self.error(
                "--as-of (as_of=) sets [features.rfm] as_of, and this config does not use the RFM "
                'recipe (recipe = "rfm" with a [features.rfm] section)',
                "features.rfm",
            )
        data = self._root.model_dump(by_alias=True)
        data["features"]["rfm"]["as_of"] = as_of
        try:
            return _build(data, base_dir=self.base_dir, path=self.path, text=self.text)
        except ConfigError as exc:  # only as_of changed: the value given is at fault, not the file
            raise self.error(f"{exc.reason} (got {as_of!r} from --as-of / as_of=)", exc.key) from None

    def to_dict(self) -> dict[str, Any]:
        return self._root.model_dump(by_alias=True, exclude_none=True)


def _key(loc: tuple[Any, ...]) -> str:
    # pydantic adds the tried member of a union or literal to the location; drop those
    parts = [str(p) for p in loc if not str(p).startswith(("literal[", "function-", "tagged-"))]
    parts = [p for p in parts if p not in {"int", "str", "float", "list[float]", "<word>", "<words>"}]
    return ".".join(parts)


def _build(data: dict[str, Any], *, base_dir: Path, path: Path | None, text: str) -> Config:
    try:
        root = _Root.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        keyed = first.get("ctx", {}).get("error")
        key = _key((*first["loc"], keyed.key) if isinstance(keyed, _KeyedError) else first["loc"])
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        elif first["type"] == "missing":
            message = "is required"
        else:
            message = first["msg"].removeprefix("Value error, ")
            if "input" in first and first["type"].endswith(("_type", "literal_error")):
                message += f" (got {first['input']!r})"
        raise ConfigError(message, path=path or "<config>", key=key) from None
    return Config(root, base_dir=base_dir, path=path, text=text)


def load_config(path: str | Path) -> Config:
    """Read and validate a TOML config file.

    >>> load_config("no/such.toml")
    Traceback (most recent call last):
    ...
    segsql.errors.ConfigError: no/such.toml: config file not found
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("config file not found", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file ({exc})", path=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", path=path) from None
    return _build(data, base_dir=path.resolve().parent, path=path, text=text)


def as_config(config: Config | str | Path) -> Config:
    """What every public verb does with its first argument: a Config as it is, a path loaded.

    >>> as_config(3)
    Traceback (most recent call last):
    ...
    segsql.errors.ConfigError: <config>: expected a config file path or a segsql.Config (got int)
    """
    if isinstance(config, Config):
        return config
    if isinstance(config, str | Path):
        return load_config(config)
    raise ConfigError(
        f"expected a config file path or a segsql.Config (got {type(config).__name__})", path="<config>"
    )


def config_from_text(text: str, *, base_dir: Path, path: Path | None = None) -> Config:
    """A config from the text a run stored (``runs.config``): TOML, or the JSON of a dict config.

    Raises :class:`ConfigError` when the text no longer validates (a run made by
    another version of segsql).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        try:
            data = json.loads(text)
        except ValueError:
            raise ConfigError("the stored config is neither TOML nor JSON", path=path or "<config>") from None
    return _build(data, base_dir=base_dir, path=path, text=text)


def config_from_dict(data: dict[str, Any], *, base_dir: str | Path = ".") -> Config:
    """Validate a config given as a dict (the TOML shape), for the Python API.

    >>> cfg = config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id"}})
    >>> cfg.model.k, cfg.preprocess.scaling, cfg.schema
    ('auto', 'standard', 'segsql')
    """
    text = json.dumps(data, sort_keys=True, default=str)
    return _build(data, base_dir=Path(base_dir).resolve(), path=None, text=text)
