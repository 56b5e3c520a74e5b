"""The report's "Since the previous run" section: transitions, sizes across runs, drift, lineage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import numpy as np
import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app

pytestmark = pytest.mark.report

# three far-apart clusters of 40, 30 and 20 entities (so segments 1, 2, 3 in the first run,
# largest first); in the second run 5 entities of the first cluster are gone, 6 moved to the
# second cluster and 4 new entities joined the third
CENTRES = {"a": (0.0, 0.0), "b": (10.0, 0.0), "c": (0.0, 10.0)}
FIRST = {
    **dict.fromkeys(range(1, 41), "a"),
    **dict.fromkeys(range(41, 71), "b"),
    **dict.fromkeys(range(71, 91), "c"),
}
SECOND = {e: c for e, c in FIRST.items() if e > 5}
SECOND.update(dict.fromkeys(range(6, 12), "b"))
SECOND.update(dict.fromkeys(range(91, 95), "c"))
HOSTILE = "<script>alert(1)</script>"
NAMES = {1: "Alpha", 2: HOSTILE, 3: "Gamma"}

CONFIG = """\
[project]
name = "moves"
database = "run.duckdb"

[sources.points]
path = "points.csv"

[features]
entity = "id"
sql = "SELECT id, x, y FROM points"

[model]
k = 3
k_range = [3, 3]
n_init = 2

[segments.names]
1 = "Alpha"
2 = "<script>alert(1)</script>"
3 = "Gamma"

[output]
dir = "out"
"""


def points_csv(members: dict[int, str], *, seed: int) -> str:
    rng = np.random.RandomState(seed)
    rows = []
    for entity, cluster in sorted(members.items()):
        x, y = np.array(CENTRES[cluster]) + rng.normal(scale=0.5, size=2)
        rows.append(f"{entity},{x:.4f},{y:.4f}\n")
    return "id,x,y\n" + "".join(rows)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The config run on the first data, then on the second; each run wrote its report."""
    tmp = tmp_path_factory.mktemp("reruns")
    config = tmp / "moves.toml"
    config.write_text(CONFIG)
    (tmp / "points.csv").write_text(points_csv(FIRST, seed=1))
    first = segsql.run(config)
    (tmp / "points.csv").write_text(points_csv(SECOND, seed=2))
    second = segsql.run(config)
    return config, first, second


def cluster_segments(result, members: dict[int, str]) -> dict[str, int]:
    """Each cluster → the segment number its entities got in a run."""
    rows = result.segments.select("id", "segment").rows()
    return {members[e]: s for e, s in rows}


def expected_moves(first, second) -> dict[tuple[str, str], int]:
    """(from label, to label) → entities, by construction of the data."""
    before, after = cluster_segments(first, FIRST), cluster_segments(second, SECOND)
    moves: dict[tuple[str, str], int] = {}
    for entity in FIRST.keys() | SECOND.keys():
        source = f"{before[FIRST[entity]]} · {NAMES[before[FIRST[entity]]]}" if entity in FIRST else "new"
        target = f"{after[SECOND[entity]]} · {NAMES[after[SECOND[entity]]]}" if entity in SECOND else "gone"
        moves[(source, target)] = moves.get((source, target), 0) + 1
    return moves


def page_specs(html: str) -> dict[str, dict]:
    """The Vega-Lite specs the page embeds (the JSON of `const specs = …;`)."""
    match = re.search(r"const specs = (\{.*?\});\n", html, flags=re.DOTALL)
    assert match, "no embedded specs"
    return json.loads(match.group(1))


def spec_rows(spec: dict) -> list[dict]:
    rows = [row for values in spec.get("datasets", {}).values() for row in values]
    return rows or spec["data"]["values"]


def section(html: str) -> str:
    match = re.search(
        r'<section id="since-previous".*?</section>\s*<!-- /since-previous -->', html, re.DOTALL
    )
    assert match, "no 'Since the previous run' section"
    return match.group(0)


def test_the_report_of_a_rerun_has_a_since_the_previous_run_section(two_runs):
    _, first, second = two_runs
    html = second.report.read_text()
    part = section(html)
    assert "Since the previous run" in part
    assert f"run {first.run_id}" in part
    for name in ("transitions", "size_history"):
        assert f'id="chart-{name}"' in part
        folder = second.report.parent / "charts"
        # PNG and SVG files only on request: tests/test_report_speed.py (`segsql report --images`)
        assert json.loads((folder / f"{name}.vl.json").read_text())["$schema"].startswith("https://")


def test_the_transitions_chart_holds_the_entities_that_moved(two_runs):
    _, first, second = two_runs
    spec = page_specs(second.report.read_text())["transitions"]
    counted = {(r["from_label"], r["to_label"]): r["entities"] for r in spec_rows(spec)}
    assert counted == expected_moves(first, second)
    # the share (of the from segment) rides along for the tooltip
    shares = {(r["from_label"], r["to_label"]): r["share"] for r in spec_rows(spec)}
    before = cluster_segments(first, FIRST)
    stay = (f"{before['a']} · {NAMES[before['a']]}",) * 2
    assert shares[stay] == pytest.approx(29 / 40)
    assert "share" in json.dumps(spec["layer"][0]["encoding"]["tooltip"])


def test_the_sizes_chart_holds_every_runs_segment_sizes(two_runs):
    _, first, second = two_runs
    spec = page_specs(second.report.read_text())["size_history"]
    sizes = {(r["run_id"], r["segment"]): r["size"] for r in spec_rows(spec)}
    expected = {
        (run.run_id, s): n
        for run in (first, second)
        for s, n in run.segment_summary.select("segment", "size").rows()
    }
    assert sizes == expected
    # a segment keeps its colour: the colour scale maps its label to the palette by number
    scale = next(
        layer["encoding"]["color"]["scale"] for layer in spec["layer"] if "color" in layer.get("encoding", {})
    )
    assert scale["domain"] == [f"{s} · {NAMES[s]}" for s in (1, 2, 3)]
    assert len(set(scale["range"])) == 3


def test_the_drift_table_lists_every_measure_and_the_lineage_events(two_runs):
    _, _, second = two_runs
    part = section(second.report.read_text())
    drift = re.search(r'<table class="drift"[^>]*>.*?</table>', part, re.DOTALL)
    assert drift
    for measure in ("psi", "mean_shift", "segment_share_psi", "outlier_share"):
        assert f"<td>{measure}</td>" in drift.group(0)
    with duckdb.connect(str(second.report.parent.parent / "run.duckdb"), read_only=True) as con:
        warned = con.execute(
            "SELECT count(*) FROM segsql.drift WHERE run_id = ? AND warn", [second.run_id]
        ).fetchone()
    assert drift.group(0).count('class="warn"') == warned[0] > 0  # the moved entities shift x: warned
    lineage = re.search(r'<table class="lineage"[^>]*>.*?</table>', part, re.DOTALL)
    assert lineage and lineage.group(0).count("continued") == 3


def test_a_first_runs_report_has_no_section_and_an_older_run_is_shown_against_its_own_previous(two_runs):
    config, first, second = two_runs
    assert "since-previous" not in first.report.read_text().split("<script>")[0]  # the first run's own page
    # a third run; then the report of run 2 still compares run 2 with run 1
    third = segsql.run(config)
    result = CliRunner().invoke(app, ["report", str(config), "--run", str(first.run_id)])
    assert result.exit_code == 0, result.output
    html = Path(config.parent / "out" / f"run-{first.run_id}" / "report.html").read_text()
    assert "since-previous" not in html and "Since the previous run" not in html
    result = CliRunner().invoke(app, ["report", str(config), "--run", str(second.run_id)])
    assert result.exit_code == 0, result.output
    html = Path(config.parent / "out" / f"run-{second.run_id}" / "report.html").read_text()
    assert f"against run {first.run_id}" in section(html)
    runs = {r["run_id"] for r in spec_rows(page_specs(html)["size_history"])}
    assert runs == {first.run_id, second.run_id} and third.run_id not in runs
    assert "Since the previous run" in third.report.read_text()


def test_a_hostile_segment_name_is_escaped_in_the_section(two_runs):
    _, _, second = two_runs
    html = second.report.read_text()
    part = section(html)
    assert HOSTILE not in part and "&lt;script&gt;alert(1)&lt;/script&gt;" in part
    outside = re.sub(r"<script>.*?</script>", "", html, flags=re.DOTALL)
    assert "<script>alert" not in outside
    # in the specs it is JSON data that cannot end the script element
    assert "<\\/script>" in re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)[-1]
