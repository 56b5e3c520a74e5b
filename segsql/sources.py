"""Register every configured source as a temporary view named after its key.

The step also records what each source was when the run read it (its
*fingerprint*, stored in ``runs.fingerprint``), so that two runs of one config
can be told apart: for files, each file's path, size and modification time;
for a table, its row count and a checksum of its rows; for a Delta table, the
version read; for an Iceberg table, the snapshot read. See the README, "Runs
over time".

Lake sources (README, "Lake sources") are read through Arrow: a Delta table
(delta-rs) or an Iceberg table (pyiceberg) becomes an Arrow dataset, or a
stream that can be opened again for each read, registered in the connection
under the source's key. DuckDB pushes the feature query's columns and filters
down into a dataset and reads it in batches, so memory stays bounded. A
registered object is a temporary view: it lives as long as the connection or
until segsql drops its temporary objects from a caller's connection
(:mod:`segsql.connection`), which releases it. A folder of Parquet files in
``key=value/`` subfolders is read with its partition columns, typed.
"""

from __future__ import annotations

import glob
import importlib
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from segsql import sql
from segsql.config import READER_OPTIONS, WHITESPACE, Config, SourceConfig, reader_for
from segsql.errors import QueryError, SourceError
from segsql.session import Session

if TYPE_CHECKING:
    import pyarrow as pa
    from pyiceberg.table import Table as IcebergTable
    from sqlglot import exp

__all__ = ["Sources", "fingerprint_sources", "is_numeric_type", "reader_for", "register", "register_sources"]

_NUMERIC = re.compile(
    r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT"
    r"|FLOAT|DOUBLE|REAL|DECIMAL(\(\d+,\s*\d+\))?)$"
)


def is_numeric_type(type_name: str) -> bool:
    """Whether a DuckDB column type can be a feature.

    >>> is_numeric_type("DECIMAL(18,3)"), is_numeric_type("VARCHAR")
    (True, False)
    """
    return bool(_NUMERIC.match(type_name))


@dataclass(frozen=True)
class Sources(Mapping[str, str]):
    """What the sources step returns: key → what it reads (a path or a table), as a mapping,
    and ``fingerprint``: key → what that source was when the run read it (JSON-ready)."""

    targets: dict[str, str]
    fingerprint: dict[str, dict[str, Any]]

    def __getitem__(self, key: str) -> str:
        return self.targets[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.targets)

    def __len__(self) -> int:
        return len(self.targets)


def register(session: Session, results: Mapping[str, Any]) -> Sources:  # noqa: ARG001
    """The sources step: a temp view per ``[sources.X]``, and each source's fingerprint."""
    targets, lake = _register_all(session.con, session.config)
    return Sources(targets=targets, fingerprint=fingerprint_sources(session.con, session.config, lake=lake))


def register_sources(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, str]:
    """Create ``TEMP VIEW <key>`` for each source; return key → what it reads.

    Files are checked to exist and to have at least one row, so that a
    missing, malformed or empty input is reported here, naming the file.
    """
    return _register_all(con, config)[0]


def _register_all(
    con: duckdb.DuckDBPyConnection, config: Config
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """:func:`register_sources`, and the fingerprint of each lake source as it was read."""
    described: dict[str, str] = {}
    lake: dict[str, dict[str, Any]] = {}
    for key, source in config.sources.items():
        where = f"[sources.{key}]"
        if source.format in ("delta", "iceberg"):
            read = _read_delta(config, key) if source.format == "delta" else _read_iceberg(config, key)
            target, lake[key] = read.target, read.fingerprint
            # the temp view named after the key; DuckDB scans the object on every read of it
            con.register(key, read.data)
        elif source.table is not None:
            target = source.table
            try:
                sql.execute(con, "sources/table", name=key, table=_qualified(con, source.table, key))
            except QueryError as exc:
                raise SourceError(f"{where} table {source.table}: {exc.reason}") from None
        else:
            path = str(config.resolve(source.path or ""))
            target = path
            if not glob.glob(path) and not Path(path).exists():
                raise SourceError(f"{path}: file not found ({where} path = {source.path!r})")
            if Path(path).is_dir():
                if _options(source):
                    raise SourceError(
                        f"{where} {next(iter(_options(source)))}: is a reader option only for CSV-like files "
                        f"({path} is a folder, read as partitioned Parquet)"
                    )
                reader = "read_parquet"
                files = _partitioned_glob(path, key, source.path or "", source.format)
                try:
                    sql.execute(con, "sources/partitioned", name=key, path=files)
                except QueryError as exc:
                    raise SourceError(
                        f"{path}: cannot read the Parquet files in the folder ({exc.reason})"
                    ) from None
            elif source.delimiter == WHITESPACE:
                _register_whitespace(con, key, source, path)
            elif _options(source):
                try:
                    reader_call = _read_csv(
                        path, {_CSV_PARAMETERS[k]: v for k, v in _options(source).items()}
                    )
                    sql.execute(con, "sources/csv", name=key, reader=reader_call)
                except QueryError as exc:
                    raise SourceError(
                        f"{path}: cannot read as csv with the {where} options ({exc.reason})"
                    ) from None
            else:
                reader = reader_for(path, source.format)
                try:
                    sql.execute(con, "sources/file", name=key, reader=reader, path=path)
                except QueryError as exc:
                    raise SourceError(f"{path}: cannot read as {reader[5:]} ({exc.reason})") from None
        try:
            empty = sql.execute(con, "sources/is_empty", name=key).fetchall()[0][0]
        except QueryError as exc:
            raise SourceError(f"{target}: cannot read {where} ({exc.reason})") from None
        if empty:
            raise SourceError(f"{target}: the source {where} has no rows")
        described[key] = target
    return described, lake


def _qualified(con: duckdb.DuckDBPyConnection, name: str, key: str) -> tuple[str, ...]:
    """The table as database.schema.table.

    The source's temp view is named after its key; a key equal to the table's
    own name (``[sources.train] table = "main.train"``) would otherwise make
    the view read itself, since temp objects are found first.
    """
    try:
        parts = sql.split_name(name)
    except ValueError:
        raise SourceError(f"[sources.{key}] table: not a table name: {name!r}") from None
    if len(parts) >= 3:
        return parts
    db, schema, first_is_schema = sql.execute(con, "sources/catalog", {"first": parts[0]}).fetchall()[0]
    if len(parts) == 1:
        return (db, schema, parts[0])
    # two parts: schema.table in this database, or database.table (its default schema)
    return (db, *parts) if first_is_schema else parts


def fingerprint_sources(
    con: duckdb.DuckDBPyConnection, config: Config, *, lake: Mapping[str, dict[str, Any]] | None = None
) -> dict[str, dict[str, Any]]:
    """Key → what the source is now, for telling two runs' inputs apart (``runs.fingerprint``).

    A file source lists every file its path matches (a glob, every file; a
    partitioned folder, its Parquet files) with its size in bytes and its
    modification time (UTC), read from the file system: nothing is read from
    the files. A table source gives its row count and a checksum of its rows,
    the sum of DuckDB's ``hash`` of each row (order-free, and unlike an XOR a
    duplicated row does not cancel out): it changes when any value changes,
    and costs one more scan of the table (the feature query scans it as
    well). A Delta source gives its folder and the version read, an Iceberg
    source its table and the snapshot read: ``lake`` holds those as the
    sources step read them (a commit after it does not change them); without
    it they are looked up again. Call after :func:`register_sources`.
    """
    prints: dict[str, dict[str, Any]] = {}
    for key, source in config.sources.items():
        if source.format in ("delta", "iceberg"):
            if lake is not None and key in lake:
                prints[key] = lake[key]
            else:
                read = _read_delta(config, key) if source.format == "delta" else _read_iceberg(config, key)
                prints[key] = read.fingerprint
        elif source.table is not None:
            try:
                rows, checksum = sql.execute(con, "sources/fingerprint", name=key).fetchall()[0]
            except QueryError as exc:
                raise SourceError(f"[sources.{key}] table {source.table}: {exc.reason}") from None
            prints[key] = {"table": source.table, "rows": rows, "checksum": checksum}
        else:
            path = str(config.resolve(source.path or ""))
            if Path(path).is_dir():
                path = _partitioned_glob(path, key, source.path or "", source.format)
            prints[key] = {"files": [_file_print(f) for f in _files(path)]}
    return prints


def _files(path: str) -> list[str]:
    """The files ``path`` names: every file a glob matches (``**`` too, as DuckDB reads it), sorted."""
    matched = sorted(f for f in glob.glob(path, recursive=True) if Path(f).is_file())
    # a file whose name holds glob characters ("[2024].csv") matches no glob: it is itself
    return matched or [path]


def _file_print(path: str) -> dict[str, Any]:
    stat = Path(path).stat()
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC).replace(tzinfo=None)
    return {"path": path, "size": stat.st_size, "modified": modified.isoformat()}


# --- reader options ---------------------------------------------------------------------------

# [sources.X] key → the name of DuckDB's read_csv parameter it sets
_CSV_PARAMETERS = {
    "delimiter": "delim", "header": "header", "quote": "quote", "skip": "skip",
    "date_format": "dateformat", "timestamp_format": "timestampformat",
    "columns": "columns", "null_values": "nullstr",
}  # fmt: skip


def _options(source: SourceConfig) -> dict[str, Any]:
    """The reader options a source sets, by their ``[sources.X]`` key."""
    return {key: getattr(source, key) for key in READER_OPTIONS if getattr(source, key) is not None}


def _constant(value: Any) -> exp.Expression:
    """A config value as a SQL constant: sqlglot writes and quotes it (never segsql's string formatting)."""
    from sqlglot import exp

    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, list):
        return exp.Array(expressions=[_constant(v) for v in value])
    if isinstance(value, dict):
        return exp.Struct(
            expressions=[
                exp.PropertyEQ(this=exp.Literal.string(k), expression=_constant(v)) for k, v in value.items()
            ]
        )
    raise TypeError(f"not a reader option value: {value!r}")


def _read_csv(path: str, parameters: Mapping[str, Any]) -> exp.Expression:
    """``read_csv(path, <parameter> = <constant>, …)`` as a sqlglot tree.

    The parameter names are segsql's own (DuckDB's names for the ``[sources.X]`` keys,
    ``_CSV_PARAMETERS``, and the whitespace reader's); every value, the path too, is a
    constant sqlglot writes and quotes, since a view (DDL) cannot take bound parameters.
    """
    from sqlglot import exp

    arguments = [exp.Literal.string(path)] + [
        exp.EQ(this=exp.Var(this=name), expression=_constant(value)) for name, value in parameters.items()
    ]
    return exp.Anonymous(this="read_csv", expressions=arguments)


# a field of a whitespace-separated line: what the SQL's regular expressions (RE2) split on is
# \s, the ASCII space, tab, newline, form feed and carriage return
_FIELD = re.compile(r"[^ \t\n\f\r]+")


def _register_whitespace(con: duckdb.DuckDBPyConnection, key: str, source: SourceConfig, path: str) -> None:
    """``delimiter = "whitespace"``: a view splitting each line on runs of spaces and tabs.

    DuckDB's CSV reader splits on one delimiter, so each line is read whole (no delimiter,
    no quoting) and split with a regular expression (queries/sources/whitespace.sql). The
    fields are named by ``columns``, else by the header line (``header = true``: the first
    line after ``skip``), else ``column0``, ``column1``, … as DuckDB names them; they are typed
    by ``columns``, else text. How many fields a line has is set by the names; a line with
    another number is an error naming the file and the line when the view is read.
    """
    from sqlglot import exp

    where = f"[sources.{key}]"
    skip = source.skip or 0

    def first_line(any_line: bool, after: int) -> str | None:
        try:
            rows = sql.execute(
                con, "sources/first_line", {"path": path, "skip": after, "any_line": any_line}
            ).fetchall()
        except QueryError as exc:
            raise SourceError(f"{path}: cannot read as lines ({exc.reason})") from None
        return rows[0][0] if rows else None

    names: list[str]
    if source.columns is not None:
        names = list(source.columns)
    elif source.header:
        header = first_line(True, skip)
        names = _FIELD.findall(header or "")
        if not names:
            raise SourceError(
                f"{path}: {where} header = true, and line {skip + 1} (the header) is blank or missing"
            )
        if len(set(names)) != len(names):
            raise SourceError(f"{path}: the header line names a column twice ({header!r})")
    else:
        line = first_line(False, skip)
        if line is None:
            raise SourceError(f"{path}: the source {where} has no rows")
        names = [f"column{i}" for i in range(len(_FIELD.findall(line)))]
    types = source.columns or {}
    fields = []
    for i, name in enumerate(names):
        field: exp.Expression = exp.Anonymous(
            this="list_extract", expressions=[exp.column("segsql_fields"), exp.Literal.number(i + 1)]
        )
        if types.get(name, "VARCHAR") != "VARCHAR":
            try:
                to = exp.DataType.build(types[name], dialect="duckdb")
            except Exception:  # noqa: BLE001 (sqlglot's parse errors vary by version)
                raise SourceError(
                    f"{where} columns.{name}: the type {types[name]} cannot be used with "
                    f'delimiter = "{WHITESPACE}"'
                ) from None
            field = exp.Cast(this=field, to=to)
        fields.append(exp.PropertyEQ(this=exp.Literal.string(name), expression=field))
    # each line whole: one text column, no delimiter, no quoting
    lines = _read_csv(
        path,
        {"columns": {"segsql_line": "VARCHAR"}, "delim": "", "quote": "", "escape": "", "header": False,
         "skip": skip + (1 if source.header else 0)},
    )  # fmt: skip
    try:
        sql.execute(
            con,
            "sources/whitespace",
            name=key,
            lines=lines,
            row=exp.Struct(expressions=fields),
            n_fields=exp.Literal.number(len(names)),
            file=exp.Literal.string(path),
        )
    except QueryError as exc:
        raise SourceError(f"{path}: cannot read as whitespace-separated fields ({exc.reason})") from None


# --- partitioned Parquet folders ---------------------------------------------------------------


def _partitioned_glob(path: str, key: str, given: str, format: str | None) -> str:
    """The glob that reads every Parquet file under the folder ``path``, after checking what it is.

    A Delta or an Iceberg table's folder holds the files of every version it
    ever had (removed ones too, until a vacuum): read as plain Parquet it would
    give wrong rows, so it is refused with the format that reads it.
    """
    where = f"[sources.{key}] path = {given!r}"
    folder = Path(path)
    if (folder / "_delta_log").is_dir():
        raise SourceError(
            f'{path}: is a Delta table (it has a _delta_log folder): read it with format = "delta" ({where})'
        )
    if any((folder / "metadata").glob("*.metadata.json")):
        raise SourceError(
            f'{path}: is an Iceberg table\'s folder: read it through its catalog, with format = "iceberg" '
            f'and table = "namespace.name" ({where})'
        )
    if format not in (None, "parquet"):
        raise SourceError(
            f"{path}: is a folder, not a file ({where}; a folder is read as partitioned Parquet, "
            f'and the source says format = "{format}")'
        )
    files = str(folder / "**" / "*.parquet")
    if not any(Path(f).is_file() for f in glob.iglob(files, recursive=True)):
        raise SourceError(f"{path}: the folder holds no Parquet files ({where})")
    return files


# --- Delta and Iceberg -------------------------------------------------------------------------


@dataclass(frozen=True)
class _LakeRead:
    """A lake table pinned to one version: what DuckDB scans, what to call it, and its fingerprint."""

    data: Any
    target: str
    fingerprint: dict[str, Any]


class _Rescan:
    """An Arrow stream DuckDB can read more than once: each read opens a new stream.

    For tables the Arrow dataset path cannot read correctly (a Delta table with
    deletion vectors or column mapping; an Iceberg table with delete files or a
    changed schema): the library's own reader streams in batches, so memory
    stays bounded, but the feature query's columns and filters are applied by
    DuckDB after reading rather than pushed down.
    """

    def __init__(self, open_stream: Callable[[], pa.RecordBatchReader]) -> None:
        self._open = open_stream

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._open().__arrow_c_stream__(requested_schema)


_EXTRA = "pip install 'segsql[lake]'"


def _lake_library(module: str, key: str, format: str) -> None:
    """Import ``module`` (deltalake, pyiceberg) or say which extra installs it."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise SourceError(f'[sources.{key}] format = "{format}" needs the lake extra: {_EXTRA}') from None


def _reason(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _read_delta(config: Config, key: str) -> _LakeRead:
    """The Delta table of ``[sources.<key>]`` at its version: an Arrow dataset, or a rescannable stream."""
    _lake_library("deltalake", key, "delta")
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, DeltaProtocolError, TableNotFoundError

    source = config.sources[key]
    where = f"[sources.{key}]"
    path = str(config.resolve(source.path or ""))
    try:
        table = DeltaTable(path)
    except TableNotFoundError:
        raise SourceError(f"{path}: no Delta table there ({where} path = {source.path!r})") from None
    except (DeltaError, OSError) as exc:
        raise SourceError(f"{path}: cannot read the Delta table ({_reason(exc)})") from None
    latest = table.version()
    if source.version is not None:
        if source.version > latest:
            raise SourceError(
                f"{where} version = {source.version}: the Delta table at {path} has versions up to {latest} "
                f"(versions 0 to {latest}, unless older ones were cleaned up)"
            )
        try:
            table.load_as_version(source.version)
        except DeltaError as exc:
            raise SourceError(
                f"{where} version = {source.version}: cannot load it from {path} ({_reason(exc)})"
            ) from None
    elif source.timestamp is not None:
        _travel_to(table, source.timestamp, where=where, path=path)
    try:
        data: Any = table.to_pyarrow_dataset()
    except DeltaProtocolError:
        # reader features the Arrow dataset path cannot honour (deletion vectors, column
        # mapping): delta-rs's own scan reads them, streamed
        data = _Rescan(table.scan)
    version = table.version()
    return _LakeRead(data=data, target=path, fingerprint={"delta": path, "version": version})


def _travel_to(table: Any, when: datetime, *, where: str, path: str) -> None:
    """Load the version current at ``when`` (UTC unless it carries an offset); refuse a time before it."""
    from deltalake.exceptions import DeltaError

    instant = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    shown = f"{where} timestamp = {when.isoformat()}"
    # the commit times the table's history shows (DESCRIBE HISTORY, DeltaTable.history()): the
    # latest version committed at or before the instant. delta-rs's own lookup goes by the log
    # files' modification times, a few ms later, and gives the oldest version for a time before
    # the table existed, which is no version at all.
    commits = {entry["version"]: entry.get("timestamp") for entry in table.history()}
    millis = instant.timestamp() * 1000
    if all(isinstance(t, int) for t in commits.values()):
        before = [v for v, t in commits.items() if t <= millis]
        if not before:
            first = datetime.fromtimestamp(min(commits.values()) / 1000, tz=UTC).isoformat()
            raise SourceError(
                f"{shown}: the Delta table at {path} has no version that old "
                f"(its oldest was committed at {first})"
            )
        target: int | datetime = max(before)
    else:  # a writer that records no commit times: delta-rs's lookup
        target = instant
    try:
        table.load_as_version(target)
    except DeltaError as exc:
        raise SourceError(f"{shown}: no version of the Delta table at {path} then ({_reason(exc)})") from None


def _read_iceberg(config: Config, key: str) -> _LakeRead:
    """The Iceberg table of ``[sources.<key>]`` at its snapshot: an Arrow dataset, or a rescannable stream."""
    _lake_library("pyiceberg", key, "iceberg")
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchIdentifierError, NoSuchNamespaceError, NoSuchTableError

    source = config.sources[key]
    where = f"[sources.{key}]"
    name = source.table or ""
    try:
        if isinstance(source.catalog, str):
            catalog = load_catalog(source.catalog)
        else:
            properties = catalog_properties(config, source.catalog or {})
            # the catalog's name is part of what a SQL catalog stores with each table
            catalog = load_catalog(properties.pop("name", "default"), **properties)
    # a catalog is a plugin (SQL, REST, Glue, Hive …), each with its own errors; any of them is
    # the configured catalog failing, named here, not a bug in segsql
    except Exception as exc:  # noqa: BLE001
        raise SourceError(f"{where} catalog: cannot load the Iceberg catalog ({_reason(exc)})") from None
    try:
        table = catalog.load_table(name)
    except (NoSuchTableError, NoSuchNamespaceError, NoSuchIdentifierError):
        raise SourceError(f"{where} table = {name!r}: no such table in the Iceberg catalog") from None
    except Exception as exc:  # noqa: BLE001 (as above: the catalog's own errors)
        raise SourceError(
            f"{where} table = {name!r}: cannot load it from the catalog ({_reason(exc)})"
        ) from None
    if source.snapshot_id is not None:
        snapshot = table.snapshot_by_id(source.snapshot_id)
        if snapshot is None:
            known = ", ".join(str(s.snapshot_id) for s in table.snapshots()[-5:]) or "none"
            raise SourceError(
                f"{where} snapshot_id = {source.snapshot_id}: the table {name} has no such snapshot "
                f"(its latest: {known})"
            )
    else:
        snapshot = table.current_snapshot()
        if snapshot is None:
            raise SourceError(f"{name}: the source {where} has no rows (the Iceberg table has no snapshot)")
    snapshot_id = snapshot.snapshot_id

    def scan() -> Any:
        # the current snapshot with the table's current schema (the loaded metadata pins both);
        # an older snapshot with the schema it was written with, as Iceberg time travel reads it
        return table.scan(snapshot_id=source.snapshot_id) if source.snapshot_id is not None else table.scan()

    data = _iceberg_dataset(table, scan())
    if data is None:
        data = _Rescan(lambda: scan().to_arrow_batch_reader())
    return _LakeRead(data=data, target=name, fingerprint={"iceberg": name, "snapshot_id": snapshot_id})


def _iceberg_dataset(table: IcebergTable, scan: Any) -> Any | None:
    """A pyarrow dataset over the snapshot's data files, when reading them as they are is correct.

    That is: no delete files, one schema in the table's whole history (files are
    matched to columns by name here, where pyiceberg matches by field id, so a
    renamed column would read as NULL), no name mapping (files added from
    elsewhere), and local files. Otherwise ``None``: pyiceberg's own reader.
    """
    import pyarrow.dataset as ds

    if len(table.metadata.schemas) != 1 or "schema.name-mapping.default" in table.properties:
        return None
    paths = []
    for task in scan.plan_files():
        if task.delete_files:
            return None
        location = task.file.file_path
        if location.startswith("file://"):
            location = location[len("file://") :]
        elif location.startswith("file:"):
            location = location[len("file:") :]
        elif "://" in location:
            return None  # object stores: pyiceberg's FileIO holds the catalog's credentials
        paths.append(location)
    return ds.dataset(paths, schema=table.schema().as_arrow(), format="parquet")


def catalog_properties(config: Config, properties: Mapping[str, str]) -> dict[str, str]:
    """pyiceberg catalog properties with relative paths made the config folder's.

    A relative ``sqlite:///`` database in ``uri`` and a ``warehouse`` given as a
    plain path (no ``scheme://``) or a relative ``file://`` one are resolved
    against the config's folder (for reading a source and for publishing). The
    key ``name`` is the catalog's name (default ``"default"``), not a property.

    >>> from segsql import config_from_dict
    >>> c = config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id"}}, base_dir="/lake")
    >>> catalog_properties(c, {"uri": "sqlite:///cat.db", "warehouse": "wh", "type": "sql"})
    {'uri': 'sqlite:////lake/cat.db', 'warehouse': 'file:///lake/wh', 'type': 'sql'}
    """
    resolved = dict(properties)
    uri = resolved.get("uri", "")
    if uri.startswith("sqlite:///"):
        database = uri[len("sqlite:///") :]
        if database and not database.startswith(("/", ":memory:")):
            resolved["uri"] = "sqlite:///" + str(config.resolve(database))
    warehouse = resolved.get("warehouse")
    if warehouse and "://" not in warehouse and not warehouse.startswith("file:"):
        resolved["warehouse"] = config.resolve(warehouse).as_uri()
    elif warehouse and warehouse.startswith("file://") and not warehouse[len("file://") :].startswith("/"):
        resolved["warehouse"] = config.resolve(warehouse[len("file://") :]).as_uri()
    return resolved
