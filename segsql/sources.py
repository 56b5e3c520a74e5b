"""Register every configured source as a temporary view named after its key.

The step also records what each source was when the run read it (its
*fingerprint*, stored in ``runs.fingerprint``), so that two runs of one config
can be told apart: for files, each file's path, size and modification time;
for a table, its row count and a checksum of its rows. See the README, "Runs
over time".
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from segsql import sql
from segsql.config import Config
from segsql.errors import QueryError, SourceError
from segsql.session import Session

__all__ = ["Sources", "fingerprint_sources", "is_numeric_type", "reader_for", "register", "register_sources"]

_READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}
_SUFFIXES = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".json": "json", ".jsonl": "json", ".ndjson": "json",
}  # fmt: skip
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
    targets = register_sources(session.con, session.config)
    return Sources(targets=targets, fingerprint=fingerprint_sources(session.con, session.config))


def register_sources(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, str]:
    """Create ``TEMP VIEW <key>`` for each source; return key → what it reads.

    Files are checked to exist and to have at least one row, so that a
    missing, malformed or empty input is reported here, naming the file.
    """
    described: dict[str, str] = {}
    for key, source in config.sources.items():
        where = f"[sources.{key}]"
        if source.table is not None:
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
                raise SourceError(f"{path}: is a folder, not a file ({where} path = {source.path!r})")
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
    return described


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


def fingerprint_sources(con: duckdb.DuckDBPyConnection, config: Config) -> dict[str, dict[str, Any]]:
    """Key → what the source is now, for telling two runs' inputs apart (``runs.fingerprint``).

    A file source lists every file its path matches (a glob, every file) with
    its size in bytes and its modification time (UTC), read from the file
    system: nothing is read from the files. A table source gives its row
    count and a checksum of its rows, the sum of DuckDB's ``hash`` of each row
    (order-free, and unlike an XOR a duplicated row does not cancel out): it
    changes when any value changes, and costs one more scan of the table (the
    feature query scans it as well). Call after :func:`register_sources`.
    """
    prints: dict[str, dict[str, Any]] = {}
    for key, source in config.sources.items():
        if source.table is not None:
            try:
                rows, checksum = sql.execute(con, "sources/fingerprint", name=key).fetchall()[0]
            except QueryError as exc:
                raise SourceError(f"[sources.{key}] table {source.table}: {exc.reason}") from None
            prints[key] = {"table": source.table, "rows": rows, "checksum": checksum}
        else:
            prints[key] = {"files": [_file_print(f) for f in _files(str(config.resolve(source.path or "")))]}
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
