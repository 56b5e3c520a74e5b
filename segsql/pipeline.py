"""run(config) → RunResult: the ordered list of stages, nothing else."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from . import sql
from .config import Config, load_config
from .connection import connect, scratch
from .features import Features, build_features, count_distinct_points
from .matrix import load_matrix
from .model import fit_model
from .naming import check_rules
from .preprocess import preprocess
from .projection import project_run
from .report import write_report
from .sources import register_sources
from .stream import fit_streaming, streams
from .testhook import pause_point
from .writeback import OUTPUT_TABLES, RunFacts, attach_labels, record_timings, write_run

__all__ = ["RunResult", "ValidationResult", "run", "validate"]

# progress(message) as each stage starts; progress(message, done, total) for steps within one
Progress = Callable[..., None]


@dataclass(frozen=True)
class RunResult:
    """What a run produced. ``tables`` holds this run's rows of every output table."""

    run_id: int
    k: int
    k_choice: str
    metrics: dict[str, float]
    tables: dict[str, pl.DataFrame]
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


def _as_config(config: Config | str | Path) -> Config:
    return config if isinstance(config, Config) else load_config(config)


class _Stages:
    """Times each stage, and tells a progress callback when one starts."""

    def __init__(self, progress: Progress | None):
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        pause_point(name)
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - start

    def step(self, stage: str) -> Callable[[str, int, int], None]:
        """A callback for the steps of ``stage`` (the K sweep's K values, the final fit)."""

        def tell(what: str, done: int, total: int) -> None:
            if self.progress:
                self.progress(f"{stage}: {what}", done, total)

        return tell


def run(
    config: Config | str | Path,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    progress: Progress | None = None,
) -> RunResult:
    """Segment the configured data and write every output table; see the README.

    With a caller's DuckDB connection ``con`` the tables are written there and
    the connection is left open.
    """
    config = _as_config(config)
    started_at = datetime.now()
    stage = _Stages(progress)
    with connect(config, con) as db:
        with stage("sources"):
            sources = register_sources(db, config)
        with stage("features"):
            features = build_features(db, config)
            check_rules(config, features.columns)
            n_distinct = count_distinct_points(db, features.columns, features.n_rows)
        with stage("preprocess"):
            pre = preprocess(db, config, features)
        streamed = streams(config.model, pre.n_rows)  # large minibatch runs: no matrix in memory
        with stage("matrix"):
            X = None if streamed else load_matrix(db, pre.columns)
        with stage("model"):
            if X is None:
                model = fit_streaming(
                    db, pre.columns, config.model, n_rows=pre.n_rows, on_step=stage.step("model")
                )
            else:
                model = fit_model(X, config.model, n_distinct=n_distinct, on_step=stage.step("model"))
        with stage("projection"):
            projection = project_run(db, X, model, pre.columns, config.model, n_rows=pre.n_rows)
            del X
        with stage("writeback"):
            attach_labels(db, model)
            facts = RunFacts(
                started_at=started_at, timings=stage.timings, warnings=pre.warnings, sources=sources
            )
            run_id = write_run(
                db, config, features=features, pre=pre, model=model, facts=facts, projection=projection
            )
        # the runs row was written inside the writeback stage: complete its timings now
        record_timings(db, config, run_id=run_id, timings=stage.timings)
        tables = {
            table: sql.relation(
                db, "writeback/run_rows", {"run_id": run_id}, table=(config.schema, table)
            ).pl()
            for table in OUTPUT_TABLES
        }
        # after the commit: a report that fails leaves the run's tables whole, and says so
        report, report_warning = None, ()
        if config.output.report:
            with stage("report"):
                try:
                    report = write_report(config, run_id=run_id, con=db).html
                except Exception as exc:  # noqa: BLE001 - any failure here must not lose the run
                    report_warning = (
                        f"the report was not written ({type(exc).__name__}: {exc}); the run is saved: "
                        f"rewrite it with `segsql report`",
                    )
    return RunResult(
        run_id=run_id,
        k=model.k,
        k_choice=model.k_choice,
        metrics={"inertia": model.inertia, "silhouette": model.silhouette},
        tables=tables,
        timings=dict(stage.timings),
        warnings=pre.warnings + report_warning,
        database=config.database,
        schema=config.schema,
        report=report,
    )


def validate(config: Config | str | Path, con: duckdb.DuckDBPyConnection | None = None) -> ValidationResult:
    """Check the config, its sources and the feature query, without fitting or writing.

    The run database is opened read-only when it exists (a source may be a
    table in it); otherwise the checks run in memory.
    """
    config = _as_config(config)
    with scratch(config, con) as db:
        sources = register_sources(db, config)
        features: Features = build_features(db, config)
        check_rules(config, features.columns)
        pre = preprocess(db, config, features)
    return ValidationResult(
        sources=sources,
        entity=features.entity,
        entity_type=features.entity_type,
        columns=features.columns,
        n_rows=pre.n_rows,
        null_counts=dict(zip(features.columns, features.null_counts, strict=True)),
    )
