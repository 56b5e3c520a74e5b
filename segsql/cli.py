"""The `segsql` command: each command makes one library call and prints.

No SQL and no database access here; errors are handled in one place
(:func:`_handle_errors`), which prints ``Error: …`` and exits non-zero.
Everything printed is plain text: names and values from a config or the data
are never read as rich markup (``[bold]``), emoji codes (``:x:``) or terminal
control sequences; tables are built from :class:`rich.text.Text` cells and
lines go through :func:`_say`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sys
import textwrap
import traceback
import unicodedata
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

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
from typer.core import TyperCommand, TyperGroup

import segsql as api
from segsql.errors import SavedThenInterrupted, SegsqlError, SegsqlWarning, environment_error
from segsql.version import __version__

# `segsql --help` must start at once: Polars, the config (pydantic, DuckDB) and the steps
# (scikit-learn, through segsql.steps.fit) are imported by the commands that use them, and
# `segsql` itself loads its verbs on first use (segsql/__init__.py)
if TYPE_CHECKING:
    import polars as pl

    from segsql.steps.naming import Labels


class _Flags:
    """Help without a type for on/off flags: ``--quiet`` rather than ``--quiet <bool>``."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if getattr(param, "is_flag", False):
                param.metavar = ""  # typer shows an option's metavar, when set, as its type
        return params


class _Command(_Flags, TyperCommand):
    pass


class _Group(_Flags, TyperGroup):
    pass


app = typer.Typer(
    cls=_Group,
    name="segsql",
    help="SQL-native customer segmentation over DuckDB. See the README for the config file.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# off a terminal (pipes, schedulers' logs) rich assumes 80 columns; tables need more
# text from a config or the data is never markup, an emoji code or highlighted
out = Console(
    highlight=False, markup=False, emoji=False, soft_wrap=True, width=None if sys.stdout.isatty() else 200
)
err = Console(stderr=True, highlight=False, markup=False, emoji=False, soft_wrap=True)
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
            _say(err, f"Error: {exc}")
            raise typer.Exit(1) from None
        except SavedThenInterrupted as exc:
            _say(err, f"Error: interrupted after run {exc.run_id} was saved (its tables are complete)")
            raise typer.Exit(130) from None
        except KeyboardInterrupt:
            _say(err, "Error: interrupted; nothing was written")
            # only a run that fitted has loaded the module (and scikit-learn): no need to load it
            fit_threads = sys.modules.get("segsql.steps.fit.threads")
            if fit_threads is not None and fit_threads.busy():
                # a fit's C code is still running on a worker thread (see segsql.steps.fit.threads):
                # everything is rolled back and closed, and a normal exit would wait for it or crash
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(130)
            raise typer.Exit(130) from None
        except Exception as exc:
            if _state["debug"]:
                traceback.print_exc()
            # a full or read-only folder, a damaged database file: bad environment, not a bug
            known = environment_error(exc)
            if known is not None:
                _say(err, f"Error: {known}")
                raise typer.Exit(1) from None
            # a bug, not bad input: still one line unless --debug
            first = str(exc).splitlines()[0] if str(exc) else ""
            _say(err, f"Error: unexpected {type(exc).__name__}: {first} (run with --debug for the traceback)")
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        _say(out, f"segsql {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _state["debug"] = debug


@app.command(cls=_Command)
@_handle_errors
def run(
    config: ConfigArg,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Replace [features.rfm] as_of: a date or a date and time (2011-12-01, 2011-12-01T06:00:00).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run the pipeline: features, preprocessing, K sweep, final fit, output tables."""
    display = _progress(quiet)
    try:
        result = api.run(config, progress=display.update if display else None, as_of=as_of)
    finally:
        if display:
            display.stop()
    if not quiet:
        try:
            from segsql.config import as_config

            _print_run(result, labels=as_config(config).features.labels)
        except KeyboardInterrupt as exc:  # while printing: the run is already saved
            raise SavedThenInterrupted(run_id=result.run_id) from exc


@app.command(cls=_Command)
@_handle_errors
def validate(config: ConfigArg) -> None:
    """Check the config, its sources and the feature query, without fitting or writing."""
    checked = api.validate(config)
    _say(out, f"OK {config}: {checked.n_rows} rows, entity {checked.entity!r} ({checked.entity_type})")
    for name, target in checked.sources.items():
        _say(out, f"  source {name}: {target}")
    nulls = {c: n for c, n in checked.null_counts.items() if n}
    _say(out, f"  features: {', '.join(checked.columns)}")
    if nulls:
        _say(out, f"  NULLs (imputed or dropped as configured): {nulls}")
    for warning in checked.warnings:
        _say(err, f"Warning: {warning}")


@app.command(cls=_Command)
@_handle_errors
def init(
    datafile: Annotated[Path, typer.Argument(help="A CSV, Parquet or JSON file.", show_default=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the config.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing config.")] = False,
) -> None:
    """Write a starter config for a data file (entity and numeric columns detected)."""
    written = api.init_config(datafile, output=output, force=force)
    _say(out, f"Wrote {written}; run it with: segsql run {written}")


@app.command(cls=_Command)
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


@app.command(cls=_Command)
@_handle_errors
def report(
    config: ConfigArg,
    run_id: Annotated[
        int | None, typer.Option("--run", help="The run to report on (default: the latest successful run).")
    ] = None,
    images: Annotated[
        bool,
        typer.Option("--images", help="Also draw every chart as PNG and SVG files (a few seconds more)."),
    ] = False,
) -> None:
    """Rewrite the HTML report and the charts of a run from the database (read-only)."""
    written = api.write_report(config, run_id=run_id, images=images)
    kinds = "Vega-Lite, SVG and PNG" if images else "Vega-Lite"
    charts = f"{len(written.charts)} charts beside it, {kinds}"
    _say(out, f"Report of run {written.run_id}: {written.html} ({charts})")


@app.command(cls=_Command)
@_handle_errors
def publish(
    config: ConfigArg,
    run_id: Annotated[
        int | None, typer.Option("--run", help="The run to publish (default: the latest successful run).")
    ] = None,
) -> None:
    """(Re)publish a run's tables to the config's [[publish]] targets: replaces that run's partition."""
    result = api.publish(config, run_id=run_id)
    for table in result.tables:
        version = "" if table.version is None else f", version {table.version}"
        rows = f"{table.rows} rows{version}"
        _say(out, f"Published run {result.run_id} {table.table} → {table.target} ({rows})")


@app.command(cls=_Command)
@_handle_errors
def runs(config: ConfigArg) -> None:
    """List the runs recorded in the config's database, newest first."""
    frame = api.list_runs(config)
    if frame.is_empty():
        _say(out, "No runs yet.")
        return
    _print_frame(frame, "table")


@app.command(cls=_Command)
@_handle_errors
def diff(
    config: ConfigArg,
    from_run: Annotated[
        int | None,
        typer.Option(
            "--from", help="The earlier run (default: the run --to was compared with).", show_default=False
        ),
    ] = None,
    to_run: Annotated[
        int | None,
        typer.Option("--to", help="The later run (default: the latest successful run).", show_default=False),
    ] = None,
) -> None:
    """Compare two runs: who moved between segments, the lineage events, the drift (read-only)."""
    _print_diff(api.diff(config, from_run=from_run, to_run=to_run))


@app.command(cls=_Command)
@_handle_errors
def score(
    config: ConfigArg,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="A CSV, Parquet or JSON file of rows to score.")
    ] = None,
    table: Annotated[
        str | None, typer.Option("--table", "-t", help="A table or view in the run database to score.")
    ] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(
            "--transactions",
            help="A file of new transactions: the run's RFM recipe makes each entity's features to score.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="With --transactions: replace the run's [features.rfm] as_of (a date, or a date and time).",
            show_default=False,
        ),
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
    with warnings.catch_warnings(record=True) as told:
        warnings.simplefilter("always", SegsqlWarning)
        result = api.score(
            config,
            input=input,
            table=table,
            transactions=transactions,
            as_of=as_of,
            run_id=run,
            output=output,
            into=into,
        )
    for warning in told:
        if issubclass(warning.category, SegsqlWarning):
            _say(err, f"Warning: {warning.message}")  # one line each, as a run's
        else:  # not ours: shown as Python would have
            warnings.showwarning(warning.message, warning.category, warning.filename, warning.lineno)
    import polars as pl  # loaded by api.score already

    if isinstance(result, pl.DataFrame):
        _print_frame(result, format)
        return
    _say(out, f"Scored {result.rows} rows with run {result.run_id} → {result.written_to}")
    _print_frame(result.segments, "table")


@app.command("export-sql", cls=_Command)
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
    rules: Annotated[
        bool,
        typer.Option(
            "--rules", help="Export the segments' SQL rules (a CASE per row), not the scoring query."
        ),
    ] = False,
) -> None:
    """Print one standalone scoring query, the model's numbers written in, for another engine."""
    sys.stdout.write(api.export_sql(config, dialect=dialect, table=table, run_id=run, rules=rules))


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
            TextColumn("segsql: {task.description}", markup=False),
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
        self.bar.update(self.task, description=_visible(message), completed=done or 0, total=total)

    def stop(self) -> None:
        self.bar.stop()


def _visible(text: str) -> str:
    r"""``text`` with its control characters written out, so that a terminal shows them.

    An escape sequence in a value (``\x1b[31m``) would otherwise recolour or
    move the terminal's cursor; a line break would start a line that looks
    like segsql's own.

    >>> _visible("a\x1b[31mb\nc\td")
    'a\\x1b[31mb\\nc\\td'
    """
    if text.isprintable():
        return text
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return "".join(
        named.get(c, f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")
        else c
        for c in text
    )


def _say(console: Console, line: str) -> None:
    """Print one line as plain text: never markup, an emoji code or a control sequence."""
    console.print(Text(_visible(line)))


def _table(columns: list[tuple[str, str]]) -> Table:
    """A table with plain-text headers: ``(name, justify)`` per column."""
    table = Table(show_edge=False, header_style="bold")
    for name, justify in columns:
        table.add_column(Text(_visible(name)), justify=justify)  # type: ignore[arg-type]
    return table


def _row(table: Table, *cells: str) -> None:
    table.add_row(*(Text(_visible(cell)) for cell in cells))


def _print_frame(frame: pl.DataFrame, format: str) -> None:
    if format == "csv":
        sys.stdout.write(_csv_ready(frame).write_csv())
    elif format == "json":
        sys.stdout.write(json.dumps(frame.to_dicts(), default=str, indent=2) + "\n")
    else:
        table = _table(
            [(name, "right" if frame[name].dtype.is_numeric() else "left") for name in frame.columns]
        )
        for row in frame.iter_rows():
            _row(table, *(_cell(v) for v in row))
        out.print(table)


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns CSV has no form for (lists, structs, binary, objects) as the text the table shows."""
    import polars as pl

    flat = (
        pl.Boolean,
        pl.String,
        pl.Categorical,
        pl.Enum,
        pl.Date,
        pl.Datetime,
        pl.Duration,
        pl.Time,
        pl.Null,
    )
    odd = [
        name
        for name, dtype in frame.schema.items()
        if not (dtype.is_numeric() or isinstance(dtype, flat) or dtype in flat)
    ]
    if not odd:
        return frame
    return frame.with_columns(
        pl.Series(name, [None if v is None else _cell(v) for v in frame[name].to_list()], dtype=pl.String)
        for name in odd
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 1e6 else f"{value:.6g}"
    if isinstance(value, bytes):
        return "".join(chr(b) if 0x20 <= b < 0x7F and b != 0x5C else f"\\x{b:02X}" for b in value)
    return str(value)


# past this many features a table of means would truncate every cell: the summary says, per
# segment, its size and its strongest contrasts in words instead
_WIDE = 6


def _say_fitted(console: Console, line: str, *, indent: str = "") -> None:
    """Print ``line`` wrapped to the console's width (later lines indented by ``indent``):
    a long path or sentence is wrapped, never cut."""
    width = max(40, console.width)
    for part in textwrap.wrap(_visible(line), width=width, subsequent_indent=indent, break_on_hyphens=False):
        console.print(Text(part))


def _print_run(result: Any, *, labels: Labels | None = None) -> None:
    rows = result.tables["runs"].row(0, named=True)
    total = sum(result.timings.values())
    _say_fitted(
        out,
        f"Run {result.run_id}: {rows['input_rows']} rows, {len(json.loads(rows['features']))} features, "
        f"K = {result.k}, {total:.2f} s → {result.database} (schema {result.schema})",
    )
    _say_fitted(out, f"K: {result.k_choice}", indent="   ")
    _say_fitted(out, _timings_line(result.timings, rows), indent="   ")
    names = ("K", "inertia", "silhouette", "calinski_harabasz", "davies_bouldin", "smallest_share")
    sweep = _table([(name, "right") for name in names])
    for p in result.k_sweep.sort("k").iter_rows(named=True):
        mark = f"{p['k']} *" if p["chosen"] else str(p["k"])
        _row(
            sweep,
            mark,
            f"{p['inertia']:.4f}",
            f"{p['silhouette']:.4f}",
            f"{p['calinski_harabasz']:.1f}",
            f"{p['davies_bouldin']:.4f}",
            f"{p['smallest_share']:.3f}",
        )
    out.print(sweep)
    features = json.loads(rows["features"])
    if len(features) > _WIDE:
        _print_contrasts(result, labels or {})
    else:
        means = result.profiles.pivot(on="feature", index="segment", values="mean")
        summary = result.segment_summary.sort("segment").join(means, on="segment", how="left")
        table = _table(
            [
                (name, "left" if name == "name" else "right")
                for name in ("segment", "name", "size", "share", *features)
            ]
        )
        table.columns[1].no_wrap = True
        for s in summary.iter_rows(named=True):
            _row(
                table,
                str(s["segment"]),
                s["name"],
                str(s["size"]),
                f"{s['share']:.1%}",
                *(_cell(s.get(f)) for f in features),
            )
        _say(out, "Segments (feature means in original units):")
        out.print(table)
    if result.report is not None:
        _say_fitted(out, f"Report: {result.report}")
    for warning in result.warnings:
        _say(err, f"Warning: {warning}")  # one line each: logs are grepped


def _print_contrasts(result: Any, labels: Labels) -> None:
    """Per segment: number, size and share, name, then its 3 strongest contrasts (by |z| in the
    model's space) in words, with the means in original units."""
    import polars as pl

    from segsql.steps.naming import feature_noun

    _say_fitted(
        out, "Segments (size, name, and the 3 features that set each apart most; means in original units):"
    )
    profiles = result.profiles
    strength = "z_model" if "z_model" in profiles.columns else "z"
    for s in result.segment_summary.sort("segment").iter_rows(named=True):
        _say_fitted(
            out, f"{s['segment']}: {s['size']} entities ({s['share']:.1%}) · {s['name']}", indent="    "
        )
        top = (
            profiles.filter(pl.col("segment") == s["segment"], pl.col(strength).is_not_null())
            .sort(pl.col(strength).abs(), descending=True)
            .head(3)
        )
        for c in top.iter_rows(named=True):
            z = c[strength]
            side = "above" if z > 0 else "below"
            _say_fitted(
                out,
                f"  - {feature_noun(c['feature'], labels)} {side} the rest: {_cell(c['mean'])} against "
                f"{_cell(c['overall_mean'])} overall (z {z:+.2f})",
                indent="    ",
            )


def _print_diff(d: api.Diff) -> None:
    """The transitions as a from × to table ("entities (share of the from segment)"), then the
    lineage events and the drift of the later run against the earlier, and what is missing."""
    import polars as pl

    moves = d.transitions
    before = moves.filter(pl.col("from_segment").is_not_null())["entities"].sum()
    after = moves.filter(pl.col("to_segment").is_not_null())["entities"].sum()
    first, last = f"run {d.from_run}", f"run {d.to_run}"
    _say(out, f"Run {d.from_run} → {last}: {before} entities in {first}, {after} in {last}")
    _say(out, "Transitions (entities, and their share of the from segment; new: not in the from run,")
    _say(out, "gone: not in the to run):")
    to_columns = [c for c in d.matrix.columns if c not in ("from_segment", "total")]
    to_names = dict(zip(moves["to_segment"].to_list(), moves["to_name"].to_list(), strict=True))
    table = _table(
        [
            (f"from \\ to (run {d.from_run} → {d.to_run})", "left"),
            *(
                (c if c == "gone" else f"{c} {to_names.get(int(c)) or ''}".strip(), "right")
                for c in to_columns
            ),
            ("total", "right"),
        ]
    )
    from_names = dict(zip(moves["from_segment"].to_list(), moves["from_name"].to_list(), strict=True))
    for row in d.matrix.iter_rows(named=True):
        segment, total = row["from_segment"], row["total"]
        label = "new" if segment is None else f"{segment} {from_names.get(segment) or ''}".strip()
        cells = [f"{row[c]} ({row[c] / total:.1%})" if row[c] else "" for c in to_columns]
        _row(table, label, *cells, str(total))
    _row(table, "total", *(str(d.matrix[c].sum()) for c in to_columns), str(d.matrix["total"].sum()))
    out.print(table)
    against = f"of run {d.to_run} against run {d.from_run}"
    if not d.lineage.is_empty():
        _say(out, f"Lineage {against}:")
        _print_frame(d.lineage, "table")
    if not d.drift.is_empty():
        _say(out, f"Drift {against}:")
        _print_frame(d.drift, "table")
    if d.from_run == d.previous_run_id and d.lineage.is_empty() and d.drift.is_empty():
        _say(out, f"No lineage or drift stored {against}.")
    for note in d.notes:
        _say(out, f"Note: {note}")


def _timings_line(timings: dict[str, float], run: dict[str, Any]) -> str:
    """One line: seconds per stage, and the rows the K sweep fitted on when it was a sample."""
    stages = " · ".join(f"{name} {seconds:.2f}" for name, seconds in timings.items())
    sweep = ""
    if run.get("sweep_rows") and run["sweep_rows"] < run["input_rows"]:
        sweep = f" (K sweep on a sample of {run['sweep_rows']} rows)"
    return f"Timings (s): {stages}{sweep}"


def main() -> None:
    """Entry point of the `segsql` console script."""
    try:
        app()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    _exit(code)


def _exit(code: Any) -> None:
    """End the process with ``code``, without Python's finalization where that is safe.

    Every command has closed its database and written its files by now; what is left
    is the interpreter tearing down scikit-learn, SciPy, Polars and Altair, 0.3 to 0.45 s
    of every run (bench/README.md, "Issue 16"). PySpark stops a Spark session's
    JVM in an exit handler, so a process that loaded PySpark exits normally.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):  # what Python does with `sys.exit("message")`
        print(code, file=sys.stderr)
        code = 1
    if "pyspark" in sys.modules:
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # a closed pipe (`segsql query … | head`): nothing left to keep
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)
