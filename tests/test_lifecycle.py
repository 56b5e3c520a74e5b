"""Segments keep their numbers across reruns, and say how they changed (issue: reruns).

Each test writes blobs whose truth is known (which entity is in which group),
runs segsql on them more than once, and reads ``segment_lineage``,
``segment_transitions`` and the segment numbers back.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

import segsql
from segsql.errors import DatabaseError

# well apart: k-means finds exactly these groups
CENTRES = {"A": (0.0, 0.0), "B": (10.0, 0.0), "C": (0.0, 10.0), "D": (10.0, 10.0)}


def _write(
    folder: Path, groups: dict[str, list[int]], *, where: dict[str, tuple[float, float]] | None = None
) -> None:
    """``groups``: entity ids per group; each group's points around its centre."""
    rng = np.random.default_rng(7)
    centres = {**CENTRES, **(where or {})}
    lines = ["id,a,b"]
    for group, ids in groups.items():
        cx, cy = centres[group]
        for i in ids:
            x, y = rng.normal((cx, cy), 0.8)
            lines.append(f"{i},{x:.6f},{y:.6f}")
    (folder / "d.csv").write_text("\n".join(lines) + "\n")


def _config(folder: Path, *, k: int, extra: str = "") -> Path:
    path = folder / "c.toml"
    path.write_text(
        '[project]\nname = "lc"\ndatabase = "lc.duckdb"\n\n[sources.d]\npath = "d.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM d"\n\n'
        f"[model]\nk = {k}\nn_init = 3\n\n[output]\nreport = false\n{extra}"
    )
    return path


def _ids(start: int, n: int) -> list[int]:
    return list(range(start, start + n))


def _segment_of(con: duckdb.DuckDBPyConnection, run_id: int, ids: list[int]) -> set[int]:
    rows = con.execute(
        "SELECT DISTINCT segment FROM segsql.segments WHERE run_id = ? AND id IN (SELECT unnest(?))",
        [run_id, ids],
    ).fetchall()
    return {r[0] for r in rows}


def _lineage(con: duckdb.DuckDBPyConnection, run_id: int) -> list[tuple]:
    return con.execute(
        "SELECT segment, previous_segment, event FROM segsql.segment_lineage WHERE run_id = ? "
        "ORDER BY segment NULLS LAST, previous_segment",
        [run_id],
    ).fetchall()


GROUPS = {"A": _ids(0, 400), "B": _ids(1000, 300), "C": _ids(2000, 200), "D": _ids(3000, 100)}


def test_the_first_run_numbers_segments_largest_first_and_calls_them_new(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    segsql.run(_config(tmp_path, k=4))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        assert [_segment_of(con, 1, GROUPS[g]) for g in "ABCD"] == [{1}, {2}, {3}, {4}]
        assert _lineage(con, 1) == [(s, None, "new") for s in (1, 2, 3, 4)]
        assert con.execute("SELECT count(*) FROM segsql.segment_transitions").fetchall() == [(0,)]


def test_a_rerun_on_the_same_data_keeps_every_number_with_no_shift(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    config = _config(tmp_path, k=4)
    segsql.run(config)
    segsql.run(config)
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT segment, previous_run_id, previous_segment, event, centroid_shift, members_kept "
            "FROM segsql.segment_lineage WHERE run_id = 2 ORDER BY segment"
        ).fetchall()
        assert rows == [(s, 1, s, "continued", 0.0, 1.0) for s in (1, 2, 3, 4)]
        assert con.execute("SELECT previous_run_id FROM segsql.runs WHERE run_id = 2").fetchall() == [(1,)]


def test_a_segment_that_shrinks_keeps_its_number_and_its_pinned_name(tmp_path: Path) -> None:
    # A is the largest group in run 1 (segment 1); then 3 of 4 of its customers leave, so that
    # per-run numbering would call B segment 1 and A segment 4
    _write(tmp_path, GROUPS)
    config = _config(tmp_path, k=4, extra='\n[segments.names]\n1 = "Origin"\n')
    segsql.run(config)
    shrunk = {**GROUPS, "A": GROUPS["A"][::4]}
    _write(tmp_path, shrunk)
    result = segsql.run(config)
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        assert [_segment_of(con, 2, shrunk[g]) for g in "ABCD"] == [{1}, {2}, {3}, {4}]
        named = con.execute("SELECT segment FROM segsql.segment_summary WHERE run_id = 2 AND name = 'Origin'")
        assert named.fetchall() == [(1,)]
        kept = con.execute(
            "SELECT members_kept FROM segsql.segment_lineage WHERE run_id = 2 AND segment = 1"
        ).fetchall()
        assert kept == [(0.25,)]
    assert result.segment_summary.sort("segment")["size"].to_list() == [100, 300, 200, 100]


def test_per_run_numbering_is_restored_by_match_false(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    segsql.run(_config(tmp_path, k=4))
    shrunk = {**GROUPS, "A": GROUPS["A"][::4]}
    _write(tmp_path, shrunk)
    segsql.run(_config(tmp_path, k=4, extra="\n[lifecycle]\nmatch = false\n"))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        # largest first again: B (300) is 1, C (200) is 2
        assert _segment_of(con, 2, shrunk["B"]) == {1} and _segment_of(con, 2, shrunk["C"]) == {2}
        assert _lineage(con, 2) == []


def test_a_segment_split_in_two_says_split_and_the_new_half_gets_a_new_number(tmp_path: Path) -> None:
    three = {"A": GROUPS["A"], "B": GROUPS["B"], "C": _ids(2000, 260)}
    _write(tmp_path, three)
    segsql.run(_config(tmp_path, k=3))
    # the same customers, but C's second half now lives far from its first
    halves = {"A": three["A"], "B": three["B"], "C": three["C"][:130], "D": three["C"][130:]}
    _write(tmp_path, halves)
    segsql.run(_config(tmp_path, k=4))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        assert _segment_of(con, 2, halves["A"]) == {1} and _segment_of(con, 2, halves["B"]) == {2}
        first, second = _segment_of(con, 2, halves["C"]), _segment_of(con, 2, halves["D"])
        assert {*first, *second} == {3, 4}
        assert sorted(_lineage(con, 2)) == [
            (1, 1, "continued"),
            (2, 2, "continued"),
            (3, 3, "split"),
            (4, 3, "split"),
        ]


def test_a_group_that_disappears_ends_and_its_number_is_never_reused(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    segsql.run(_config(tmp_path, k=4))
    without_d = {g: ids for g, ids in GROUPS.items() if g != "D"}
    _write(tmp_path, without_d)
    segsql.run(_config(tmp_path, k=3))
    # D comes back as new customers: compared with run 2 it is new, and takes number 5, not 4
    _write(tmp_path, {**without_d, "D": _ids(5000, 100)})
    segsql.run(_config(tmp_path, k=4))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        assert _lineage(con, 2) == [
            (1, 1, "continued"),
            (2, 2, "continued"),
            (3, 3, "continued"),
            (None, 4, "ended"),
        ]
        assert _lineage(con, 3)[-1] == (5, None, "new")
        assert _segment_of(con, 3, _ids(5000, 100)) == {5}


def test_two_groups_that_merge_say_merged(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    segsql.run(_config(tmp_path, k=4))
    # D's customers move next to C's
    _write(tmp_path, GROUPS, where={"D": CENTRES["C"]})
    segsql.run(_config(tmp_path, k=3))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        lineage = _lineage(con, 2)
        assert (3, 3, "merged") in lineage and (None, 4, "ended") in lineage
        assert _segment_of(con, 2, GROUPS["C"] + GROUPS["D"]) == {3}


def test_transitions_add_up_to_the_sizes_of_both_runs(tmp_path: Path) -> None:
    _write(tmp_path, GROUPS)
    segsql.run(_config(tmp_path, k=4))
    # some customers leave, some arrive, some move from B to D
    moved = {"A": GROUPS["A"][50:], "B": GROUPS["B"][:250], "C": GROUPS["C"] + _ids(9000, 40),
             "D": GROUPS["D"] + GROUPS["B"][250:]}  # fmt: skip
    _write(tmp_path, moved)
    segsql.run(_config(tmp_path, k=4))
    with duckdb.connect(str(tmp_path / "lc.duckdb"), read_only=True) as con:
        by_from = con.execute(
            "SELECT from_segment, sum(entities), sum(share) FROM segsql.segment_transitions "
            "WHERE to_run = 2 AND from_segment IS NOT NULL GROUP BY ALL ORDER BY 1"
        ).fetchall()
        sizes_1 = con.execute(
            "SELECT segment, count(*) FROM segsql.segments WHERE run_id = 1 GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert [(s, n) for s, n, _ in by_from] == sizes_1
        assert all(abs(total - 1.0) < 1e-12 for _, _, total in by_from)
        by_to = con.execute(
            "SELECT to_segment, sum(entities) FROM segsql.segment_transitions "
            "WHERE to_run = 2 AND to_segment IS NOT NULL GROUP BY ALL ORDER BY 1"
        ).fetchall()
        sizes_2 = con.execute(
            "SELECT segment, count(*) FROM segsql.segments WHERE run_id = 2 GROUP BY ALL ORDER BY 1"
        ).fetchall()
        assert by_to == sizes_2
        b_to_d = con.execute(
            "SELECT entities FROM segsql.segment_transitions WHERE to_run = 2 AND from_segment = 2 "
            "AND to_segment = 4"
        ).fetchall()
        assert b_to_d == [(50,)]
        gone = con.execute(
            "SELECT entities FROM segsql.segment_transitions WHERE to_run = 2 AND from_segment = 1 "
            "AND to_segment IS NULL"
        ).fetchall()
        arrived = con.execute(
            "SELECT entities FROM segsql.segment_transitions WHERE to_run = 2 AND from_segment IS NULL"
        ).fetchall()
        assert gone == [(50,)] and arrived == [(40,)]


def test_a_failed_run_leaves_lineage_and_transitions_as_they_were(tmp_path: Path, monkeypatch) -> None:
    _write(tmp_path, GROUPS)
    config = _config(tmp_path, k=4)
    segsql.run(config)
    segsql.run(config)
    database = tmp_path / "lc.duckdb"

    def snapshot() -> tuple:
        with duckdb.connect(str(database), read_only=True) as con:
            return tuple(
                con.execute(f"SELECT * FROM segsql.{t} ORDER BY ALL").fetchall()
                for t in ("segment_lineage", "segment_transitions", "runs")
            )

    before = snapshot()
    from segsql.steps import writeback

    def broken(*args, **kwargs):
        raise DatabaseError("the disk is on fire")

    monkeypatch.setattr(writeback, "create_assign_macro", broken)
    with pytest.raises(DatabaseError, match="on fire"):
        segsql.run(config)
    assert snapshot() == before


def test_a_continuing_segment_keeps_its_generated_name_while_its_contrasts_hold(tmp_path: Path) -> None:
    from segsql.config import load_config
    from segsql.steps.naming import Contrast, describe_segments

    config = load_config(_config(tmp_path, k=2))
    # the same two contrasts, but b is now a little stronger than a: the name would flip order
    rows = [
        Contrast(1, "a", 1.0, 0.0, 2.0), Contrast(1, "b", 1.0, 0.0, 2.1),
        Contrast(2, "a", 0.0, 1.0, -2.0), Contrast(2, "b", 0.0, 1.0, -2.1),
    ]  # fmt: skip
    fresh = describe_segments(rows, config=config)
    assert fresh[1].name == "High b · High a"
    kept = describe_segments(rows, config=config, keep={1: "High a · High b", 2: "Low a · High b"})
    assert kept[1].name == "High a · High b"  # both parts still hold
    assert kept[2].name == fresh[2].name  # "High b" no longer holds for segment 2


def _retail(folder: Path) -> Path:
    """The bundled retail RFM config, writing into ``folder``, with a fixed K and no report."""
    data = Path(__file__).parent.parent / "data"
    text = (data / "retail.toml").read_text()
    text = text.replace('path = "online_retail.csv"', f'path = "{(data / "online_retail.csv").as_posix()}"')
    text = text.replace('k = "auto"', "k = 4").replace('dir = "out/retail"', "report = false")
    text = text.replace('[project]\nname = "retail"', '[project]\nname = "retail"\n')
    path = folder / "retail.toml"
    path.write_text(text + '\n[segments.names]\n1 = "Pinned"\n')
    return path


def test_six_monthly_retail_runs_keep_numbers_names_and_add_up(tmp_path: Path) -> None:
    config = _retail(tmp_path)
    months = ["2011-07-01", "2011-08-01", "2011-09-01", "2011-10-01", "2011-11-01", "2011-12-01"]
    for month in months:
        segsql.run(config, as_of=month)
    with duckdb.connect(str(tmp_path / "retail.duckdb"), read_only=True) as con:
        assert [
            r[0]
            for r in con.execute("SELECT as_of::DATE::VARCHAR FROM segsql.runs ORDER BY run_id").fetchall()
        ] == months
        for run in range(2, 7):
            lineage = con.execute(
                "SELECT segment, previous_segment, event FROM segsql.segment_lineage WHERE run_id = ?", [run]
            ).fetchall()
            # a segment that continues keeps its number, and its name unless pinned otherwise
            for segment, previous_segment, event in lineage:
                if event == "continued":
                    assert segment == previous_segment
                    names = con.execute(
                        "SELECT run_id, name FROM segsql.segment_summary "
                        "WHERE segment = ? AND run_id IN (?, ?) ORDER BY run_id",
                        [segment, run - 1, run],
                    ).fetchall()
                    assert names[0][1] == names[1][1], (run, segment, names)
            # the pinned name stays on the segment that holds most of its previous members
            pinned = con.execute(
                "SELECT to_segment FROM segsql.segment_transitions WHERE to_run = ? AND from_segment = 1 "
                "AND to_segment IS NOT NULL ORDER BY entities DESC LIMIT 1",
                [run],
            ).fetchall()
            assert pinned == [(1,)]
            # transitions add up to both runs' sizes
            for side, other_run in (("from", run - 1), ("to", run)):
                sums = con.execute(
                    f"SELECT {side}_segment, sum(entities) FROM segsql.segment_transitions WHERE to_run = ? "
                    f"AND {side}_segment IS NOT NULL GROUP BY ALL ORDER BY 1",
                    [run],
                ).fetchall()
                sizes = con.execute(
                    "SELECT segment, size FROM segsql.segment_summary WHERE run_id = ? ORDER BY 1",
                    [other_run],
                ).fetchall()
                assert sums == sizes
