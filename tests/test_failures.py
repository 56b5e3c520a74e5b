"""Issue 10, classes 5, 6 and 10: output text is text, failures keep their cause, reports per run.

Output text is text: names and values from a config or the data (segment
names, a project's name, column names and values of a query) are printed as
they are, never read as rich markup (``[bold]``, ``[/x]``), emoji codes
(``:x:``) or terminal control sequences. Failures keep their cause: an insert
that fails inside the write-back, a full disk at COMMIT, a damaged database
file, a broken runs table, a Ctrl-C in a long K sweep each end with the real
cause and the right exit code.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.testhook import NOTE_ENV

from .safety import write_blobs

HOSTILE = "[bold]x[/bold] :x: [red]r[/red] [/x]"

PEOPLE = "id,a,b\n" + "".join(f"{i},{i % 7}.5,{(i * 13) % 11}\n" for i in range(1, 41))


def _config(folder: Path, *, extra: str = "", name: str = "people", database: str = "run.duckdb") -> Path:
    (folder / "people.csv").write_text(PEOPLE)
    path = folder / "c.toml"
    path.write_text(
        textwrap.dedent(f"""\
            [project]
            name = {_toml_string(name)}
            database = "{database}"
            [sources.people]
            path = "people.csv"
            [features]
            entity = "id"
            sql = "SELECT id, a, b FROM people"
            [model]
            k = 2
            k_range = [2, 3]
            n_init = 2
            [output]
            report = false
            """)
        + extra
    )
    return path


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


# --- class 5: output text is text -------------------------------------------------------


def test_segment_names_with_markup_are_printed_as_written_and_the_run_exits_0(tmp_path: Path) -> None:
    config = _config(tmp_path, extra=f"[segments.names]\n1 = {_toml_string(HOSTILE)}\n2 = ':x: [/]'\n")
    result = invoke("run", config)
    assert result.exit_code == 0, result.stderr
    assert HOSTILE in result.stdout and ":x: [/]" in result.stdout
    assert "❌" not in result.stdout


def test_a_project_named_with_markup_is_listed_by_runs_as_written(tmp_path: Path) -> None:
    config = _config(tmp_path, name=HOSTILE)
    assert invoke("run", "-q", config).exit_code == 0
    result = invoke("runs", config)
    assert result.exit_code == 0, result.stderr
    assert HOSTILE in result.stdout


def test_query_prints_column_names_and_values_as_written(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert invoke("run", "-q", config).exit_code == 0
    sql = f"SELECT '{HOSTILE}' AS \"[/x] :x:\", 'a\x1b[31mred' AS v"
    result = invoke("query", config, sql)
    assert result.exit_code == 0, result.stderr
    assert HOSTILE in result.stdout and "[/x] :x:" in result.stdout
    # a terminal escape in a value is shown, not obeyed
    assert "\x1b" not in result.stdout and "a\\x1b[31mred" in result.stdout


def test_validate_and_errors_print_names_with_markup_as_written(tmp_path: Path) -> None:
    config = _config(tmp_path)
    text = config.read_text().replace(
        "SELECT id, a, b FROM people", 'SELECT id, a AS \\"[red]a\\", b FROM people'
    )
    config.write_text(text)
    result = invoke("validate", config)
    assert result.exit_code == 0, result.stderr
    assert "[red]a, b" in result.stdout
    missing = config.read_text().replace('path = "people.csv"', 'path = "[/x] :x:.csv"')
    config.write_text(missing)
    result = invoke("run", config)
    assert result.exit_code == 1
    assert "[/x] :x:.csv" in result.stderr and "unexpected" not in result.stderr


# --- class 6: every failure keeps its cause ----------------------------------------------


def test_a_failing_insert_inside_the_write_back_reports_its_own_cause(tmp_path: Path) -> None:
    # a scaler table made by hand, with a constraint the run's rows break: the insert fails
    # inside the transaction, and that (not "transaction is aborted") is the message
    config = _config(tmp_path)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("CREATE SCHEMA segsql")
        con.execute(
            "CREATE TABLE segsql.scaler (run_id BIGINT, feature VARCHAR CHECK (feature = 'nothing'), "
            "position INTEGER, transform VARCHAR, impute_value DOUBLE, clip_low DOUBLE, clip_high DOUBLE, "
            "center DOUBLE, scale DOUBLE)"
        )
    result = invoke("run", "-q", config)
    assert result.exit_code == 1, result.stderr
    assert "CHECK constraint" in result.stderr, result.stderr
    assert "aborted" not in result.stderr and "unexpected" not in result.stderr
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'segsql'").fetchall()
        assert tables == [("scaler",)]  # rolled back: nothing of the run was kept


def test_an_io_error_inside_the_write_back_is_bad_environment_not_a_bug(monkeypatch, tmp_path: Path) -> None:
    from segsql.steps import writeback

    def full(*args, **kwargs):
        raise duckdb.IOException('IO Error: Could not write file "run.duckdb.wal": No space left on device')

    monkeypatch.setattr(writeback, "create_assign_macro", full)
    config = _config(tmp_path)
    result = invoke("run", "-q", config)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "No space left on device" in result.stderr
    assert "unexpected" not in result.stderr


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A 3 MB tmpfs: room for the customers run's database twice, not three times (root only)."""
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root on Linux")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_at_commit_says_so_and_keeps_the_previous_runs(tiny_disk: Path, customers_config) -> None:
    text = customers_config.read_text().replace(
        'database = "run.duckdb"', f'database = "{tiny_disk}/run.duckdb"'
    )
    customers_config.write_text(text)
    codes, errors = [], []
    for _ in range(4):
        result = invoke("run", "-q", customers_config)
        codes.append(result.exit_code)
        errors.append(result.stderr)
        if result.exit_code:
            break
    assert codes[-1] == 1, (codes, errors)
    assert "No space left on device" in errors[-1] and "nothing was written" in errors[-1], errors[-1]
    assert "rollback" not in errors[-1] and "unexpected" not in errors[-1]
    saved = len(codes) - 1
    result = invoke("query", customers_config, "SELECT count(*) AS n FROM segsql.runs", "-f", "csv")
    assert result.stdout == f"n\n{saved}\n"


def _damage(database: Path) -> None:
    # the headers stay (DuckDB opens the file), every block after them is garbage: whichever
    # table a command reads, its block checksum fails
    data = database.read_bytes()
    header = 3 * 4096
    garbage = bytes((i * 131 + 7) % 256 for i in range(len(data) - header))
    database.write_bytes(data[:header] + garbage)


def test_a_damaged_database_is_reported_as_such_and_never_appended_to(tmp_path: Path) -> None:
    config = _config(tmp_path)
    for _ in range(3):
        assert invoke("run", "-q", config).exit_code == 0
    database = tmp_path / "run.duckdb"
    _damage(database)
    damaged = database.read_bytes()
    for args in (("runs", config), ("run", "-q", config)):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.stderr)
        assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
        assert "unexpected" not in result.stderr and "aborted" not in result.stderr, result.stderr
        assert str(database) in result.stderr or "run.duckdb" in result.stderr
    assert database.read_bytes() == damaged


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_query_shows_every_type_duckdb_has(tmp_path: Path, fmt: str) -> None:
    config = _config(tmp_path)
    assert invoke("run", "-q", config).exit_code == 0
    sql = (
        "SELECT INTERVAL 3 DAY AS i, union_value(n := 7) AS u, MAP {'k': 1} AS m, {'x': 1} AS s, "
        "'\\xAA'::BLOB AS b, 'infinity'::DATE AS d, [INTERVAL 1 HOUR] AS li"
    )
    result = invoke("query", config, sql, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    for shown in ("3 days", "7", "infinity", "01:00:00"):
        assert shown in result.stdout, (shown, result.stdout)
    everything = invoke("query", config, "SELECT * FROM test_all_types()", "--format", fmt)
    assert everything.exit_code == 0, everything.stderr


def test_runs_says_what_is_wrong_with_a_broken_runs_table(tmp_path: Path) -> None:
    config = _config(tmp_path)
    duckdb.connect(str(tmp_path / "run.duckdb")).close()
    empty = invoke("runs", config)  # no runs table at all: that is "no runs yet"
    assert empty.exit_code == 0 and empty.stdout.strip() == "No runs yet."
    assert invoke("run", "-q", config).exit_code == 0
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("ALTER TABLE segsql.runs DROP COLUMN k_choice")
    result = invoke("runs", config)
    assert result.exit_code == 1
    assert "No runs yet" not in result.stdout
    assert "segsql.runs" in result.stderr and "k_choice" in result.stderr
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("DROP TABLE segsql.runs CASCADE")
        con.execute("CREATE VIEW segsql.runs AS SELECT 42 AS answer")
    result = invoke("runs", config)
    assert result.exit_code == 1 and "segsql.runs" in result.stderr and "No runs yet" not in result.stdout


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_ctrl_c_in_a_long_k_sweep_stops_at_once_and_keeps_the_previous_run(tmp_path: Path) -> None:
    data = write_blobs(tmp_path, rows=60_000)
    model = "[model]\nk = 2\nk_range = [2, 3]\nn_init = 1\n"
    heavy = '[model]\nk = "auto"\nk_range = [2, 10]\nn_init = 60\nmax_iter = 500\nmetric_sample = 2000\n'
    text = (
        '[project]\nname = "sweep"\ndatabase = "run.duckdb"\n'
        f'[sources.blobs]\npath = "{data.as_posix()}"\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM blobs"\n[output]\nreport = false\n'
    )
    config = tmp_path / "sweep.toml"
    config.write_text(text + model)
    segsql.run(config)  # the previous run, quickly
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        before = con.sql("SELECT * FROM segsql.k_sweep ORDER BY ALL").pl()
    config.write_text(text + heavy)
    env = {**os.environ, NOTE_ENV: "model"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "segsql", "run", "--quiet", str(config)],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert line.startswith("segsql: at model"), line
        time.sleep(2)  # well inside the sweep: each K's fit alone takes longer than this
        assert proc.poll() is None, "the sweep ended before it could be interrupted"
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
        stopped = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.splitlines() == ["Error: interrupted; nothing was written"]
    assert stopped < 3, f"took {stopped:.1f} s to stop"
    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT run_id FROM segsql.runs").fetchall() == [(1,)]
        assert con.sql("SELECT * FROM segsql.k_sweep ORDER BY ALL").pl().equals(before)


# --- class 10: a report per run, help without <bool> -------------------------------------


@pytest.mark.report
def test_a_report_of_an_older_run_does_not_overwrite_the_latest_report(tmp_path: Path) -> None:
    config = _config(tmp_path, extra='dir = "out"\n')
    config.write_text(config.read_text().replace("report = false\n", ""))
    first = invoke("run", "-q", config)
    assert first.exit_code == 0, first.stderr
    second = invoke("run", "-q", config)
    assert second.exit_code == 0, second.stderr
    out = tmp_path / "out"
    latest = (out / "report.html").read_text()
    assert "segments of run 2</title>" in latest
    result = invoke("report", config, "--run", "1")
    assert result.exit_code == 0, result.stderr
    assert str(out / "run-1" / "report.html") in result.stdout
    assert (out / "report.html").read_text() == latest  # still run 2's
    assert (out / "run-2" / "report.html").read_text() == latest
    assert (out / "run-1" / "report.html").read_text() != latest
    assert (out / "run-1" / "charts" / "heatmap.vl.json").is_file()  # images: `segsql report --images`


@pytest.mark.parametrize("command", ["run", "init", "report", "score", "export-sql", "query", "validate"])
def test_help_shows_flags_without_a_type(command: str) -> None:
    for args in ((command, "--help"), ("--help",)):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout, result.stdout
