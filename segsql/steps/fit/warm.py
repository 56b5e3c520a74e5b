"""The warm start (``[lifecycle] warm_start``): the final fit begins at the previous run's centroids.

A monthly rerun sees mostly the same customers, so last month's centres are a
good start: the final fit converges in a few iterations and lands next to last
month's solution instead of wherever this month's seeds lead. The previous
run's centroids are read in original units (``centroids.value``) and put
through this run's preprocessing (transform, clip, centre, scale, with the
``segsql_scale`` macro every replay uses), so they sit in this run's scaled
space even when this month's means and spreads moved. They are used only when
this run's K equals the previous run's; otherwise (or with no previous run, or
``bisecting``, which cannot start from given centres) the fit starts cold, and
a warning says why. The K sweep is unchanged: it still chooses K.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.session import Session

__all__ = ["Start", "WarmStart", "load"]

_KEY = "[lifecycle] warm_start = true"


@dataclass(frozen=True)
class Start:
    """How the final fit at K starts: ``init`` (None: cold), a note for ``k_choice``, warnings."""

    init: np.ndarray | None = None
    note: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class WarmStart:
    """The previous run's centroids in this run's scaled space, or why there are none."""

    previous_run_id: int | None
    centers: np.ndarray | None
    problem: str | None = None

    def at(self, k: int, *, algorithm: str) -> Start:
        """The start of a final fit at ``k`` clusters with ``algorithm``."""
        if self.centers is None:
            return _cold(self.problem or "there is no previous run")
        if algorithm == "bisecting":
            return _cold('[model] algorithm = "bisecting" cannot start from given centres')
        if self.centers.shape[0] != k:
            had = self.centers.shape[0]
            return _cold(f"run {self.previous_run_id} has {had} segments and this run has K = {k}")
        return Start(
            init=self.centers,
            note=f"; warm start: the final fit began at run {self.previous_run_id}'s centroids",
        )


def load(session: Session, results: Mapping[str, Any]) -> WarmStart | None:
    """The warm start of this run (None when ``[lifecycle] warm_start`` is off)."""
    if not session.config.lifecycle.warm_start:
        return None
    # imported here: the lifecycle step reads the model's result (it imports segsql.steps.fit)
    from segsql.steps.lifecycle import previous_run

    pre = results["preprocess"]
    schema = session.schema
    run_id = previous_run(session.con, schema=schema, entity=results["features"].entity, features=pre.columns)
    if run_id is None:
        return WarmStart(
            previous_run_id=None,
            centers=None,
            problem=f"schema {schema!r} holds no previous run of this entity with these features",
        )
    scaler = pa.Table.from_pylist(
        [
            {
                "feature": s.feature,
                "position": s.position,
                "transform": s.transform,
                "clip_low": s.clip_low,
                "clip_high": s.clip_high,
                "center": s.center,
                "scale": s.scale,
            }
            for s in pre.scalers
        ],
        schema=pa.schema(
            [
                ("feature", pa.string()),
                ("position", pa.int32()),
                ("transform", pa.string()),
                ("clip_low", pa.float64()),
                ("clip_high", pa.float64()),
                ("center", pa.float64()),
                ("scale", pa.float64()),
            ]
        ),
    )
    with sql.registered(session.con, "segsql_warm_scaler_in", scaler):
        rows = sql.execute(
            session.con, "fit/warm_start", {"run_id": run_id}, centroids=(schema, "centroids")
        ).fetchall()
    p = len(pre.columns)
    segments = sorted({segment for segment, _, _ in rows})
    centers = np.full((len(segments), p), np.nan)
    at = {segment: i for i, segment in enumerate(segments)}
    for segment, position, value in rows:
        centers[at[segment], position] = math.nan if value is None else value
    if not segments or not np.isfinite(centers).all():
        # a centroid this run's transform cannot take (log1p of a value <= -1 after the
        # config changed), or one the previous run could not unscale
        return WarmStart(
            previous_run_id=run_id,
            centers=None,
            problem=f"run {run_id}'s centroids cannot be put through this run's preprocessing",
        )
    return WarmStart(previous_run_id=run_id, centers=centers)


def _cold(why: str) -> Start:
    return Start(warnings=(f"{_KEY} but {why}: the final fit started cold (k-means++ seeds)",))
