"""The guard step: no segment smaller than ``[segments] min_size`` reaches the output tables.

A segment of a handful of entities is neither actionable (no campaign for
three customers) nor private (its profile is close to those customers' own
values). After the lifecycle step has numbered the segments, each segment with
fewer entities than ``min_size`` (smallest first) joins the segment whose centre
is nearest in the scaled space; that segment's centre becomes the mean of its
new members and their distances are measured to it. The run is told, in
``runs.warnings``. The model's other results (K, the sweep, inertia) stay those
of the fit. See the README, "Small segments".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.errors import DataError
from segsql.session import Matrix, Session

__all__ = ["Guarded", "guard", "kept"]


@dataclass(frozen=True)
class Guarded:
    """The segments that remain (``segments[i]`` is the centre ``centers[i]``) and what was merged:
    ``merged`` holds (segment, into, its size) in the order the merges were made."""

    segments: tuple[int, ...]
    centers: np.ndarray
    merged: tuple[tuple[int, int, int], ...] = ()
    warnings: tuple[str, ...] = ()


def kept(results: Mapping[str, Any]) -> tuple[tuple[int, ...], np.ndarray]:
    """The run's segment numbers and their centres (scaled space), after the guard if it ran."""
    guarded = results.get("guard")
    if guarded is not None:
        return guarded.segments, guarded.centers
    return results["lifecycle"].segments, results["model"].centers


def guard(session: Session, results: Mapping[str, Any]) -> Guarded:
    """The guard step: merge every segment smaller than ``[segments] min_size`` into its nearest."""
    segments = list(results["lifecycle"].segments)
    centers = np.array(results["model"].centers, dtype=np.float64)
    min_size = session.config.segments.min_size
    if min_size is None:
        return Guarded(segments=tuple(segments), centers=centers)
    con, labels = session.con, session.relation("labels")
    columns = results["preprocess"].columns
    sizes = dict(sql.execute(con, "guard/sizes", labels=labels).fetchall())
    merged: list[tuple[int, int, int]] = []
    warnings: list[str] = []
    while True:
        # smallest first (of equal sizes, the higher number: the newer segment); a segment the
        # fit left empty has no row and just goes
        small = min(segments, key=lambda s: (sizes.get(s, 0), -s))
        size = sizes.get(small, 0)
        if size >= min_size:
            break
        if len(segments) == 1:
            raise DataError(
                f"[segments] min_size = {min_size}: merging the segments smaller than it leaves one "
                f"segment of {size} entities (lower min_size, or segment more entities)"
            )
        i = segments.index(small)
        others = [j for j in range(len(segments)) if j != i]
        gaps = np.linalg.norm(centers[others] - centers[i], axis=1)
        j = others[int(np.argmin(gaps))]  # ties: the first in the model's order
        into = segments[j]
        sql.execute(con, "guard/merge", {"segment": small, "into": into}, labels=labels)
        sizes[into] = sizes.get(into, 0) + size
        sizes.pop(small, None)
        # with [features] weight the centre is the members' weighted mean, as in the fit
        query = "guard/centre" if results["features"].weight is None else "guard/centre_weighted"
        centre = sql.execute(con, query, {"segment": into}, columns=columns, labels=labels)
        centers[j] = np.array(centre.fetchall()[0], dtype=np.float64)
        centers = np.delete(centers, i, axis=0)
        del segments[i]
        merged.append((small, into, size))
        warnings.append(
            f"segment {small} has {size} entities, fewer than [segments] min_size = {min_size}: "
            f"merged into segment {into}, the nearest ({sizes[into]} entities now)"
        )
    if merged:
        _after_merges(session, results, merged, segments, centers)
    return Guarded(segments=tuple(segments), centers=centers, merged=tuple(merged), warnings=tuple(warnings))


def _after_merges(
    session: Session,
    results: Mapping[str, Any],
    merged: list[tuple[int, int, int]],
    segments: list[int],
    centers: np.ndarray,
) -> None:
    """Distances to the moved centres, the in-memory labels, and the lifecycle's relations."""
    con, labels = session.con, session.relation("labels")
    # a segment merged into one that later merged on holds its members under the last number
    receivers = sorted({into for _, into, _ in merged} & set(segments))
    moved = pa.table(
        {
            "segment": pa.array(receivers, pa.int32()),
            "centre": pa.array(
                [centers[segments.index(s)].tolist() for s in receivers], pa.list_(pa.float64())
            ),
        }
    )
    with sql.registered(con, "segsql_guard_centres", moved):
        sql.execute(con, "guard/distances", columns=results["preprocess"].columns, labels=labels)
    if session.matrix is not None and session.matrix.labels is not None:
        relabelled = session.matrix.labels.copy()
        for small, into, _ in merged:
            relabelled[relabelled == small] = into
        session.matrix = Matrix(X=session.matrix.X, labels=relabelled)
    if session.has("segment_lineage"):
        for small, _, _ in merged:
            sql.execute(con, "guard/lineage", {"segment": small}, lineage=session.relation("segment_lineage"))
    identities = results["lifecycle"]
    if session.has("segment_transitions") and identities.previous_run_id is not None:
        # the lifecycle step counted the moves into the segments before the merges
        sql.execute(
            con,
            "lifecycle/transitions",
            {"previous_run_id": identities.previous_run_id},
            segments=(session.schema, "segments"),
            labels=labels,
            entity=results["features"].entity,
        )
