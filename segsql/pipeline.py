"""A run is an ordered list of steps over a session: :data:`STEPS`, and nothing else.

Each step is a function ``(session, results) -> small frozen result``, where
``results`` maps the names of the steps before it to what they returned. It
reads its own config section, earlier results and the relations earlier steps
left in the session. ``run`` executes the tuple; ``validate`` executes its
first part (:data:`CHECKS`). New capabilities are new steps here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from segsql import report, sources, sql
from segsql.config import Config, as_config
from segsql.connection import connect, read_only_transaction
from segsql.errors import SavedThenInterrupted
from segsql.publish import step as publish_step  # `segsql.publish` is the verb
from segsql.session import Progress, Session, open_session
from segsql.steps import (
    diagnostics,
    drift,
    features,
    fit,
    guard,
    lifecycle,
    naming,
    preprocess,
    profiles,
    projection,
    rules,
    stability,
    writeback,
)
from segsql.testhook import pause_point

__all__ = ["CHECKS", "STEPS", "RunResult", "RunTables", "Step", "ValidationResult", "run", "validate"]


@dataclass(frozen=True)
class Step:
    """A named step. ``timed`` steps are announced to the progress display, timed and
    are pause points for the crash tests; ``when`` skips a step the config turns off;
    a ``read_only`` step runs in a read-only DuckDB transaction."""

    name: str
    run: Callable[[Session, Mapping[str, Any]], Any]
    timed: bool = True
    when: Callable[[Config], bool] = lambda config: True
    # the steps that evaluate the user's SQL (the feature query, source views and
    # tables): reading files and tables, they must not write to any database, and
    # DuckDB enforces it (a sequence's nextval is refused); temp tables are allowed
    read_only: bool = False


STEPS: tuple[Step, ...] = (
    Step("sources", sources.register, read_only=True),
    Step("features", features.build, read_only=True),
    Step("rules", naming.check, timed=False),
    Step("preprocess", preprocess.fit),
    Step("diagnostics", diagnostics.diagnose),  # README, "Diagnostics"
    Step("matrix", fit.prepare),
    Step("model", fit.fit),
    Step("lifecycle", lifecycle.match),
    Step("guard", guard.guard, when=lambda config: config.segments.min_size is not None),  # min_size
    Step("stability", stability.measure, when=lambda config: config.lifecycle.stability > 0),
    Step("drift", drift.measure),
    Step("profiles", profiles.build),
    Step("names", naming.name_segments),
    Step("segment_rules", rules.fit),  # README, "Segment rules"
    Step("projection", projection.build),
    Step("writeback", writeback.save),
    Step("publish", publish_step, when=lambda config: bool(config.publish)),  # README, "Publishing"
    # after the commit: a report that fails leaves the run's tables whole, and says so
    Step("report", report.step, when=lambda config: config.output.report),
)
# what `validate` runs: everything that reads the inputs, nothing that fits or writes
CHECKS: tuple[Step, ...] = STEPS[: [s.name for s in STEPS].index("diagnostics") + 1]


def _execute(session: Session, steps: tuple[Step, ...]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    try:
        for step in steps:
            if not step.when(session.config):
                continue
            if not step.timed:
                results[step.name] = _run_step(session, step, results)
                continue
            with session.timed(step.name):
                pause_point(step.name)
                results[step.name] = _run_step(session, step, results)
    except KeyboardInterrupt as exc:
        # a Ctrl-C after the commit (before or in the report) must not say nothing was written
        if "writeback" in results and not isinstance(exc, SavedThenInterrupted):
            raise SavedThenInterrupted(run_id=results["writeback"].run_id) from exc
        raise
    return results


def _run_step(session: Session, step: Step, results: dict[str, Any]) -> Any:
    if not step.read_only:
        return step.run(session, results)
    with read_only_transaction(session.con):
        return step.run(session, results)


class RunTables(Mapping[str, pl.DataFrame]):
    """A run's rows of each output table, read from the database on first access.

    Nothing is read back when the run ends: at 10,000,000 entities ``segments``
    would be a second copy of the labels. A file database is opened read-only
    when a table is first asked for (or the caller's connection is used); an
    in-memory database dies with its run, so its tables are read before it
    closes.
    """

    def __init__(self, config: Config, run_id: int, *, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self._config, self._run_id, self._con = config, run_id, con
        self._frames: dict[str, pl.DataFrame] = {}

    def __getitem__(self, table: str) -> pl.DataFrame:
        if table not in writeback.OUTPUT_TABLES:
            raise KeyError(table)
        if table not in self._frames:
            with connect(self._config, self._con, read_only=True) as db:
                self._frames[table] = self._read(db, table)
        return self._frames[table]

    def __iter__(self) -> Iterator[str]:
        return iter(writeback.OUTPUT_TABLES)

    def __len__(self) -> int:
        return len(writeback.OUTPUT_TABLES)

    def read_all(self, db: duckdb.DuckDBPyConnection) -> None:
        """Read every table now, through ``db`` (an in-memory database about to close)."""
        for table in writeback.OUTPUT_TABLES:
            self._frames[table] = self._read(db, table)

    def _read(self, db: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame:
        params = {"run_id": self._run_id}
        return sql.relation(db, "writeback/run_rows", params, table=(self._config.schema, table)).pl()


@dataclass(frozen=True)
class RunResult:
    """What a run produced. ``tables`` holds this run's rows of every output table, read lazily."""

    run_id: int
    k: int
    k_choice: str
    metrics: dict[str, float]
    tables: RunTables
    timings: dict[str, float]
    warnings: tuple[str, ...]
    database: str
    schema: str
    report: Path | None = None

    @property
    def segments(self) -> pl.DataFrame:
        return self.tables["segments"]

    @property
    def k_sweep(self) -> pl.DataFrame:
        return self.tables["k_sweep"]

    @property
    def profiles(self) -> pl.DataFrame:
        return self.tables["profiles"]

    @property
    def segment_summary(self) -> pl.DataFrame:
        return self.tables["segment_summary"]


@dataclass(frozen=True)
class ValidationResult:
    """What ``validate`` checked: the sources and the feature table, no model."""

    sources: dict[str, str]
    entity: str
    entity_type: str
    columns: tuple[str, ...]
    n_rows: int
    null_counts: dict[str, int] = field(default_factory=dict)
    # what a run would be told before fitting: the preprocessing's and the diagnostics' warnings
    warnings: tuple[str, ...] = ()


def run(
    config: Config | str | Path,
    *,
    con: duckdb.DuckDBPyConnection | None = None,
    progress: Progress | None = None,
    as_of: str | date | datetime | None = None,
    spark: Any = None,
) -> RunResult:
    """Segment the configured data and write every output table; see the README.

    With a caller's DuckDB connection ``con`` the tables are written there and
    the connection is left open. ``as_of`` replaces ``[features.rfm] as_of``
    (a date, or a date and time), so a schedule and a backfill run one config.
    ``spark``: a caller's Spark session for ``[project] engine = "spark"``
    (README, "Spark"), used and never stopped.
    """
    config = as_config(config)
    if as_of is not None:
        config = config.with_as_of(as_of)
    saved = None
    try:
        with open_session(config, con=con, progress=progress) as session, _engine(session, spark) as steps:
            results = _execute(session, steps)
            saved, fitted = results["writeback"], results["model"]
            tables = RunTables(config, saved.run_id, con=con)
            if con is None and config.database == ":memory:":
                tables.read_all(session.con)
            written = results.get("report")
            timings = dict(session.timings)
    except KeyboardInterrupt as exc:  # while the session closes, after the commit
        if saved is not None and not isinstance(exc, SavedThenInterrupted):
            raise SavedThenInterrupted(run_id=saved.run_id) from exc
        raise
    return RunResult(
        run_id=saved.run_id,
        k=fitted.k,
        k_choice=fitted.k_choice,
        metrics={"inertia": fitted.inertia, "silhouette": fitted.silhouette},
        tables=tables,
        timings=timings,
        warnings=writeback.run_warnings(results)
        + ((written.warning,) if written and written.warning else ()),
        database=config.database,
        schema=config.schema,
        report=written.html if written else None,
    )


@contextmanager
def _engine(session: Session, spark: Any, steps: tuple[Step, ...] = STEPS) -> Iterator[tuple[Step, ...]]:
    """The steps to run: :data:`STEPS`, or their Spark forms under ``engine = "spark"`` (README, "Spark")."""
    if session.config.project.engine != "spark" and spark is None:
        yield steps
        return
    from segsql.spark import use_spark

    with use_spark(session, steps, spark=spark) as replaced:
        yield replaced


def validate(
    config: Config | str | Path, *, con: duckdb.DuckDBPyConnection | None = None, spark: Any = None
) -> ValidationResult:
    """Check the config, its sources and the feature query, without fitting or writing.

    The run database is opened read-only when it exists (a source may be a
    table in it); otherwise the checks run in memory.
    """
    config = as_config(config)
    with open_session(config, con=con, read_only=True) as session, _engine(session, spark, CHECKS) as steps:
        results = _execute(session, steps)
    checked = results["features"]
    return ValidationResult(
        sources=dict(results["sources"]),
        entity=checked.entity,
        entity_type=checked.entity_type,
        columns=checked.columns,
        n_rows=results["preprocess"].n_rows,
        null_counts=dict(zip(checked.columns, checked.null_counts, strict=True)),
        warnings=results["preprocess"].warnings + results["diagnostics"].warnings,
    )
