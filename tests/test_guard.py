"""The privacy and actionability guard (issue 13): ``[segments] min_size`` and ``[output] min_group``.

Blobs whose truth is known: two large groups and a handful of entities far from
both, nearer the first, which k-means with K = 3 gives a segment of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import pytest

import segsql
from segsql.errors import DataError

QUANTILES = ("median", "std", "p25", "p75", "min", "p05", "p95", "max")


def _write(folder: Path, *, extra: str = "", small: int = 6) -> Path:
    rng = np.random.default_rng(3)
    groups = [(0, 300, (0.0, 0.0)), (1000, 200, (10.0, 0.0)), (2000, small, (1.0, 20.0))]
    lines = ["id,a,b"]
    for start, n, centre in groups:
        for i in range(start, start + n):
            x, y = rng.normal(centre, 0.5)
            lines.append(f"{i},{x:.6f},{y:.6f}")
    (folder / "d.csv").write_text("\n".join(lines) + "\n")
    path = folder / "c.toml"
    path.write_text(
        '[project]\nname = "guard"\ndatabase = "g.duckdb"\n\n[sources.d]\npath = "d.csv"\n\n'
        '[features]\nentity = "id"\nsql = "SELECT * FROM d"\n\n[preprocess]\nscaling = "none"\n\n'
        f"[model]\nk = 3\nn_init = 5\n\n[output]\nreport = false\n{extra}"
    )
    return path


def _points(folder: Path) -> dict[int, np.ndarray]:
    data = np.loadtxt(folder / "d.csv", delimiter=",", skiprows=1)
    return {int(row[0]): row[1:] for row in data}


def test_a_segment_smaller_than_min_size_is_merged_into_its_nearest_neighbour(tmp_path: Path) -> None:
    result = segsql.run(_write(tmp_path, extra="\n[segments]\nmin_size = 10\n"))
    points = _points(tmp_path)
    labels = dict(result.segments.select("id", "segment").iter_rows())
    first, second = labels[0], labels[1000]
    # the six far entities joined the group whose centre is nearest theirs (the first)
    assert {labels[i] for i in range(2000, 2006)} == {first}
    assert {labels[i] for i in range(300)} == {first} and {labels[i] for i in range(1000, 1200)} == {second}
    sizes = dict(result.segment_summary.select("segment", "size").iter_rows())
    assert sizes == {first: 306, second: 200}
    # its centre is the mean of its members now, and their distances are measured to it
    members = [i for i, s in labels.items() if s == first]
    centre = np.mean([points[i] for i in members], axis=0)
    saved = {
        r["feature"]: r["value_scaled"]
        for r in result.tables["centroids"].filter(segment=first).iter_rows(named=True)
    }
    assert [saved["a"], saved["b"]] == pytest.approx(centre.tolist(), rel=1e-9)
    assert set(result.tables["centroids"]["segment"]) == {first, second}
    distance = dict(result.segments.select("id", "distance").iter_rows())
    for i in members:
        assert distance[i] == pytest.approx(float(np.linalg.norm(points[i] - centre)), rel=1e-9)
    assert set(result.tables["projection"].filter(kind="centroid")["segment"]) == {first, second}
    assert set(result.profiles["segment"]) == {first, second}
    # the run says so, in its warnings and in runs.warnings
    warning = next(w for w in result.warnings if "min_size" in w)
    assert "6 entities" in warning and f"merged into segment {first}" in warning
    stored = json.loads(result.tables["runs"]["warnings"][0])
    assert warning in stored


def test_a_min_size_that_would_leave_one_segment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"\[segments\] min_size = 600"):
        segsql.run(_write(tmp_path, extra="\n[segments]\nmin_size = 600\n"))


def test_a_merge_on_a_rerun_leaves_lineage_and_transitions_of_the_kept_segments(tmp_path: Path) -> None:
    segsql.run(_write(tmp_path, small=40))  # three segments, the third of 40
    config = _write(tmp_path, small=6, extra="\n[segments]\nmin_size = 10\n")
    second = segsql.run(config)
    kept = set(second.segment_summary["segment"])
    assert len(kept) == 2
    with duckdb.connect(str(tmp_path / "g.duckdb"), read_only=True) as con:
        lineage = con.execute(
            "SELECT segment FROM segsql.segment_lineage WHERE run_id = ? AND segment IS NOT NULL",
            [second.run_id],
        ).fetchall()
        moved = con.execute(
            "SELECT to_segment, sum(entities) FROM segsql.segment_transitions "
            "WHERE to_run = ? AND to_segment IS NOT NULL GROUP BY ALL",
            [second.run_id],
        ).fetchall()
    assert {s for (s,) in lineage} == kept
    sizes = dict(second.segment_summary.select("segment", "size").iter_rows())
    assert dict(moved) == sizes  # the entities moved into each segment add up to its size now


def test_the_quantiles_of_a_group_smaller_than_min_group_are_not_published(tmp_path: Path) -> None:
    result = segsql.run(_write(tmp_path, extra="min_group = 10\n"))
    sizes = dict(result.segment_summary.select("segment", "size").iter_rows())
    small = next(s for s, n in sizes.items() if n == 6)
    for row in result.profiles.iter_rows(named=True):
        withheld = [row[q] is None for q in QUANTILES]
        assert all(withheld) if row["segment"] == small else not any(withheld), row
        assert row["mean"] is not None and row["z_model"] is not None
