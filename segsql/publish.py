"""Publish a run's output tables to a lake: partitioned Parquet, Delta or Iceberg (README, "Publishing").

Each ``[[publish]]`` target receives, for each of its tables, the run's rows
read from the DuckDB tables after the run's commit, partitioned by ``run_id``.
Publishing a run again replaces that run's partition and nothing else, so a
retried job is safe. Every table moves from one whole version to the next:

- Parquet: ``<path>/<table>/run_id=<N>/part-0.parquet`` is written aside, in
  ``<path>/.segsql-publishing/`` (outside every table's folder, so no reader
  globbing a table sees a half-written file; DuckDB's hive reading does not
  skip dot-folders), then renamed into place: one rename of a folder, or of
  the file when the partition is there already. An aside a killed publish left
  is removed by the next one.
- Delta: one ``write_deltalake`` overwrite with the predicate ``run_id = N``:
  a Delta commit is one atomic log entry.
- Iceberg: one transaction that overwrites the rows ``run_id = N``.

There is no transaction across tables or targets: a publish stopped between
two tables leaves the tables before it at the new version and the others at the
old one, each whole; ``segsql publish`` (:func:`publish`) completes it. The
``publishes`` table in the run database records each table published.

The lake libraries are the ``lake`` extra, imported only here and only when a
target needs them.
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from segsql import sql
from segsql.config import Config, PublishConfig, as_config
from segsql.connection import connect
from segsql.errors import SavedThenInterrupted, SegsqlError
from segsql.session import Session
from segsql.sources import catalog_properties
from segsql.testhook import pause_point

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["PublishError", "PublishResult", "Published", "publish", "step"]

# beside the tables of a Parquet target: where partitions are written before they are renamed into place
ASIDE = ".segsql-publishing"


@dataclass(frozen=True)
class Published:
    """One table published: to which target, its lake version (Delta version, Iceberg snapshot id;
    None for Parquet) and the rows of the run it holds."""

    target: str
    format: str
    table: str
    version: int | None
    rows: int


@dataclass(frozen=True)
class PublishResult:
    """What :func:`publish` (or a run's publish step) published."""

    run_id: int
    tables: tuple[Published, ...]


class PublishError(SegsqlError):
    """Publishing a saved run failed: the run's DuckDB tables are intact; the message says how to retry."""

    def __init__(self, *, run_id: int, target: str, reason: str, config: str):
        self.run_id = run_id
        self.target = target
        self.reason = reason
        super().__init__(
            f"run {run_id} was saved; publishing to {target} failed ({reason}): "
            f"run segsql publish {config} --run {run_id} to retry"
        )


def publish(
    config: Config | str | Path, *, run_id: int | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> PublishResult:
    """Publish a run (default: the latest successful one) to every ``[[publish]]`` target of the config.

    Idempotent: the run's partition of each lake table is replaced, the other
    runs' are left alone. Call it again after a failure to complete a publish.
    """
    config = as_config(config)
    if not config.publish:
        raise config.error("there is nothing to publish to: add a [[publish]] target (README, Publishing)")
    with connect(config, con) as db:
        found = _run(config, db, run_id)
        pause_point("publish")
        return publish_run(config, db, found)


def step(session: Session, results: Mapping[str, Any]) -> PublishResult:
    """The publish step, after the run's commit: a failure says the run is saved and how to retry."""
    run_id = results["writeback"].run_id
    try:
        return publish_run(session.config, session.con, run_id)
    except KeyboardInterrupt as exc:  # the run is committed: a Ctrl-C here must not say otherwise
        if isinstance(exc, SavedThenInterrupted):
            raise
        raise SavedThenInterrupted(run_id=run_id) from exc


def publish_run(config: Config, db: duckdb.DuckDBPyConnection, run_id: int) -> PublishResult:
    """Publish ``run_id`` from ``db`` to every target, table by table, recording each in ``publishes``."""
    schema = config.schema
    sql.execute(db, "publish/publishes_table", schema=schema)
    done: list[Published] = []
    for target in config.publish:
        label = _label(config, target)
        try:
            writer = _Writer.open(config, target)
        except Exception as exc:  # noqa: BLE001 - any failure here leaves the run saved, and says so
            raise _failed(config, run_id, label, exc) from exc
        for table in target.published:
            pause_point(f"publish:{table}")
            try:
                version, rows = writer.write(db, schema, table, run_id)
            except Exception as exc:  # noqa: BLE001
                raise _failed(config, run_id, label, exc, table=table) from exc
            params = {
                "run_id": run_id,
                "target": label,
                "format": target.format,
                "table_name": table,
                "version": version,
                "rows": rows,
            }
            sql.execute(db, "publish/record", params, schema=schema)
            done.append(
                Published(target=label, format=target.format, table=table, version=version, rows=rows)
            )
    return PublishResult(run_id=run_id, tables=tuple(done))


def _run(config: Config, db: duckdb.DuckDBPyConnection, run_id: int | None) -> int:
    try:
        rows = sql.execute(db, "publish/run", {"run_id": run_id}, schema=config.schema).fetchall()
    except SegsqlError:  # no runs table: nothing was ever written here
        rows = []
    if not rows:
        which = f"no successful run {run_id}" if run_id is not None else "no successful run"
        raise SegsqlError(f"{config.database}: there is {which} to publish (see segsql runs)")
    return int(rows[0][0])


def _failed(
    config: Config, run_id: int, label: str, exc: Exception, *, table: str | None = None
) -> PublishError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if not isinstance(exc, SegsqlError):
        reason = f"{type(exc).__name__}: {reason}"
    if table is not None:
        reason = f"table {table}: {reason}"
    where = str(config.path) if config.path else "CONFIG"
    return PublishError(run_id=run_id, target=label, reason=reason, config=where)


def _label(config: Config, target: PublishConfig) -> str:
    """How a target is named in messages and in ``publishes.target``."""
    if target.format == "iceberg":
        catalog = target.catalog
        named = catalog if isinstance(catalog, str) else (catalog or {}).get("uri", "of the given properties")
        return f"iceberg namespace {target.namespace} (catalog {named})"
    return f"{target.format} {config.resolve(target.path or '')}"


def _missing(fmt: str, package: str) -> SegsqlError:
    return SegsqlError(
        f'[[publish]] format = "{fmt}" needs the {package} package, which is not installed: '
        "install 'segsql[lake]'"
    )


class _Writer:
    """Publishes one table of a run to one target; returns (lake version or None, rows)."""

    @staticmethod
    def open(config: Config, target: PublishConfig) -> _Writer:
        if target.format == "parquet":
            return _Parquet(config.resolve(target.path or ""))
        if target.format == "delta":
            return _Delta(config.resolve(target.path or ""))
        return _Iceberg(config, target)

    def write(
        self, db: duckdb.DuckDBPyConnection, schema: str, table: str, run_id: int
    ) -> tuple[int | None, int]:
        raise NotImplementedError


class _Parquet(_Writer):
    def __init__(self, root: Path):
        self.root = root

    def write(
        self, db: duckdb.DuckDBPyConnection, schema: str, table: str, run_id: int
    ) -> tuple[int | None, int]:
        partition = f"run_id={run_id}"
        final = self.root / table / partition
        aside_table = self.root / ASIDE / table
        # a stale aside (a killed publish) goes first; only one process publishes from a database
        # at a time, as only one can write to it (publishes)
        shutil.rmtree(aside_table, ignore_errors=True)
        aside = aside_table / partition
        aside.mkdir(parents=True)
        part = aside / "part-0.parquet"
        params = {"run_id": run_id, "path": str(part)}
        rows = sql.execute(db, "publish/parquet_partition", params, table=(schema, table)).fetchall()[0][0]
        _fsync(part)
        pause_point(f"publish:{table}:aside")
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.is_dir():
            # the run was published before: replace its file in one rename
            os.replace(part, final / part.name)
        else:
            os.replace(aside, final)
        _fsync(final.parent)
        shutil.rmtree(aside_table, ignore_errors=True)
        with suppress(OSError):
            (self.root / ASIDE).rmdir()  # when no other table's aside is left
        return None, int(rows)


class _Delta(_Writer):
    def __init__(self, root: Path):
        try:
            import deltalake
        except ImportError:
            raise _missing("delta", "deltalake") from None
        self.deltalake = deltalake
        self.root = root

    def write(
        self, db: duckdb.DuckDBPyConnection, schema: str, table: str, run_id: int
    ) -> tuple[int | None, int]:
        import pyarrow as pa

        uri = str(self.root / table)
        reader = sql.relation(db, "publish/rows", {"run_id": run_id}, table=(schema, table)).to_arrow_reader()
        counted = [0]

        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                counted[0] += batch.num_rows
                yield batch

        try:
            # one commit replaces the run's rows (creating the table on the first publish); a new
            # column of a newer segsql is added to the table (schema_mode="merge")
            self.deltalake.write_deltalake(
                uri,
                pa.RecordBatchReader.from_batches(reader.schema, batches()),
                mode="overwrite",
                # run_id is an integer from the run database, never text from a user
                predicate=f"run_id = {int(run_id)}",
                partition_by=["run_id"],
                schema_mode="merge",
            )
        finally:
            reader.close()  # drained, or abandoned by a failure: the connection must be free again
        return self.deltalake.DeltaTable(uri).version(), counted[0]


class _Iceberg(_Writer):
    def __init__(self, config: Config, target: PublishConfig):
        try:
            from pyiceberg.catalog import load_catalog
        except ImportError:
            raise _missing("iceberg", "pyiceberg") from None
        catalog = target.catalog
        if isinstance(catalog, str):
            self.catalog = load_catalog(catalog)
        else:
            properties = catalog_properties(config, catalog or {})
            if properties.get("uri", "").startswith("sqlite:///"):
                # SQLite creates its file, not the file's folder
                Path(properties["uri"][len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
            # `name` is the catalog's name, which a SQL catalog keeps with each table; pyiceberg's
            # default ("default") when not given
            self.catalog = load_catalog(properties.pop("name", None), **properties)
        self.namespace = tuple((target.namespace or "").split("."))
        self.catalog.create_namespace_if_not_exists(self.namespace)

    def write(
        self, db: duckdb.DuckDBPyConnection, schema: str, table: str, run_id: int
    ) -> tuple[int | None, int]:
        from pyiceberg.exceptions import NoSuchTableError, TableAlreadyExistsError
        from pyiceberg.expressions import EqualTo

        data = _nullable(
            sql.relation(db, "publish/rows", {"run_id": run_id}, table=(schema, table)).to_arrow_table()
        )
        identifier = (*self.namespace, table)
        try:
            lake = self.catalog.load_table(identifier)
        except NoSuchTableError:
            # created with its partition spec in one commit: never a table without it
            created = self.catalog.create_table_transaction(identifier, schema=data.schema)
            with created.update_spec() as spec:
                spec.add_identity("run_id")
            with suppress(TableAlreadyExistsError):  # created meanwhile by another publish
                created.commit_transaction()
            lake = self.catalog.load_table(identifier)
        with lake.transaction() as transaction:
            if _new_columns(lake.schema().as_arrow(), data.schema):  # a column of a newer segsql
                with transaction.update_schema() as update:
                    update.union_by_name(data.schema)
            with warnings.catch_warnings():  # a first publish of the run deletes nothing, and says so
                warnings.filterwarnings("ignore", "Delete operation did not match any records")
                transaction.overwrite(data, overwrite_filter=EqualTo(term="run_id", value=run_id))
        snapshot = self.catalog.load_table(identifier).current_snapshot()
        return (snapshot.snapshot_id if snapshot else None), data.num_rows


def _nullable(data: pa.Table) -> pa.Table:
    """Every field nullable, as Iceberg wants them (DuckDB's NOT NULL would make a required field)."""
    import pyarrow as pa

    schema = pa.schema([field.with_nullable(True) for field in data.schema])
    return data.cast(schema)


def _new_columns(lake: pa.Schema, data: pa.Schema) -> bool:
    return bool(set(data.names) - set(lake.names))


def _fsync(path: Path) -> None:
    """Make a written file (or a folder's entries) durable before it is renamed into sight."""
    with suppress(OSError):  # some file systems cannot sync a folder; the rename is still atomic
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
