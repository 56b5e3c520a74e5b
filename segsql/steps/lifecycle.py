"""Reruns: segments keep their numbers from one run to the next, and say how they changed.

A project is rerun every month; the business keys campaigns, dashboards and
names on segment numbers. This step matches the new run's segments to the
previous successful run's (same schema, entity and features: :func:`previous_run`)
and renumbers them: a segment that continues keeps its number, and one with
no good match gets the next number never used in the schema. It leaves
``segment_lineage`` (what each segment is: continued, split, merged, new;
previous segments that end) and ``segment_transitions`` (entities from each
previous segment to each new one). See the README, "Reruns".

The match, in the previous run's scaled space:

- member overlap: the Jaccard similarity of a previous and a new segment over
  the entities both runs have;
- centroid distance: the new centroid (taken back to original units and
  through the previous run's preprocessing) to the previous centroid, in units
  of the previous centroids' median spacing, capped at 1;
- an optimal one-to-one assignment minimising ``(1 - Jaccard) + distance``
  (scipy's ``linear_sum_assignment``); a pair is a match when the Jaccard is at
  least :data:`MIN_JACCARD`, or, where the two runs share no entity of either
  segment, when the distance is at most :data:`MAX_DISTANCE` spacings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.errors import DatabaseError
from segsql.scoring.saved import SavedModel, saved_model
from segsql.session import Matrix, Session
from segsql.steps.preprocess import Preprocessed

__all__ = ["Identities", "assign", "match", "previous_run", "spacing_of"]

# a previous and a new segment are the same segment when they share this much (Jaccard)
MIN_JACCARD = 0.25
# … or, sharing no entities, when their centroids are this close (in centroid spacings)
MAX_DISTANCE = 0.5
# a segment that sends (or receives) this share of its members to (from) another segment
# besides its match has split (merged)
MIN_SHARE = 0.25


@dataclass(frozen=True)
class Identities:
    """The numbers of this run's segments: ``segments[i]`` is the number of row ``i`` of the
    model's centers (the model numbers them 1..K, largest first)."""

    previous_run_id: int | None
    segments: tuple[int, ...]
    events: tuple[str, ...] = ()


def previous_run(
    con: duckdb.DuckDBPyConnection, *, schema: str, entity: str, features: tuple[str, ...]
) -> int | None:
    """The latest successful run of ``entity`` with exactly ``features`` in ``schema``, or None."""
    if not sql.execute(con, "history/runs_exists", {"schema": schema}).fetchall():
        return None
    row = sql.execute(
        con,
        "lifecycle/previous_run",
        {"entity": entity, "features": json.dumps(list(features))},
        runs=(schema, "runs"),
    ).fetchall()
    return None if row[0][0] is None else int(row[0][0])


def match(session: Session, results: Mapping[str, Any]) -> Identities:
    """The lifecycle step: number the segments, leave their lineage and transitions."""
    con, schema = session.con, session.schema
    # (the model's FitResult: not imported, as the fit strategies import this module for a warm start)
    fit = results["model"]
    pre: Preprocessed = results["preprocess"]
    entity = results["features"].entity
    labels = session.relation("labels")
    own = tuple(range(1, fit.k + 1))
    previous = previous_run(con, schema=schema, entity=entity, features=pre.columns)
    if previous is None:
        if session.config.lifecycle.match:  # the first run: every segment is new
            _leave_lineage(session, [_row(s, None, None, "new") for s in own])
        return Identities(previous_run_id=None, segments=own, events=("new",) * fit.k)
    segments = (schema, "segments")
    if session.config.lifecycle.match:
        sizes = dict(sql.execute(con, "lifecycle/sizes", {"run_id": previous}, segments=segments).fetchall())
        previous_segments = tuple(int(s) for s in sizes)
        overlap = _overlap(con, segments, labels, entity, previous, previous_segments, fit.k)
        centers = np.asarray(fit.centers, dtype=np.float64)
        try:
            model = saved_model(con, schema=schema, run_id=previous)
        except DatabaseError:  # a database from before scoring: its tables are upgraded at write-back
            model = None
        if model is not None and model.segments == previous_segments:
            distance = _distances(model, centers, pre)
            spacing = spacing_of(np.array(model.centroids, dtype=np.float64))
        else:  # no model to measure with: members alone decide
            distance, spacing = np.full((len(previous_segments), fit.k), np.inf), 1.0
        last = sql.execute(con, "lifecycle/last_number", summary=(schema, "segment_summary")).fetchall()[0][0]
        numbers, rows = assign(
            overlap=overlap,
            distance=distance,
            previous_segments=previous_segments,
            previous_sizes=np.array([sizes[s] for s in previous_segments], dtype=np.float64),
            previous_run_id=previous,
            last_number=int(last),
            spacing=spacing,
        )
        if numbers != own:
            mapping = pa.table(
                {"fit_segment": pa.array(own, pa.int32()), "segment": pa.array(numbers, pa.int32())}
            )
            with sql.registered(con, "segsql_identity_in", mapping):
                sql.execute(con, "lifecycle/renumber", labels=labels)
            if session.matrix is not None and session.matrix.labels is not None:
                lookup = np.zeros(fit.k + 1, dtype=np.int64)
                lookup[1:] = numbers
                session.matrix = Matrix(X=session.matrix.X, labels=lookup[session.matrix.labels])
        _leave_lineage(session, rows)
        events = tuple(next(r["event"] for r in rows if r["segment"] == n) for n in numbers)
    else:
        numbers, events = own, ()
    sql.execute(con, "lifecycle/transitions", {"previous_run_id": previous}, segments=segments, labels=labels,
                entity=entity)  # fmt: skip
    session.leave("segment_transitions", "segsql_segment_transitions")
    return Identities(previous_run_id=previous, segments=numbers, events=events)


def assign(
    *,
    overlap: np.ndarray,
    distance: np.ndarray,
    previous_segments: tuple[int, ...],
    previous_sizes: np.ndarray,
    previous_run_id: int,
    last_number: int,
    spacing: float,
) -> tuple[tuple[int, ...], list[dict[str, Any]]]:
    """Each new segment's number, and the lineage rows (new segments, then ended ones).

    ``overlap[i, j]`` counts the entities previous segment ``i`` shares with new
    segment ``j`` (the model's order), ``distance[i, j]`` their centroids'
    distance in the previous run's scaled space.

    >>> numbers, rows = assign(
    ...     overlap=np.array([[0, 9], [8, 1]]), distance=np.array([[2.0, 0.1], [0.1, 2.0]]),
    ...     previous_segments=(1, 2), previous_sizes=np.array([9.0, 9.0]),
    ...     previous_run_id=1, last_number=2, spacing=1.0)
    >>> numbers, [r["event"] for r in rows]
    ((2, 1), ['continued', 'continued'])
    """
    n_previous, k = overlap.shape
    shared_previous = overlap.sum(axis=1).astype(np.float64)
    shared_new = overlap.sum(axis=0).astype(np.float64)
    union = shared_previous[:, None] + shared_new[None, :] - overlap
    jaccard = np.divide(overlap, union, out=np.zeros(overlap.shape), where=union > 0)
    near = np.minimum(distance / spacing, 1.0)
    from scipy.optimize import linear_sum_assignment  # imported here: a first run matches nothing

    rows_i, cols_j = linear_sum_assignment((1.0 - jaccard) + near)
    both_shared = (shared_previous[:, None] > 0) & (shared_new[None, :] > 0)
    matched: dict[int, int] = {}  # new j -> previous i
    for i, j in zip(rows_i, cols_j, strict=True):
        good = jaccard[i, j] >= MIN_JACCARD if both_shared[i, j] else near[i, j] <= MAX_DISTANCE
        if good:
            matched[int(j)] = int(i)
    numbers: list[int] = []
    rows: list[dict[str, Any]] = []
    next_number = last_number
    gave = np.divide(
        overlap, shared_previous[:, None], out=np.zeros(overlap.shape), where=shared_previous[:, None] > 0
    )
    got = np.divide(overlap, shared_new[None, :], out=np.zeros(overlap.shape), where=shared_new[None, :] > 0)
    for j in range(k):
        if j in matched:
            i = matched[j]
            number = previous_segments[i]
            others_in = [p for p in range(n_previous) if p != i and got[p, j] >= MIN_SHARE]
            others_out = [n for n in range(k) if n != j and gave[i, n] >= MIN_SHARE]
            event = "merged" if others_in else ("split" if others_out else "continued")
        else:
            next_number += 1
            number = next_number
            i = int(np.argmax(overlap[:, j])) if shared_new[j] > 0 else -1
            event = "split" if i >= 0 and gave[i, j] >= MIN_SHARE else "new"
            if event == "new":
                i = -1
        numbers.append(number)
        if i < 0:
            rows.append(_row(number, None, None, event))
        else:
            kept = overlap[i, j] / previous_sizes[i] if previous_sizes[i] > 0 else None
            rows.append(_row(number, previous_segments[i], float(distance[i, j]), event, kept))
    for i in sorted(set(range(n_previous)) - set(matched.values())):
        rows.append(_row(None, previous_segments[i], None, "ended"))
    for row in rows:
        row["previous_run_id"] = previous_run_id if row["previous_segment"] is not None else None
    return tuple(numbers), rows


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.divide(part, whole, out=np.zeros(part.shape), where=whole > 0)


def spacing_of(centroids: np.ndarray) -> float:
    """The median distance between centroids: the unit of ``centroid_shift`` comparisons.

    >>> spacing_of(np.array([[0.0], [2.0], [3.0]]))
    2.0
    """
    if centroids.shape[0] < 2:
        return 1.0
    from scipy.spatial.distance import pdist  # imported here, as linear_sum_assignment is

    median = float(np.median(pdist(centroids)))
    return median if median > 0 else 1.0


def _row(
    segment: int | None,
    previous_segment: int | None,
    shift: float | None,
    event: str,
    kept: float | None = None,
) -> dict[str, Any]:
    return {
        "segment": segment,
        "previous_run_id": None,
        "previous_segment": previous_segment,
        "event": event,
        # a rerun on the same data lands within rounding of the same centroid: say 0
        "centroid_shift": None if shift is None or not np.isfinite(shift) else round(shift, 9),
        "members_kept": kept,
    }


def _leave_lineage(session: Session, rows: list[dict[str, Any]]) -> None:
    frame = pa.Table.from_pylist(
        rows,
        schema=pa.schema(
            [
                ("segment", pa.int32()),
                ("previous_run_id", pa.int64()),
                ("previous_segment", pa.int32()),
                ("event", pa.string()),
                ("centroid_shift", pa.float64()),
                ("members_kept", pa.float64()),
            ]
        ),
    )
    with sql.registered(session.con, "segsql_lineage_in", frame):
        sql.execute(session.con, "lifecycle/lineage")
    session.leave("segment_lineage", "segsql_segment_lineage")


def _overlap(
    con: duckdb.DuckDBPyConnection,
    segments: tuple[str, str],
    labels: str,
    entity: str,
    previous: int,
    previous_segments: tuple[int, ...],
    k: int,
) -> np.ndarray:
    index = {s: i for i, s in enumerate(previous_segments)}
    counts = np.zeros((len(previous_segments), k), dtype=np.float64)
    pairs = sql.execute(
        con,
        "lifecycle/overlap",
        {"previous_run_id": previous},
        segments=segments,
        labels=labels,
        entity=entity,
    ).fetchall()
    for previous_segment, segment, entities in pairs:
        if previous_segment in index:
            counts[index[previous_segment], segment - 1] = entities
    return counts


def _distances(model: SavedModel, new: np.ndarray, pre: Preprocessed) -> np.ndarray:
    """Previous × new centroid distances (``new`` in this run's scaled space), in the previous run's."""
    mapped = np.empty_like(new)
    for i, scaler in enumerate(pre.scalers):
        value = _untransform(new[:, i] * scaler.scale + scaler.center, scaler.transform)
        mapped[:, i] = _previous_scaled(model, i, value)
    from scipy.spatial.distance import cdist  # imported here, as linear_sum_assignment is

    distance = cdist(np.array(model.centroids, dtype=np.float64), mapped)
    # a centroid outside the previous transform's domain (log1p of a value at or below -1,
    # when the features changed meaning) is no match by distance: infinitely far
    return np.where(np.isfinite(distance), distance, np.inf)


def _untransform(t: np.ndarray, how: str) -> np.ndarray:
    if how == "log1p":
        return np.expm1(t)
    if how == "sqrt":
        return np.square(np.maximum(t, 0.0))
    return t


def _previous_scaled(model: SavedModel, i: int, value: np.ndarray) -> np.ndarray:
    how = model.transforms[i]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = (
            np.log1p(value)
            if how == "log1p"
            else (np.sqrt(np.maximum(value, 0.0)) if how == "sqrt" else value)
        )
    low, high = model.clip_low[i], model.clip_high[i]
    if low is not None:
        t = np.maximum(t, low)
    if high is not None:
        t = np.minimum(t, high)
    return (t - model.centers[i]) / model.scales[i]
