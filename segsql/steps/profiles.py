"""The profiles step: each feature's distribution per segment, in SQL, in original units.

Names and recommendations are the next step (:mod:`segsql.steps.naming`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from segsql import sql
from segsql.session import Session

__all__ = ["Profiles", "build"]


@dataclass(frozen=True)
class Profiles:
    """The temp table ``segsql_profiles`` (segment × feature), for the names and the write-back."""

    relation: str


def build(session: Session, results: Mapping[str, Any]) -> Profiles:
    """Profile every segment from ``segsql_features`` and ``segsql_labels``."""
    columns = results["preprocess"].columns
    params = {f"feature_{i}": c for i, c in enumerate(columns)}
    sql.execute(session.con, "profiles/profiles", params, columns=columns)
    session.leave("profiles", "segsql_profiles")
    return Profiles(relation="segsql_profiles")
