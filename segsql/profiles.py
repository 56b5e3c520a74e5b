"""Segment profiles (in SQL) and readable segment names from their strongest contrasts."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from . import sql

__all__ = ["write_profiles", "segment_names"]

# a feature sets a segment apart when its mean is this many overall standard
# deviations away from the rest's
_NOTABLE_Z = 0.5


def write_profiles(
    con: duckdb.DuckDBPyConnection, *, schema: str, run_id: int, columns: tuple[str, ...]
) -> None:
    """Append this run's ``profiles`` rows, computed in SQL from features and labels."""
    params = {"run_id": run_id} | {f"feature_{i}": c for i, c in enumerate(columns)}
    sql.execute(con, "profiles/profiles", params, columns=columns, schema=schema)


def segment_names(
    profiles: list[tuple[int, str, float | None]],
    *,
    labels: dict[str, str] | None = None,
    overrides: dict[int, str] | None = None,
    top: int = 2,
) -> dict[int, str]:
    """Name each segment after its strongest contrasts with the rest.

    ``profiles`` holds (segment, feature, z) rows; ``labels`` gives a readable
    name per feature. Names that would collide get the segment number added.

    >>> segment_names([(1, "income", 1.2), (1, "visits", -0.1), (2, "income", -1.2), (2, "visits", 0.1)])
    {1: 'High income', 2: 'Low income'}
    """
    labels = labels or {}
    by_segment: dict[int, list[tuple[str, float]]] = {}
    for segment, feature, z in profiles:
        by_segment.setdefault(segment, []).append((feature, z if z is not None else 0.0))
    names: dict[int, str] = {}
    for segment, rows in sorted(by_segment.items()):
        strongest = sorted(rows, key=lambda r: (-abs(r[1]), r[0]))
        parts = [
            f"{'High' if z > 0 else 'Low'} {labels.get(feature, feature)}"
            for feature, z in strongest[:top]
            if abs(z) >= _NOTABLE_Z
        ]
        names[segment] = " · ".join(parts) if parts else "Typical"
    seen: dict[str, int] = {}
    for name in names.values():
        seen[name] = seen.get(name, 0) + 1
    names = {s: (f"{n} ({s})" if seen[n] > 1 else n) for s, n in names.items()}
    names.update(overrides or {})
    return names


def names_frame(names: dict[int, str]) -> pa.Table:
    return pa.table({"segment": list(names), "name": list(names.values())})
