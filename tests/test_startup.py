"""Start-up: `import segsql` and `segsql --help` load no heavy library until a verb needs it.

How long start-up takes is measured in bench/startup.py (bench/README.md, "Report and
start-up"), never here: these tests check what is loaded, which is what the time is.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

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
