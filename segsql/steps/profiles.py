"""The profiles step: each feature's distribution per segment, in SQL, in original units.

Beside the raw-unit ``z``, each segment × feature has ``z_model``, its contrast
with the rest in the space the model clustered (after transform, winsorizing
and scaling): what the names, the recommendations and the heatmap's colour
read, since a log-transformed spend that sets a segment apart can look slight
in raw units. ``[output] min_group`` withholds the quantiles of small segments.
Names and recommendations are the next step (:mod:`segsql.steps.naming`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from segsql import sql
from segsql.errors import DataError
from segsql.session import Session

__all__ = ["Profiles", "build"]


@dataclass(frozen=True)
class Profiles:
    """The temp table ``segsql_profiles`` (segment × feature), for the names and the write-back."""

    relation: str


def build(session: Session, results: Mapping[str, Any]) -> Profiles:
    """Profile every segment from ``segsql_features``, ``segsql_scaled`` and ``segsql_labels``."""
    columns = results["preprocess"].columns
    params: dict[str, Any] = {f"feature_{i}": c for i, c in enumerate(columns)}
    params["min_group"] = session.config.output.min_group
    sql.execute(session.con, "profiles/profiles", params, columns=columns)
    # the features step refuses values whose sums can overflow; this is the last line, so that
    # no inf or NaN is ever written as a profile (nor read as a z-score by the names)
    bad = sql.execute(session.con, "profiles/nonfinite").fetchall()
    if bad:
        segment, feature = bad[0]
        raise DataError(
            f"feature {feature!r}: the statistics of segment {segment} overflow double precision "
            "(values too large to profile; rescale the feature)"
        )
    sql.execute(session.con, "profiles/published")
    session.leave("profiles", "segsql_profiles")
    return Profiles(relation="segsql_profiles")
