"""Stage timings are stored with each run and shown by `segsql run`; progress only on a terminal."""

from __future__ import annotations

import io
import json

import duckdb
from rich.console import Console
from typer.testing import CliRunner

import segsql
from segsql import cli

STAGES = ["sources", "features", "preprocess", "matrix", "model", "writeback"]


def _in_order(names: list[str]) -> list[str]:
    """The core stages among ``names``, in their order (other stages may come and go)."""
    return [name for name in names if name in STAGES]


def test_every_stage_timing_is_stored_in_the_runs_table(customers_config):
    result = segsql.run(customers_config)
    with duckdb.connect(str(customers_config.parent / "run.duckdb"), read_only=True) as con:
        stored = json.loads(con.execute("SELECT timings FROM segsql.runs_latest").fetchall()[0][0])
    assert _in_order(list(stored)) == STAGES == _in_order(list(result.timings))
    assert all(seconds >= 0 for seconds in stored.values())
    assert stored == {k: round(v, 4) for k, v in result.timings.items() if k in stored}
    assert json.loads(result.tables["runs"]["timings"][0]) == stored


def test_progress_is_told_each_stage_and_each_k_of_the_sweep(customers_config):
    calls: list[tuple] = []
    segsql.run(customers_config, progress=lambda *args: calls.append(args))
    stages = [args[0] for args in calls if len(args) == 1]
    assert _in_order(stages) == STAGES
    steps = [args for args in calls if len(args) == 3]
    # the largest K first: the longest fits start first (segsql.steps.fit.sweep.sweep_k)
    assert [message for message, _, _ in steps[:2]] == ["model: K sweep, K = 10", "model: K sweep, K = 9"]
    assert [(done, total) for _, done, total in steps] == [(i, 10) for i in range(10)]
    assert steps[-1][0] == "model: final fit, K = 4, 200 rows"


def test_run_prints_a_timings_line_and_no_progress_off_a_terminal(customers_config):
    outcome = CliRunner().invoke(cli.app, ["run", str(customers_config)])
    assert outcome.exit_code == 0, outcome.output
    lines = outcome.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Timings (s):"))
    # wrapped to the terminal's width: its continuation lines are indented
    rest = [line.strip() for line in lines[start + 1 :]]
    line = " ".join(
        [
            lines[start],
            *rest[
                : next((i for i, r in enumerate(lines[start + 1 :]) if not r.startswith("   ")), len(rest))
            ],
        ]
    )
    names = [part.split()[0] for part in line.removeprefix("Timings (s): ").split(" · ")]
    assert _in_order(names) == STAGES
    assert "sample" not in line  # 200 rows: the sweep fitted every row
    assert outcome.stderr == ""


def test_quiet_prints_nothing_at_all(customers_config):
    outcome = CliRunner().invoke(cli.app, ["run", "--quiet", str(customers_config)])
    assert outcome.exit_code == 0
    assert outcome.stdout == "" and outcome.stderr == ""


def test_on_a_terminal_the_progress_display_is_shown_unless_quiet(customers_config, monkeypatch):
    screen = io.StringIO()
    monkeypatch.setattr(cli, "err", Console(file=screen, force_terminal=True, width=100))
    assert cli._progress(quiet=True) is None
    display = cli._progress(quiet=False)
    assert display is not None
    display.update("model: K sweep, K = 3", 1, 10)
    display.bar.refresh()
    display.stop()
    assert "segsql: model: K sweep, K = 3" in screen.getvalue()
    assert "1/10" in screen.getvalue()


def test_off_a_terminal_there_is_no_progress_display(monkeypatch):
    monkeypatch.setattr(cli, "err", Console(file=io.StringIO(), force_terminal=False))
    assert cli._progress(quiet=False) is None
