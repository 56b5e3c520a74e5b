"""The Spark engine's outputs: ``[spark] output``, and the run database's view over it.

The lowest part of :mod:`segsql.spark` (no Spark import at module level): the
write-back (:mod:`segsql.steps.writeback`) calls :func:`write_segments` inside
its transaction, and a sandboxed connection (``segsql query``,
:mod:`segsql.connection`) is let read the output folder by :func:`allow_output`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segsql import sql
from segsql.config import Config
from segsql.errors import DatabaseError, SegsqlError
from segsql.testhook import pause_point

__all__ = ["SparkRun", "allow_output", "output_files", "output_target", "write_segments"]


@dataclass
class SparkRun:
    """A run's Spark side: the session, the staging folder, and the temp views it created."""

    spark: Any
    config: Config
    staging: Path
    views: list[str] = field(default_factory=list)

    def view(self, df: Any, name: str) -> None:
        """``df`` as the temp view ``name`` in the Spark session (dropped when the run ends)."""
        df.createOrReplaceTempView(name)
        if name not in self.views:
            self.views.append(name)

    def stage(self, df: Any, name: str) -> str:
        """Write ``df`` to the staging folder as Parquet; return the glob of its files."""
        where = self.staging / name
        df.write.mode("overwrite").parquet(str(where))
        return str(where / "*.parquet")


def output_target(config: Config) -> tuple[Path | None, str | None]:
    """``[spark] output`` as (a Parquet folder, None) or (None, a Spark catalog table name).

    A value with a ``/`` (or a ``\\``) is a folder, resolved against the
    config's folder; default: ``segments`` in ``[output] dir``.
    """
    given = config.spark.output
    if given is None:
        return config.output_dir / "segments", None
    if "/" in given or "\\" in given:
        return config.resolve(given), None
    return None, given


def output_files(folder: Path) -> str:
    """The glob of every run's Parquet files in an output folder (``run_id=N/part-….parquet``)."""
    return str(folder / "run_id=*" / "*.parquet")


def allow_output(con: Any, config: Config) -> None:
    """Let a sandboxed connection (``segsql query``) read the ``[spark] output`` folder, and no other.

    For a Spark catalog table, the folder its ``segments`` view reads, as the view's comment
    says (the run found it in Spark's catalog); a database from before that comment, or a
    view without one, is let into nothing, and its segments cannot be queried.
    """
    folder, _ = output_target(config)
    if folder is None:
        rows = sql.execute(con, "spark/segments_folder", {"schema": config.schema}).fetchall()
        read = rows[0][0] if rows else None
        folder = Path(read) if read and Path(read).is_absolute() else None
    if folder is not None:
        sql.execute(con, "spark/allow_output", folder=_slashed(folder))


def check_segments_object(con: Any, schema: str, *, engine: str) -> None:
    """Refuse a run database whose ``segments`` the other engine made.

    A DuckDB engine's run writes rows to a ``segments`` table; a Spark engine's
    run keeps them in ``[spark] output`` behind a ``segments`` view.
    """
    rows = sql.execute(con, "spark/segments_kind", {"schema": schema}).fetchall()
    kind = rows[0][0] if rows else None
    if engine == "spark" and kind == "BASE TABLE":
        raise DatabaseError(
            f"{schema}.segments in this database is a table written by the DuckDB engine; a Spark run "
            "keeps its segments in [spark] output: use another [project] database or schema"
        )
    if engine != "spark" and kind == "VIEW":
        raise DatabaseError(
            f"{schema}.segments in this database is a view over a Spark engine's [spark] output; a DuckDB "
            'run writes its segments here: use another [project] database or schema, or engine = "spark"'
        )


def write_segments(session: Any, *, entity: str, labels: str, run_id: int) -> None:
    """The run's segments, by entity, to ``[spark] output`` under ``run_id=N``; the ``segments`` view.

    Called inside the write-back's transaction, before its COMMIT. A folder
    output is written aside and renamed into place, so a run killed at any
    moment leaves every earlier run's folder whole; a run killed after the
    rename but before the COMMIT leaves a ``run_id=N`` folder that no
    ``runs`` row names (``segments_latest`` never shows it), and the next run,
    which gets the same number, replaces it.
    """
    run: SparkRun = session.spark
    con, schema = session.con, session.schema
    check_segments_object(con, schema, engine="spark")
    handed = run.staging / "final.parquet"
    sql.execute(con, "spark/final_labels", entity=entity, labels=labels, file=str(handed))
    from pyspark.sql import functions as F

    df = run.spark.read.parquet(str(handed)).withColumn("run_id", F.lit(run_id).cast("bigint"))
    folder, table = output_target(session.config)
    if table is not None:
        folder = _write_table(run.spark, df, table, run_id)
        if folder is None:  # a table DuckDB cannot read (not on this machine's file system)
            raise SegsqlError(
                f"[spark] output: the Spark table {table} is not stored in a local folder, so the run "
                "database cannot show its segments: use a Parquet folder that this machine can read"
            )
        _segments_view(con, schema, folder)
        return
    assert folder is not None
    folder.mkdir(parents=True, exist_ok=True)
    aside = folder / f".segsql-aside-{run_id}-{uuid.uuid4().hex[:8]}"
    df.drop("run_id").write.parquet(str(aside))
    pause_point("spark:aside")
    final = folder / f"run_id={run_id}"
    if final.exists():  # a run that failed after its rename, numbered like this one
        shutil.rmtree(final)
    os.replace(aside, final)
    _segments_view(con, schema, folder)


def _segments_view(con: Any, schema: str, folder: Path) -> None:
    """The ``segments`` view over the output folder's files, commented with the folder."""
    sql.execute(
        con,
        "spark/segments_view",
        view=(schema, "segments"),
        files=output_files(folder),
        folder=_slashed(folder),
        runs="runs",
    )


def _slashed(folder: Path | str) -> str:
    return str(folder).rstrip("/") + "/"


def _write_table(spark: Any, df: Any, table: str, run_id: int) -> Path | None:
    """Append the run to a Spark catalog table partitioned by run_id (replacing a failed run's rows).

    Returns the table's folder when it is on this machine's file system.
    """
    from segsql.spark.sql import first_line, is_spark_error, quote

    parts = tuple(sql.split_name(table))
    try:
        if not spark.catalog.tableExists(table):
            df.write.partitionBy("run_id").format("parquet").saveAsTable(table)
        else:
            df.createOrReplaceTempView("segsql_output_rows")
            try:
                # the name is quoted by sqlglot; the run id is segsql's own integer
                spark.sql(
                    f"INSERT OVERWRITE {quote(parts)} PARTITION (run_id = {int(run_id)}) "
                    "SELECT * EXCEPT (run_id) FROM segsql_output_rows"
                )
            finally:
                spark.catalog.dropTempView("segsql_output_rows")
        rows = spark.sql(f"DESCRIBE TABLE EXTENDED {quote(parts)}").collect()
    except Exception as exc:
        if not is_spark_error(exc):
            raise
        raise SegsqlError(
            f"[spark] output: cannot write the Spark table {table} ({first_line(exc)})"
        ) from None
    location = next((str(r[1]) for r in rows if str(r[0]).strip() == "Location"), "")
    if not location.startswith("file:"):
        return None
    from urllib.parse import unquote, urlparse

    return Path(unquote(urlparse(location).path))
