"""Impute, transform, clip and scale the features, in SQL; keep the fitted parameters.

The per-feature parameters computed here are what the ``scaler`` table
stores, so the same preprocessing can be replayed on new rows later: the
macros in ``queries/preprocess/macros.sql`` apply them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from segsql import sql
from segsql.config import Config
from segsql.errors import DataError
from segsql.session import Session
from segsql.steps.features import Features

__all__ = ["FeatureScaler", "Preprocessed", "fit", "preprocess"]


@dataclass(frozen=True)
class FeatureScaler:
    """How one feature is preprocessed: one row of the ``scaler`` table."""

    feature: str
    position: int
    transform: str
    impute_value: float | None
    clip_low: float | None
    clip_high: float | None
    center: float
    scale: float


@dataclass(frozen=True)
class Preprocessed:
    """What the preprocess stage produced: the temp table ``segsql_scaled``."""

    scalers: tuple[FeatureScaler, ...]
    n_rows: int
    dropped_rows: int
    warnings: tuple[str, ...]

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.feature for s in self.scalers)

    def params(self, *, drop: bool = False) -> dict[str, Any]:
        """The bound parameters that replay this preprocessing in the macros."""
        params: dict[str, Any] = {"drop": drop}
        for i, s in enumerate(self.scalers):
            params |= {
                f"impute_{i}": s.impute_value,
                f"transform_{i}": s.transform,
                f"low_{i}": s.clip_low,
                f"high_{i}": s.clip_high,
                f"center_{i}": s.center,
                f"scale_{i}": s.scale,
            }
        return params


def fit(session: Session, results: Mapping[str, Any]) -> Preprocessed:
    """The preprocess step: fit ``[preprocess]`` on the features, leave ``segsql_scaled``."""
    pre = preprocess(session.con, session.config, results["features"])
    session.leave("scaled", "segsql_scaled")
    return pre


def preprocess(con: duckdb.DuckDBPyConnection, config: Config, features: Features) -> Preprocessed:
    """Fit the preprocessing on ``segsql_features`` and write ``segsql_scaled``."""
    pre = config.preprocess
    columns = list(features.columns)
    if pre.impute == "error":
        for column, n_null in zip(columns, features.null_counts, strict=True):
            if n_null:
                raise DataError(
                    f"{features.origin}: feature column {column!r} has {n_null} NULLs and [preprocess] "
                    'impute = "error" (choose mean, median, zero or drop)'
                )
    drop = pre.impute == "drop"
    transforms = [config.features.transforms.get(c, "none") for c in columns]
    sql.execute(con, "preprocess/macros")

    params: dict[str, Any] = {"drop": drop, "impute": pre.impute}
    row = _one_row(con, "preprocess/impute_values", params, columns)
    n_rows = row["n_rows"]
    if n_rows == 0:
        raise DataError(f"{features.origin}: no rows are left after dropping rows with NULL features")
    impute = [row[f"impute_{i}"] for i in range(len(columns))]
    for i, (column, how) in enumerate(zip(columns, transforms, strict=True)):
        low = min(v for v in (row[f"min_{i}"], impute[i]) if v is not None)
        if how == "log1p" and low <= -1:
            raise DataError(
                f"{features.origin}: feature {column!r} has values <= -1 ({low}); log1p cannot take them"
            )
        if how == "sqrt" and low < 0:
            raise DataError(
                f"{features.origin}: feature {column!r} has negative values ({low}); sqrt cannot take them"
            )
        params |= {f"impute_{i}": impute[i], f"transform_{i}": how}

    lows: list[float | None] = [None] * len(columns)
    highs: list[float | None] = [None] * len(columns)
    if pre.winsorize:
        bounds = _one_row(
            con,
            "preprocess/clip_bounds",
            params | {"low": pre.winsorize[0], "high": pre.winsorize[1]},
            columns,
        )  # noqa: E501
        lows = [bounds[f"low_{i}"] for i in range(len(columns))]
        highs = [bounds[f"high_{i}"] for i in range(len(columns))]
    params |= {f"low_{i}": lows[i] for i in range(len(columns))}
    params |= {f"high_{i}": highs[i] for i in range(len(columns))}

    stats = _one_row(con, f"preprocess/scale_{pre.scaling}", params, columns)
    warnings: list[str] = []
    scalers = []
    for i, column in enumerate(columns):
        center, scale = stats[f"center_{i}"], stats[f"scale_{i}"]
        if center is None or not math.isfinite(center) or (scale is not None and not math.isfinite(scale)):
            # sums of values near the double range overflow; k-means would get NaN
            raise DataError(
                f"{features.origin}: feature {column!r} cannot be scaled: its {pre.scaling} statistics "
                "overflow double precision (values too large; rescale it in the feature query)"
            )
        if scale is None or scale == 0:
            # as scikit-learn's scalers do: a constant feature is centred, not divided
            warnings.append(
                f"feature {column!r} is constant after preprocessing: scaled to 0, "
                "it does not influence the segments"
            )
            scale = 1.0
        scalers.append(
            FeatureScaler(
                feature=column,
                position=i,
                transform=transforms[i],
                impute_value=impute[i],
                clip_low=lows[i],
                clip_high=highs[i],
                center=float(center),
                scale=float(scale),
            )
        )
    result = Preprocessed(
        scalers=tuple(scalers),
        n_rows=n_rows,
        dropped_rows=features.n_rows - n_rows,
        warnings=tuple(warnings),
    )
    sql.execute(con, "preprocess/scaled", result.params(drop=drop), columns=columns)
    return result


def _one_row(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], columns: list[str]
) -> dict[str, Any]:
    cursor = sql.execute(con, name, params, columns=columns)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))
