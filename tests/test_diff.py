"""`segsql diff`: the transitions between two runs as a from × to table, the lineage events, the drift."""

from __future__ import annotations

import inspect
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import segsql
from segsql import sql
from segsql.cli import app
from segsql.errors import DatabaseError

from .test_as_of import rfm_config

# --- a database filled by hand: two runs whose every number is known --------------------

# run 1: entities 1..6 in segments 1,1,1,1,2,2; run 2: entities 2..7 in 1,1,2,2,2,3
# (entity 1 is gone from run 2, entity 7 is new in it; entity 4 moved from 1 to 2)
SEGMENTS = {1: {1: 1, 2: 1, 3: 1, 4: 1, 5: 2, 6: 2}, 2: {2: 1, 3: 1, 4: 2, 5: 2, 6: 2, 7: 3}}
NAMES = {(1, 1): "Loyal", (1, 2): "At risk", (2, 1): "Loyal", (2, 2): "At risk", (2, 3): "New"}
# (from_segment, to_segment, entities, share of the from segment)
MOVES = [(1, 1, 2, 0.5), (1, 2, 1, 0.25), (1, None, 1, 0.25), (2, 2, 2, 1.0), (None, 3, 1, 1.0)]


def by_hand(folder: Path, *, stored: bool = True) -> Path:
    """A run database written by hand, and a config reading it (the sources are never read)."""
    config = folder / "hand.toml"
    config.write_text(
        '[project]\ndatabase = "run.duckdb"\n[features]\nentity = "id"\nsql = "SELECT 1 AS id"\n'
    )
    with duckdb.connect(str(folder / "run.duckdb")) as con:
        sql.execute(con, "writeback/tables", schema="segsql")
        con.execute(
            "CREATE TABLE segsql.segments (run_id BIGINT, id INTEGER, segment INTEGER, distance DOUBLE)"
        )
        for run_id, members in SEGMENTS.items():
            con.execute(
                "INSERT INTO segsql.runs (run_id, status, entity, features, previous_run_id) "
                "VALUES (?, 'success', 'id', '[\"a\"]', ?)",
                [run_id, None if run_id == 1 else 1],
            )
            con.executemany(
                "INSERT INTO segsql.segments VALUES (?, ?, ?, 0.5)",
                [(run_id, e, s) for e, s in members.items()],
            )
        con.executemany(
            "INSERT INTO segsql.segment_summary (run_id, segment, size, name) VALUES (?, ?, ?, ?)",
            [
                (run_id, segment, list(SEGMENTS[run_id].values()).count(segment), name)
                for (run_id, segment), name in NAMES.items()
            ],
        )
        con.execute("INSERT INTO segsql.scaler (run_id, feature, position) VALUES (2, 'b', 0), (2, 'a', 1)")
        if stored:
            con.executemany(
                "INSERT INTO segsql.segment_transitions VALUES (2, 1, 2, ?, ?, ?, ?)",
                [list(m) for m in MOVES],
            )
            con.execute(
                "INSERT INTO segsql.segment_lineage VALUES (2, 1, 1, 1, 'continued', 0.1, 0.5), "
                "(2, 2, 1, 2, 'continued', 0.2, 1.0), (2, 3, 1, NULL, 'new', NULL, NULL)"
            )
            con.execute(
                "INSERT INTO segsql.drift VALUES (2, 1, 'outlier_share', NULL, 0.05, false), "
                "(2, 1, 'psi', 'a', 0.3, true), (2, 1, 'mean_shift', 'b', -0.1, false), "
                "(2, 1, 'psi', 'b', 0.01, false), (2, 1, 'segment_share_psi', NULL, 0.02, false)"
            )
    return config


def test_a_diff_reads_the_transitions_lineage_and_drift_the_later_run_stored(tmp_path):
    d = segsql.diff(by_hand(tmp_path))
    assert (d.from_run, d.to_run, d.previous_run_id, d.computed, d.notes) == (1, 2, 1, False, ())
    assert d.transitions.rows() == [
        (1, "Loyal", 1, "Loyal", 2, 0.5),
        (1, "Loyal", 2, "At risk", 1, 0.25),
        (1, "Loyal", None, None, 1, 0.25),
        (2, "At risk", 2, "At risk", 2, 1.0),
        (None, None, 3, "New", 1, 1.0),
    ]
    # from × to: one row per from segment (new last), one column per to segment, gone, total
    assert d.matrix.columns == ["from_segment", "1", "2", "3", "gone", "total"]
    assert d.matrix.rows() == [(1, 2, 1, 0, 1, 4), (2, 0, 2, 0, 0, 2), (None, 0, 0, 1, 0, 1)]
    assert d.lineage.rows() == [
        (1, "Loyal", "continued", 1, "Loyal", 0.1, 0.5),
        (2, "At risk", "continued", 2, "At risk", 0.2, 1.0),
        (3, "New", "new", None, None, None, None),
    ]
    # features in the run's order, psi before mean_shift, then the measures of the whole run
    assert d.drift.rows() == [
        ("b", "psi", 0.01, False),
        ("b", "mean_shift", -0.1, False),
        ("a", "psi", 0.3, True),
        (None, "segment_share_psi", 0.02, False),
        (None, "outlier_share", 0.05, False),
    ]


def test_without_stored_transitions_they_are_computed_from_the_segments_table(tmp_path):
    d = segsql.diff(by_hand(tmp_path, stored=False))
    assert d.computed and d.notes == ("transitions computed from the segments of runs 1 and 2",)
    assert d.transitions.select("from_segment", "to_segment", "entities", "share").rows() == MOVES
    assert d.lineage.is_empty() and d.drift.is_empty()
    assert d.lineage.columns[:3] == ["segment", "name", "event"]


def test_a_database_from_before_reruns_still_diffs_from_its_segments(tmp_path):
    config = by_hand(tmp_path)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        for table in ("segment_transitions", "segment_lineage", "drift"):
            con.execute(f"DROP TABLE segsql.{table}")
        con.execute("ALTER TABLE segsql.runs DROP COLUMN previous_run_id")
    d = segsql.diff(config)
    assert (d.from_run, d.to_run, d.previous_run_id, d.computed) == (1, 2, None, True)
    assert d.matrix.rows() == [(1, 2, 1, 0, 1, 4), (2, 0, 2, 0, 0, 2), (None, 0, 0, 1, 0, 1)]
    assert "lineage and drift are stored only against" in d.notes[1]


def test_the_diff_verb_takes_the_runs_and_a_callers_connection_as_keywords(tmp_path):
    parameters = inspect.signature(segsql.diff).parameters
    assert all(parameters[p].kind is inspect.Parameter.KEYWORD_ONLY for p in ("from_run", "to_run", "con"))
    config = by_hand(tmp_path)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        assert segsql.diff(config, from_run=1, to_run=2, con=con).matrix["total"].sum() == 7


@pytest.mark.parametrize(
    ("runs", "expect"),
    [
        (
            {"from_run": 1, "to_run": 5},
            "run 5 (--to / to_run) is not a successful run here (the successful runs: 1, 2)",
        ),
        ({"from_run": 0}, "run 0 (--from / from_run) is not a successful run"),
        ({"from_run": 2, "to_run": 1}, "run 2 (--from / from_run) is after run 1 (--to / to_run)"),
        ({"from_run": 2}, "are the same run, 2"),
        ({"to_run": 1}, "run 1 is the first successful run"),
    ],
)
def test_a_diff_of_runs_that_cannot_be_compared_is_one_clear_error(tmp_path, runs, expect):
    config = by_hand(tmp_path)
    with pytest.raises(DatabaseError, match=r"run\.duckdb \(schema segsql\): ") as caught:
        segsql.diff(config, **runs)
    assert expect in str(caught.value)
    # the CLI prints the same line
    args = [
        a
        for key, flag in (("from_run", "--from"), ("to_run", "--to"))
        if key in runs
        for a in (flag, str(runs[key]))
    ]
    shown = CliRunner().invoke(app, ["diff", str(config), *args])
    assert shown.exit_code == 1 and shown.stderr.splitlines() == [f"Error: {caught.value}"]


def test_a_diff_needs_two_runs(tmp_path):
    config = by_hand(tmp_path)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("DELETE FROM segsql.runs WHERE run_id = 2")
    with pytest.raises(DatabaseError, match="a diff needs two successful runs, and there is only run 1"):
        segsql.diff(config)


# --- real runs --------------------------------------------------------------------------


@pytest.fixture
def monthly(tmp_path):
    """The monthly RFM project run at three dates."""
    config = rfm_config(tmp_path)
    for day in ("2024-03-01", "2024-05-01", "2024-07-01"):
        segsql.run(config, as_of=day)
    return config


def stored(config: Path, query: str) -> pl.DataFrame:
    return segsql.query(config, query)


def test_by_default_a_diff_compares_the_last_two_runs_as_the_later_one_stored_it(monthly):
    d = segsql.diff(monthly)
    assert (d.from_run, d.to_run, d.previous_run_id, d.computed) == (2, 3, 2, False)
    table = stored(
        monthly,
        "SELECT from_segment, to_segment, entities, share FROM segsql.segment_transitions "
        "WHERE run_id = 3 ORDER BY from_segment NULLS LAST, to_segment NULLS LAST",
    )
    assert_frame_equal(d.transitions.select(table.columns), table, check_dtypes=False)
    # the matrix adds up to the sizes of both runs
    sizes = stored(monthly, "SELECT run_id, segment, size FROM segsql.segment_summary")
    for run_id, side in ((2, "from_segment"), (3, "to_segment")):
        expected = sizes.filter(pl.col("run_id") == run_id).select("segment", "size").sort("segment").rows()
        got = d.transitions.drop_nulls(side).group_by(side).agg(pl.col("entities").sum()).sort(side).rows()
        assert got == expected, run_id
    assert d.matrix.drop_nulls("from_segment")["total"].to_list() == [
        s for _, s in sizes.filter(pl.col("run_id") == 2).sort("segment").select("segment", "size").rows()
    ]
    lineage = stored(monthly, "SELECT segment, event FROM segsql.segment_lineage WHERE run_id = 3")
    assert sorted(d.lineage.select("segment", "event").rows(), key=str) == sorted(lineage.rows(), key=str)
    assert (
        d.drift.height
        == stored(monthly, "SELECT count(*) AS n FROM segsql.drift WHERE run_id = 3")["n"][0]
        > 0
    )


def test_runs_that_were_not_compared_are_diffed_from_their_segments(monthly):
    d = segsql.diff(monthly, from_run=1)
    assert (d.from_run, d.to_run, d.computed) == (1, 3, True)
    assert d.lineage.is_empty() and d.drift.is_empty()
    assert d.notes[1] == (
        "lineage and drift are stored only against the run each run was compared with "
        "(run 3 against run 2), not against run 1"
    )
    # the same counts by an independent join in Polars
    segments = stored(monthly, "SELECT run_id, id, segment FROM segsql.segments WHERE run_id IN (1, 3)")
    first = segments.filter(pl.col("run_id") == 1).select("id", pl.col("segment").alias("from_segment"))
    last = segments.filter(pl.col("run_id") == 3).select("id", pl.col("segment").alias("to_segment"))
    joined = first.join(last, on="id", how="full", coalesce=True)
    expected = joined.group_by("from_segment", "to_segment").agg(pl.len().alias("entities"))
    got = d.transitions.select("from_segment", "to_segment", "entities")
    assert sorted(got.rows(), key=str) == sorted(expected.rows(), key=str)
    assert got["entities"].sum() == joined.height


def test_computed_transitions_equal_the_stored_ones(monthly, tmp_path):
    before = segsql.diff(monthly).transitions
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("DELETE FROM segsql.segment_transitions WHERE run_id = 3")
    after = segsql.diff(monthly)
    assert after.computed
    assert_frame_equal(after.transitions, before, check_exact=False)


def test_segsql_diff_prints_the_from_to_table_the_lineage_and_the_drift(monthly):
    shown = CliRunner().invoke(app, ["diff", str(monthly)])
    assert shown.exit_code == 0, shown.stderr
    d = segsql.diff(monthly)
    lines = shown.stdout.splitlines()
    sizes = stored(monthly, "SELECT run_id, sum(size) AS n FROM segsql.segment_summary GROUP BY run_id")
    n = dict(sizes.rows())
    assert lines[0] == f"Run 2 → run 3: {n[2]} entities in run 2, {n[3]} in run 3"
    header = next(line for line in lines if line.startswith(" from \\ to (run 2 → 3)"))
    for segment in d.matrix.columns[1:-1]:
        assert f"{segment} " in header
    first = d.matrix.row(0, named=True)
    row = next(line for line in lines if line.startswith(f" {first['from_segment']} "))
    column = next(c for c in d.matrix.columns[1:-1] if first[c])
    assert f"{first[column]} ({first[column] / first['total']:.1%})" in row
    assert "Lineage of run 3 against run 2:" in lines and "Drift of run 3 against run 2:" in lines
    computed = CliRunner().invoke(app, ["diff", str(monthly), "--from", "1", "--to", "3"])
    assert computed.exit_code == 0, computed.stderr
    assert "Lineage of" not in computed.stdout
    assert (
        "Note: lineage and drift are stored only against the run each run was compared with"
        in computed.stdout
    )
