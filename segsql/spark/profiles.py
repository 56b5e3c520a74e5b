"""The profiles step's Spark part: the statistics over every row in Spark SQL (README, "Spark").

Under ``engine = "spark"`` the profiles step is :func:`build` (swapped in by
:mod:`segsql.spark.engine`), which runs :func:`profile_stats` instead of the
DuckDB step's query and then the rest of the DuckDB step
(:func:`segsql.steps.profiles.finish`): Spark
aggregates every row once per segment (``queries/spark/profile_segments.sql``:
each feature's sums, counts, stds, quantiles, min and max, and the segment's
size and p99 distance), those few rows per segment are collected to the
driver, the profiles are computed from them (``queries/spark/profiles.sql``),
and both are left in the DuckDB session as ``segsql_profile_stats`` and
``segsql_segment_sizes``, the tables the steps after it read (the overflow
check, the published profiles, the names and the summary), so those steps do
not know which engine ran.

Spark's labels are the fit's (segments 1..K, as the scoring query gave them);
the lifecycle step may have renumbered them and the ``[segments] min_size``
guard merged some, in DuckDB. Both are replayed in Spark from what those
steps returned (a segment map and the moved centres), so the statistics are
those of the labels the run writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from segsql import sql
from segsql.errors import QueryError
from segsql.session import Session
from segsql.spark import sql as spark_sql
from segsql.spark.output import SparkRun
from segsql.steps import profiles as duck_profiles

__all__ = ["build", "profile_stats", "segment_map"]


def build(session: Session, results: Mapping[str, Any]) -> duck_profiles.Profiles:
    """The profiles step under Spark: the statistics in Spark SQL, then the DuckDB step's rest."""
    columns = results["preprocess"].columns
    params: dict[str, Any] = {f"feature_{i}": c for i, c in enumerate(columns)}
    params["min_group"] = session.config.output.min_group
    profile_stats(session, results, params)
    return duck_profiles.finish(session, results["features"])


def segment_map(results: Mapping[str, Any]) -> tuple[dict[int, int], dict[int, np.ndarray]]:
    """The fit's segment → the run's segment, and the centres the guard moved (by segment).

    The lifecycle step's ``segments[i]`` is fit segment ``i + 1``'s number;
    the guard's merges, in their order, move a segment's members into another.
    """
    numbers = results["lifecycle"].segments
    final = {i + 1: int(n) for i, n in enumerate(numbers)}
    moved: dict[int, np.ndarray] = {}
    guarded = results.get("guard")
    if guarded is not None and guarded.merged:
        for small, into, _ in guarded.merged:
            final = {fit: (into if now == small else now) for fit, now in final.items()}
        receivers = {into for _, into, _ in guarded.merged} & set(guarded.segments)
        moved = {
            s: np.asarray(guarded.centers[guarded.segments.index(s)], dtype=np.float64) for s in receivers
        }
    return final, moved


def profile_stats(session: Session, results: Mapping[str, Any], params: dict[str, Any]) -> None:
    """Leave ``segsql_profile_stats`` and ``segsql_segment_sizes`` in DuckDB, computed by Spark."""
    run = session.spark
    assert isinstance(run, SparkRun), "segsql.spark.engine.use_spark sets it"
    spark = run.spark
    columns = list(results["preprocess"].columns)
    final, moved = segment_map(results)
    run.view(spark.createDataFrame(list(final.items()), "fit_segment INT, segment INT"), "segsql_segment_map")
    # the centres' columns are segsql's own names (c_0, c_1, …), not the features'
    schema = ", ".join(["segment INT", *(f"c_{i} DOUBLE" for i in range(len(columns)))])
    rows = [(s, *(float(v) for v in centre)) for s, centre in moved.items()]
    run.view(spark.createDataFrame(rows, schema), "segsql_moved_centres")
    try:
        query = "final_segments_moved" if moved else "final_segments"
        run.view(spark_sql.run(spark, query, columns=columns), "segsql_final_labels")
        # the one pass over every row; its few rows per segment come back to the driver, and
        # the profiles are computed from them (a second query over K rows)
        segments = spark_sql.run(spark, "profile_segments", columns=columns).toArrow()
        run.view(spark.createDataFrame(segments), "segsql_profile_segments")
        stats = spark_sql.run(spark, "profiles", _typed(params), columns=columns).toArrow()
    except QueryError:
        raise
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise QueryError(spark_sql.first_line(exc), query="queries/spark/profiles.sql") from None
    with sql.registered(session.con, "segsql_profile_stats_in", stats):
        sql.execute(session.con, "spark/profile_stats")
    sizes = segments.select(["segment", "members", "p99_distance"])
    with sql.registered(session.con, "segsql_segment_sizes_in", sizes):
        sql.execute(session.con, "spark/segment_sizes_in")


def _typed(params: dict[str, Any]) -> dict[str, Any]:
    """``$min_group`` as a number Spark compares with a count (Spark binds a Python int as INT)."""
    return {k: int(v) if k == "min_group" and v is not None else v for k, v in params.items()}
