"""The Spark engine's session, staging folder and output (README, "Spark").

:func:`use_spark` starts (or adopts) the Spark session of a run, swaps the
row-level steps of :data:`segsql.pipeline.STEPS` for their Spark forms
(:mod:`segsql.spark.steps`) and, when the run ends, drops what it left in
Spark, removes its staging folder and stops a session it started itself (a
caller's session is never stopped). The write-back's Spark part is
:mod:`segsql.spark.output`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from segsql.config import Config
from segsql.errors import ConfigError, SegsqlError
from segsql.spark.output import SparkRun, output_target

if TYPE_CHECKING:
    from segsql.session import Session

__all__ = ["SparkRun", "spark_steps", "use_spark"]

# pyspark's loggers of failed queries (pyspark.errors.exceptions.captured)
_QUERY_LOGGERS = ("SQLQueryContextLogger", "DataFrameQueryContextLogger")

# the folder beside [spark] output (or in [output] dir) where a run stages what Spark computed
_STAGING_PREFIX = ".segsql-staging-"


def spark_steps(steps: tuple[Any, ...]) -> tuple[Any, ...]:
    """``steps`` with the row-level ones replaced by their Spark forms."""
    from segsql.spark import profiles
    from segsql.spark import steps as spark

    forms = {
        "sources": spark.sources,
        "features": spark.features,
        "preprocess": spark.preprocess,
        "matrix": spark.prepare,
        "model": spark.fit,
        "profiles": profiles.build,
    }
    return tuple(replace(step, run=forms[step.name]) if step.name in forms else step for step in steps)


def check_config(config: Config) -> None:
    """Refuse, naming the key, what the Spark engine does not do."""
    f = config.features
    for key in ("categorical", "weight"):
        if getattr(f, key, None):
            raise config.error('is not supported under [project] engine = "spark" (yet)', f"features.{key}")
    if f.recipe == "rfm" and f.rfm is not None and getattr(f.rfm, "timestamp_format", None):
        raise config.error(
            'is not supported under [project] engine = "spark" (strftime formats are not Spark\'s '
            "patterns): parse the column in a [features] sql query, or use the DuckDB engine",
            "features.rfm.timestamp_format",
        )
    if config.spark.fit == "mllib":
        if config.model.algorithm != "kmeans":
            raise config.error(
                f'fit = "mllib" fits k-means (MLlib KMeans), not {config.model.algorithm!r}: '
                'use [model] algorithm = "kmeans" or [spark] fit = "sample"',
                "spark.fit",
            )
        if config.lifecycle.warm_start:
            raise config.error(
                'fit = "mllib" cannot start from the previous run\'s centres: use [spark] fit = "sample" '
                "or turn [lifecycle] warm_start off",
                "spark.fit",
            )
    folder, _ = output_target(config)
    if folder is not None and folder.exists() and not folder.is_dir():
        raise config.error(f"{folder} is a file, not a folder", "spark.output")


@contextlib.contextmanager
def use_spark(session: Session, steps: tuple[Any, ...], *, spark: Any = None) -> Iterator[tuple[Any, ...]]:
    """Run ``session`` on Spark: yield the steps to execute; clean up after them.

    ``spark`` is a caller's session (classic or Connect), used and never
    stopped. Without it, a Spark session already active in this process is
    used the same way, else one is started from ``[spark] master`` and
    ``conf`` and stopped at the end.
    """
    config = session.config
    check_config(config)
    started = False
    if spark is None:
        spark, started = _start(config)
    folder, _ = output_target(config)
    base = folder.parent if folder is not None else config.output_dir
    base.mkdir(parents=True, exist_ok=True)
    _clean_stale(base)
    staging = base / f"{_STAGING_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
    run = SparkRun(spark=spark, config=config, staging=staging)
    session.engine, session.spark = "spark", run
    # pyspark logs each failed query with its JVM stack; segsql reports it in one line itself
    quiet = [logging.getLogger(name) for name in _QUERY_LOGGERS]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.CRITICAL)
    try:
        yield spark_steps(steps)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)
        for name in run.views:
            with contextlib.suppress(Exception):  # a session stopped under us has nothing to drop
                spark.catalog.dropTempView(name)
        shutil.rmtree(staging, ignore_errors=True)
        if started:
            spark.stop()


def _start(config: Config) -> tuple[Any, bool]:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            'engine = "spark" needs pyspark (pip install "segsql[spark]") and Java 17 or later',
            path=config.path or config.name,
            key="project.engine",
        ) from None
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    builder = SparkSession.builder.master(config.spark.master).appName(f"segsql {config.project.name}")
    for key, value in config.spark.conf.items():
        builder = builder.config(key, str(value).lower() if isinstance(value, bool) else str(value))
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # no Java, a master that cannot be reached, a bad setting
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SegsqlError(f"cannot start Spark (master {config.spark.master!r}): {reason}") from None
    # segsql says what went wrong in one line; Spark's own warnings would bury it
    with contextlib.suppress(Exception):
        spark.sparkContext.setLogLevel("ERROR")
    return spark, True


def _clean_stale(base: Path) -> None:
    """Remove staging folders of runs that were killed (their process is gone)."""
    for stale in base.glob(f"{_STAGING_PREFIX}*"):
        pid = stale.name[len(_STAGING_PREFIX) :].split("-")[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
