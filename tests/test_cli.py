"""The `segsql` command: a thin layer that prints, and one line per error."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from segsql.cli import app

from .conftest import DATA

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def test_run_prints_the_sweep_the_chosen_k_and_the_segments(customers_config):
    result = invoke("run", customers_config)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "K: fixed by the config: k = 4" in out
    assert "4 *" in out and "152.1728" in out and "0.4465" in out
    assert "Segments (feature means in original units):" in out
    for size, share in (("71", "35.5%"), ("50", "25.0%"), ("46", "23.0%"), ("33", "16.5%")):
        assert size in out and share in out
    assert "55.2541" in out  # segment 1's mean income


def test_run_quiet_prints_nothing(customers_config):
    result = invoke("run", "--quiet", customers_config)
    assert result.exit_code == 0 and result.stdout == ""


def test_validate_checks_without_writing(customers_config):
    result = invoke("validate", customers_config)
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout and "200 rows" in result.stdout
    assert "Annual_Income_K, Spending_Score, Purchase_Frequency" in result.stdout
    assert not (customers_config.parent / "run.duckdb").exists()


def test_query_and_runs_read_the_run_database(customers_config):
    invoke("run", "-q", customers_config)
    invoke("run", "-q", customers_config)
    result = invoke(
        "query", customers_config, "SELECT segment, size FROM segsql.segment_summary_latest ORDER BY 1"
    )
    assert result.exit_code == 0, result.output
    assert [line.split()[-1] for line in result.stdout.splitlines()[-4:]] == ["71", "50", "46", "33"]
    csv = invoke("query", customers_config, "SELECT count(*) AS n FROM segsql.runs", "--format", "csv")
    assert csv.stdout == "n\n2\n"
    runs = invoke("runs", customers_config)
    assert runs.exit_code == 0
    body = [line for line in runs.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [line.split()[0] for line in body] == ["2", "1"]


def test_query_is_read_only(customers_config):
    invoke("run", "-q", customers_config)
    result = invoke("query", customers_config, "DROP TABLE segsql.runs")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: query: ") and "read-only" in result.stderr


def test_init_writes_a_starter_config_that_runs(tmp_path):
    data = tmp_path / "shop.csv"
    data.write_text(
        "Gender,CustomerID,Age,Income\n"
        + "".join(f"{'MF'[i % 2]},{i},{20 + i % 40},{(i * 37) % 101}\n" for i in range(1, 120))
    )
    result = invoke("init", data)
    assert result.exit_code == 0, result.output
    config = tmp_path / "shop.toml"
    import tomllib  # the layout is tomli-w's (an array a line); the values are what matter

    features = tomllib.loads(config.read_text())["features"]
    assert features["entity"] == "CustomerID" and features["columns"] == ["Age", "Income"]
    assert invoke("init", data).exit_code == 1  # refuses to overwrite
    assert invoke("run", "-q", config).exit_code == 0


def test_errors_are_one_line_without_a_traceback(write_config):
    config = write_config('[features]\nentity = "id"\nsql = "SELECT 1 AS id"\n[model]\nk = 1\n')
    result = invoke("run", config)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {config}: [model] k: must be >= 2 (got 1)\n"


def test_debug_shows_the_traceback(write_config):
    config = write_config('[features]\nentity = "id"\nsql = "SELECT 1 AS id"\n[model]\nk = 1\n')
    result = invoke("--debug", "run", config)
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "ConfigError" in result.stderr


@pytest.mark.slow
def test_python_dash_m_is_the_same_command():
    done = subprocess.run(
        [sys.executable, "-m", "segsql", "validate", str(DATA / "customers.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "200 rows" in done.stdout
