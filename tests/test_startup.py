"""Start-up and exit: `import segsql` and `segsql --help` load no heavy library until a verb
needs it, and the command ends without tearing the libraries down.

How long start-up and exit take is measured in bench/startup.py (bench/README.md, "Report and
start-up"), never here: these tests check what is loaded and what the process does, which is
what the time is.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import duckdb
import pytest

from segsql import cli
from segsql.config import load_config
from segsql.connection import connect

from .conftest import ROOT

# each of these takes from 0.1 s (DuckDB) to 1 s (scikit-learn) to import on the benchmark machine
HEAVY = ("sklearn", "scipy", "altair", "vl_convert", "polars", "pyarrow", "pandas", "duckdb", "pydantic")
# Typer itself loads pydantic to read a command's parameters (`segsql run --help`)
HEAVY_BUT_TYPERS = tuple(m for m in HEAVY if m != "pydantic")


def _run(code: str) -> dict:
    """Run ``code`` in a fresh interpreter; it prints one JSON line last."""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_import_segsql_loads_no_heavy_library_until_a_verb_is_used():
    seen = _run(
        f"""
import json, sys
import segsql
loaded = [m for m in {HEAVY!r} if m in sys.modules]
names = sorted(segsql.__all__)
missing = [n for n in names if n not in dir(segsql)]
from segsql import run, Config, SegsqlError
import segsql.publish, segsql.diff  # the modules of two verbs of the same names
charts_loaded_by_run = "altair" in sys.modules
print(json.dumps({{
    "loaded": loaded,
    "missing": missing,
    "charts_loaded_by_run": charts_loaded_by_run,
    "resolved": [n for n in names if getattr(segsql, n, None) is not None],  # every one loads
    "verbs": [callable(segsql.publish), callable(segsql.diff), callable(run)],
    "config": Config.__name__,
}}))
"""
    )
    assert seen["loaded"] == []
    assert seen["missing"] == []
    # the pipeline loads the report step, not the charts: Altair waits for a report to be written
    assert seen["charts_loaded_by_run"] is False
    assert len(seen["resolved"]) == len(set(seen["resolved"])) and "write_report" in seen["resolved"]
    # `segsql.publish` and `segsql.diff` stay the verbs though their modules are loaded
    assert seen["verbs"] == [True, True, True]
    assert seen["config"] == "Config"


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["report", "--help"], ["--version"]])
def test_segsql_help_loads_no_heavy_library(args):
    # the command itself (`python -m segsql` is `segsql`), its imports listed by -X importtime
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "segsql", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "segsql" in done.stdout
    imported = {line.rpartition("|")[2].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "segsql.cli" in imported
    loaded = sorted({name.split(".")[0] for name in imported} & set(HEAVY_BUT_TYPERS))
    assert loaded == []


def test_the_pipeline_loads_scikit_learn_only_to_fit(customers_config):
    seen = _run(
        f"""
import json, sys
import segsql.pipeline
imported = [m for m in ("sklearn", "scipy", "altair") if m in sys.modules]
segsql.validate({str(customers_config)!r})  # reads and checks everything, fits nothing
validated = [m for m in ("sklearn", "scipy", "altair") if m in sys.modules]
segsql.run({str(customers_config)!r})
print(json.dumps({{"imported": imported, "validated": validated, "run": "sklearn" in sys.modules}}))
"""
    )
    assert seen == {"imported": [], "validated": [], "run": True}


def test_the_command_exits_with_its_code_and_all_its_output(customers_config):
    def segsql(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "segsql", *args], capture_output=True, text=True, timeout=300, check=False
        )

    ran = segsql("run", str(customers_config))
    assert ran.returncode == 0, ran.stderr
    # the last lines printed: the segments' table, whole
    assert "High income · Low frequency" in ran.stdout.splitlines()[-1]
    # everything printed reached the pipe, and the database was closed: a second process reads it
    many = segsql("query", str(customers_config), "SELECT range AS n FROM range(3000)", "--format", "csv")
    assert many.returncode == 0, many.stderr
    assert many.stdout.splitlines() == ["n", *map(str, range(3000))]
    bad = segsql("query", str(customers_config), "SELECT * FROM no_such_table")
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: ") and "no_such_table" in bad.stderr
    with duckdb.connect(str(customers_config.parent / "run.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM segsql.runs").fetchone() == (1,)


@pytest.mark.parametrize(
    ("code", "exits_with", "says"), [(None, 0, ""), (0, 0, ""), (2, 2, ""), ("Aborted!", 1, "Aborted!\n")]
)
def test_the_command_ends_the_process_at_once_with_the_code_python_would_give(
    code, exits_with, says, monkeypatch, capsys
):
    ended: list[int] = []

    def _exit(status: int) -> None:
        ended.append(status)
        raise SystemExit(status)

    monkeypatch.setattr(os, "_exit", _exit)
    monkeypatch.delitem(sys.modules, "pyspark", raising=False)
    with pytest.raises(SystemExit):
        cli._exit(code)
    assert ended == [exits_with]
    assert capsys.readouterr().err == says


def test_a_process_that_loaded_pyspark_exits_normally_so_its_jvm_is_stopped(monkeypatch):
    monkeypatch.setattr(os, "_exit", lambda status: pytest.fail("os._exit with PySpark loaded"))
    monkeypatch.setitem(sys.modules, "pyspark", sys)  # any module: only its presence counts
    with pytest.raises(SystemExit) as exited:
        cli._exit(3)
    assert exited.value.code == 3


def test_segsqls_own_connections_return_freed_memory_to_the_system(customers_config):
    # jemalloc's background threads give DuckDB's freed memory back within a second: at
    # 1,000,000 customers the aggregation's ~300 MB would otherwise stay until the fit
    with connect(load_config(customers_config)) as con:
        assert con.execute("SELECT current_setting('allocator_background_threads')").fetchone() == (True,)
