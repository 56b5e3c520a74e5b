"""A caller's Spark Connect session (README, "Spark"): ``segsql.run(config, spark=session)``.

The Connect session runs in a process of its own, so that its local server
never meets the classic session ``tests/test_spark.py`` keeps in this one. It
gives the DuckDB engine's labels, and is still usable after the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from sklearn.metrics import adjusted_rand_score

import segsql
from segsql.config import config_from_dict

from .test_spark import DATA, _why_not


def _connect_missing() -> str | None:
    try:
        import grpc  # noqa: F401
        import pyspark.sql.connect.session  # noqa: F401
    except ImportError:
        return "Spark Connect's client is not installed (pip install -e '.[test]')"
    return None


pytestmark = [
    pytest.mark.skipif(_why_not() is not None, reason=_why_not() or ""),
    pytest.mark.skipif(_connect_missing() is not None, reason=_connect_missing() or ""),
]

_CALLER = """
import json, sys
from pyspark.sql import SparkSession
import segsql
from segsql.config import config_from_dict

session = (
    SparkSession.builder.remote("local[2]")
    .config("spark.sql.shuffle.partitions", "2")
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
data, base = json.loads(sys.argv[1]), sys.argv[2]
result = segsql.run(config_from_dict(data, base_dir=base), spark=session)
rows = result.segments.select(data["features"]["entity"], "segment").rows()
print(json.dumps({"type": type(session).__module__, "rows": rows, "after": session.range(3).count()}))
"""


def test_a_callers_spark_connect_session_gives_the_duckdb_engines_labels_and_keeps_running(tmp_path):
    data = tomllib.loads((DATA / "customers.toml").read_text())
    data["output"] = {"dir": str(tmp_path / "out"), "report": False}
    duck = {**data, "project": {**data["project"], "database": str(tmp_path / "duck.duckdb")}}
    on_spark = {
        **data,
        "project": {**data["project"], "database": str(tmp_path / "spark.duckdb"), "engine": "spark"},
        "model": {**data.get("model", {}), "sweep_sample": 0},
        "spark": {"output": str(tmp_path / "segments")},
    }
    expected = segsql.run(config_from_dict(duck, base_dir=DATA)).segments
    env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1"}
    done = subprocess.run(
        [sys.executable, "-c", _CALLER, json.dumps(on_spark), str(DATA)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    told = json.loads(done.stdout.strip().splitlines()[-1])
    assert told["type"] == "pyspark.sql.connect.session"  # a Connect session, not a classic one
    assert told["after"] == 3  # segsql never stops a caller's session
    labels = dict(map(tuple, told["rows"]))
    entity = data["features"]["entity"]
    ordered = expected.sort(entity)
    got = [labels[e] for e in ordered[entity].to_list()]
    assert adjusted_rand_score(ordered["segment"].to_list(), got) == 1.0
    assert got == ordered["segment"].to_list()  # the same numbers, not only the same partition
    assert Path(tmp_path / "segments" / "run_id=1").is_dir()
