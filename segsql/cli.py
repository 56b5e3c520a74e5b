"""The `segsql` command: each command makes one library call and prints.

No SQL and no database access here; errors are handled in one place
(:func:`_handle_errors`), which prints ``Error: …`` and exits non-zero.
"""

from __future__ import annotations

import functools
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import polars as pl
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

import segsql as api
from segsql.errors import SegsqlError
from segsql.version import __version__

app = typer.Typer(
    name="segsql",
    help="SQL-native customer segmentation over DuckDB. See the README for the config file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# off a terminal (pipes, schedulers' logs) rich assumes 80 columns; tables need more
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, highlight=False, soft_wrap=True)
_state = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])
ConfigArg = Annotated[Path, typer.Argument(help="The segsql config file (TOML).", show_default=False)]


def _handle_errors(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except SegsqlError as exc:
            if _state["debug"]:
                traceback.print_exc()
            err.print(f"Error: {exc}", markup=False)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("Error: interrupted; nothing was written", markup=False)
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug, not bad input: still one line unless --debug
            if _state["debug"]:
                traceback.print_exc()
            first = str(exc).splitlines()[0] if str(exc) else ""
            err.print(
                f"Error: unexpected {type(exc).__name__}: {first} (run with --debug for the traceback)",
                markup=False,
            )
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        out.print(f"segsql {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command()
@_handle_errors
def run(
    config: ConfigArg,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
) -> None:
    """Run the pipeline: features, preprocessing, K sweep, final fit, output tables."""
    display = _progress(quiet)
    try:
        result = api.run(config, progress=display.update if display else None)
    finally:
        if display:
            display.stop()
    if not quiet:
        _print_run(result)


@app.command()
@_handle_errors
def validate(config: ConfigArg) -> None:
    """Check the config, its sources and the feature query, without fitting or writing."""
    checked = api.validate(config)
    out.print(f"OK {config}: {checked.n_rows} rows, entity {checked.entity!r} ({checked.entity_type})")
    for name, target in checked.sources.items():
        out.print(f"  source {name}: {target}")
    nulls = {c: n for c, n in checked.null_counts.items() if n}
    out.print(f"  features: {', '.join(checked.columns)}")
    if nulls:
        out.print(f"  NULLs (imputed or dropped as configured): {nulls}")


@app.command()
@_handle_errors
def init(
    datafile: Annotated[Path, typer.Argument(help="A CSV, Parquet or JSON file.", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the config.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config.")] = False,
) -> None:
    """Write a starter config for a data file (entity and numeric columns detected)."""
    written = api.init_config(datafile, output=output, force=force)
    out.print(f"Wrote {written}; run it with: segsql run {written}")


@app.command()
@_handle_errors
def query(
    config: ConfigArg,
    sql: Annotated[str, typer.Argument(help="One SQL statement, run read-only.", show_default=False)],
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Run SQL on the run database (read-only) and print the result."""
    if format not in {"table", "csv", "json"}:
        raise SegsqlError(f"--format: must be table, csv or json (got {format!r})")
    _print_frame(api.query(config, sql), format)


@app.command()
@_handle_errors
def report(
    config: ConfigArg,
    run_id: Annotated[
        int | None, typer.Option("--run", help="The run to report on (default: the latest successful run).")
    ] = None,
) -> None:
    """Rewrite the HTML report and the charts of a run from the database (read-only)."""
    written = api.write_report(config, run_id=run_id)
    out.print(f"Report of run {written.run_id}: {written.html} ({len(written.charts)} charts beside it)")


@app.command()
@_handle_errors
def runs(config: ConfigArg) -> None:
    """List the runs recorded in the config's database, newest first."""
    frame = api.list_runs(config)
    if frame.is_empty():
        out.print("No runs yet.")
        return
    _print_frame(frame, "table")


@app.command()
@_handle_errors
def score(
    config: ConfigArg,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="A CSV, Parquet or JSON file of rows to score.")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", "-t", help="A table or view in the run database to score.")
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="The run to score with (default: the latest).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the scored rows to a .parquet or .csv file.")
    ] = None,
    into: Annotated[
        str | None, typer.Option("--into", help="Write the scored rows to a table in the run database.")
    ] = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Put new rows in the saved segments: nearest centroid, in DuckDB SQL."""
    if format not in {"table", "csv", "json"}:
        raise SegsqlError(f"--format: must be table, csv or json (got {format!r})")
    result = api.score(config, input=input, table=table, run_id=run, output=output, into=into)
    if isinstance(result, pl.DataFrame):
        _print_frame(result, format)
        return
    out.print(f"Scored {result.rows} rows with run {result.run_id} → {result.written_to}")
    _print_frame(result.segments, "table")


@app.command("export-sql")
@_handle_errors
def export_sql(
    config: ConfigArg,
    dialect: Annotated[
        str, typer.Option("--dialect", "-d", help="duckdb, postgres, spark, bigquery, snowflake or trino.")
    ] = "duckdb",
    table: Annotated[
        str | None,
        typer.Option("--table", "-t", help="The table the query reads the rows from (default segsql_input)."),
    ] = None,
    run: Annotated[
        int | None, typer.Option("--run", help="The run whose model to export (default: the latest).")
    ] = None,
) -> None:
    """Print one standalone scoring query, the model's numbers written in, for another engine."""
    sys.stdout.write(api.export_sql(config, dialect=dialect, table=table, run_id=run))


def _progress(quiet: bool) -> _Display | None:
    # a live display only for a person watching: never in pipes, logs or with --quiet
    if quiet or not err.is_terminal:
        return None
    return _Display(err)


class _Steps(MofNCompleteColumn):
    """``done/total`` for a stage with steps (the K sweep); nothing for the others."""

    def render(self, task: Any) -> Text:
        return Text("") if task.total is None else super().render(task)


class _Display:
    """A transient progress line on stderr: the stage, a bar for the K sweep, elapsed time."""

    def __init__(self, console: Console):
        self.bar = Progress(
            SpinnerColumn(),
            TextColumn("segsql: {task.description}"),
            BarColumn(bar_width=24),
            _Steps(),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task = self.bar.add_task("starting", total=None)
        self.bar.start()

    def update(self, message: str, done: int | None = None, total: int | None = None) -> None:
        # a stage without steps shows an indeterminate bar; the K sweep shows K fits of total
        self.bar.update(self.task, description=message, completed=done or 0, total=total)

    def stop(self) -> None:
        self.bar.stop()


def _print_frame(frame: pl.DataFrame, format: str) -> None:
    if format == "csv":
        sys.stdout.write(frame.write_csv())
    elif format == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=2) + "\n")
    else:
        table = Table(show_edge=False, header_style="bold")
        for name in frame.columns:
            table.add_column(name, justify="right" if frame[name].dtype.is_numeric() else "left")
        for row in frame.iter_rows():
            table.add_row(*(_cell(v) for v in row))
        out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e6 else f"{value:.6g}"
    return str(value)


def _print_run(result: Any) -> None:
    rows = result.tables["runs"].row(0, named=True)
    total = sum(result.timings.values())
    out.print(
        f"Run {result.run_id}: {rows['input_rows']} rows, {len(json.loads(rows['features']))} features, "
        f"K = {result.k}, {total:.2f} s → {result.database} (schema {result.schema})"
    )
    out.print(f"K: {result.k_choice}")
    out.print(_timings_line(result.timings, rows), markup=False)
    sweep = Table(title=None, show_edge=False, header_style="bold")
    for name in (
        "K",
        "inertia",
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
        "smallest_share",
    ):
        sweep.add_column(name, justify="right")
    for p in result.k_sweep.sort("k").iter_rows(named=True):
        mark = f"{p['k']} *" if p["chosen"] else str(p["k"])
        sweep.add_row(
            mark,
            f"{p['inertia']:.4f}",
            f"{p['silhouette']:.4f}",
            f"{p['calinski_harabasz']:.1f}",
            f"{p['davies_bouldin']:.4f}",
            f"{p['smallest_share']:.3f}",
        )
    out.print(sweep)
    features = json.loads(rows["features"])
    means = result.profiles.pivot(on="feature", index="segment", values="mean")
    summary = result.segment_summary.sort("segment").join(means, on="segment", how="left")
    table = Table(show_edge=False, header_style="bold")
    for name in ("segment", "name", "size", "share", *features):
        table.add_column(name, justify="left" if name == "name" else "right", no_wrap=name == "name")
    for s in summary.iter_rows(named=True):
        table.add_row(
            str(s["segment"]),
            s["name"],
            str(s["size"]),
            f"{s['share']:.1%}",
            *(_cell(s.get(f)) for f in features),
        )
    out.print("Segments (feature means in original units):")
    out.print(table)
    if result.report is not None:
        out.print(f"Report: {result.report}")
    for warning in result.warnings:
        err.print(f"Warning: {warning}", markup=False)


def _timings_line(timings: dict[str, float], run: dict[str, Any]) -> str:
    """One line: seconds per stage, and the rows the K sweep fitted on when it was a sample."""
    stages = " · ".join(f"{name} {seconds:.2f}" for name, seconds in timings.items())
    sweep = ""
    if run.get("sweep_rows") and run["sweep_rows"] < run["input_rows"]:
        sweep = f" (K sweep on a sample of {run['sweep_rows']} rows)"
    return f"Timings (s): {stages}{sweep}"


def main() -> None:
    """Entry point of the `segsql` console script."""
    app()
