"""Impute, transform, clip and scale the features, in SQL; keep the fitted parameters.

The per-feature parameters computed here are what the ``scaler`` table
stores, so the same preprocessing can be replayed on new rows later: the
macros in ``queries/preprocess/macros.sql`` apply them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from segsql import sql
from segsql.config import Config
from segsql.errors import DataError
from segsql.session import Session
from segsql.steps.features import Features

__all__ = [
    "NORMAL_IQR",
    "FeatureScaler",
    "Preprocessed",
    "fit",
    "numeric_scalers",
    "preprocess",
    "transform_params",
]

# 2·Φ⁻¹(0.75): the interquartile range of a normal distribution whose standard deviation is 1
NORMAL_IQR = 1.3489795003921634


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
    # an indicator column's categorical column and level (None: its "(other)" group); None, None
    # for a numeric feature
    source_column: str | None = None
    level: str | None = None
    # the feature's weight ([features.weights]; a categorical's for each of its indicators)
    weight: float = 1.0


@dataclass(frozen=True)
class Preprocessed:
    """What the preprocess stage produced: the temp table ``segsql_scaled``."""

    scalers: tuple[FeatureScaler, ...]
    n_rows: int
    dropped_rows: int
    warnings: tuple[str, ...]
    # [features] weight: the user's sample weight column (segsql_scaled holds it as segsql_weight)
    weight: str | None = None

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
    """Fit the preprocessing on ``segsql_features`` and write ``segsql_scaled``.

    The numeric features are imputed, transformed, clipped and scaled as
    ``[preprocess]`` says; each categorical's indicator columns are only centred
    on their shares and divided by one scale per categorical (:func:`_indicators`).
    With ``[features] weight`` every statistic is weighted (README, "Categorical
    features and weights"); ``[features.weights]`` divide the scales by √weight.
    """
    pre = config.preprocess
    columns = list(features.columns)
    numeric = len(features.numeric)
    weighted = features.weight is not None
    if pre.impute == "error":
        for column, n_null in zip(columns, features.null_counts, strict=True):
            if n_null:
                raise DataError(
                    f"{features.origin}: feature column {column!r} has {n_null} NULLs and [preprocess] "
                    'impute = "error" (choose mean, median, zero or drop)'
                )
    drop = pre.impute == "drop"
    # indicators are 0/1 and never NULL: no transform, no impute, no clipping
    transforms = [config.features.transforms.get(c, "none") for c in columns[:numeric]]
    transforms += ["none"] * (len(columns) - numeric)
    sql.execute(con, "preprocess/macros")

    params: dict[str, Any] = {"drop": drop, "impute": pre.impute}
    row = _one_row(con, f"preprocess/impute_values{'_weighted' if weighted else ''}", params, columns)
    n_rows = row["n_rows"]
    if n_rows == 0:
        raise DataError(f"{features.origin}: no rows are left after dropping rows with NULL features")
    impute = [row[f"impute_{i}"] if i < numeric else None for i in range(len(columns))]
    if weighted and pre.impute == "median":
        medians = _weighted_quantiles(con, params | _neutral(len(columns)), columns, (0.5,))
        impute[:numeric] = [medians[i][0] for i in range(numeric)]
    params |= transform_params(
        origin=features.origin,
        columns=columns,
        transforms=transforms,
        minimums=[row[f"min_{i}"] for i in range(len(columns))],
        impute=impute,
    )

    lows: list[float | None] = [None] * len(columns)
    highs: list[float | None] = [None] * len(columns)
    varies = [True] * len(columns)  # before clipping (winsorizing may clip a feature to one value)
    if pre.winsorize and numeric:
        bounds = _one_row(
            con,
            "preprocess/clip_bounds",
            params | {"low": pre.winsorize[0], "high": pre.winsorize[1]},
            columns,
        )  # noqa: E501
        lows = [bounds[f"low_{i}"] if i < numeric else None for i in range(len(columns))]
        highs = [bounds[f"high_{i}"] if i < numeric else None for i in range(len(columns))]
        if weighted:
            found = _weighted_quantiles(
                con, params | _neutral(len(columns), clip=True), columns, pre.winsorize
            )
            lows[:numeric] = [found[i][0] for i in range(numeric)]
            highs[:numeric] = [found[i][1] for i in range(numeric)]
        varies = [bounds[f"min_{i}"] != bounds[f"max_{i}"] for i in range(len(columns))]
    params |= {f"low_{i}": lows[i] for i in range(len(columns))}
    params |= {f"high_{i}": highs[i] for i in range(len(columns))}

    stats = _stats(con, pre.scaling, params, columns, weighted=weighted)
    warnings: list[str] = list(features.warnings)
    scalers, said = numeric_scalers(
        config,
        columns=columns[:numeric],
        stats=stats,
        transforms=transforms,
        impute=impute,
        lows=lows,
        highs=highs,
        varies=varies,
        origin=features.origin,
    )
    warnings += said
    if numeric < len(columns):
        # the indicators' shares are their (weighted) means, whatever the numeric features' scaling
        shares = (
            stats
            if pre.scaling == "standard"
            else _stats(con, "standard", params, columns, weighted=weighted)
        )
        indicators, said = _indicators(features, shares, config.features.weights, start=numeric)
        scalers += indicators
        warnings += said
    result = Preprocessed(
        scalers=tuple(scalers),
        n_rows=n_rows,
        # rows impute = "drop" dropped, and entities the feature step had to leave out
        dropped_rows=features.n_rows - n_rows + features.dropped_entities,
        warnings=tuple(warnings),
        weight=features.weight,
    )
    scaled = "preprocess/scaled_weighted" if weighted else "preprocess/scaled"
    sql.execute(con, scaled, result.params(drop=drop), columns=columns)
    return result


def _stats(
    con: duckdb.DuckDBPyConnection,
    scaling: str,
    params: dict[str, Any],
    columns: list[str],
    *,
    weighted: bool,
) -> dict[str, Any]:
    """Each feature's centre, scale and spread under ``scaling``, weighted when the run has weights.

    Weighted: standard scaling is the weighted mean and standard deviation; robust
    scaling the weighted median and interquartile range (queries/preprocess/
    weighted_quantiles.sql) with the weighted standard deviation as its fallback;
    min-max and none do not depend on weights.
    """
    if not weighted or scaling in ("minmax", "none"):
        return _one_row(con, f"preprocess/scale_{scaling}", params, columns)
    stats = _one_row(con, "preprocess/scale_standard_weighted", params, columns)
    if scaling == "robust":
        quantiles = _weighted_quantiles(con, params, columns, (0.25, 0.5, 0.75))
        for i in range(len(columns)):
            p25, p50, p75 = quantiles[i]
            stats |= {f"center_{i}": p50, f"scale_{i}": p75 - p25}
    return stats


def _neutral(n: int, *, clip: bool = False) -> dict[str, Any]:
    """Parameters that leave values as they are: no clipping, and (unless ``clip``) no impute or transform."""
    params: dict[str, Any] = {f"low_{i}": None for i in range(n)} | {f"high_{i}": None for i in range(n)}
    if not clip:
        params |= {f"impute_{i}": None for i in range(n)} | {f"transform_{i}": "none" for i in range(n)}
    return params


def _weighted_quantiles(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], columns: list[str], qs: Sequence[float]
) -> list[list[float]]:
    """Per feature, its weighted quantiles ``qs`` (queries/preprocess/weighted_quantiles.sql)."""
    rows = sql.execute(
        con, "preprocess/weighted_quantiles", params | {"qs": [float(q) for q in qs]}, columns=columns
    ).fetchall()
    found: list[list[float]] = [[math.nan] * len(qs) for _ in columns]
    order = {float(q): j for j, q in enumerate(qs)}
    for feature, q, value in rows:
        found[feature][order[float(q)]] = value
    return found


def _indicators(
    features: Features, shares: dict[str, Any], weights: Mapping[str, float], *, start: int
) -> tuple[list[FeatureScaler], list[str]]:
    """Each categorical's indicator scalers: centred on the level's share, one scale per categorical.

    An indicator of share p has variance p(1 - p); dividing each of a categorical's
    indicators by s = √(Σ p(1 - p) / w) makes the block's total variance w, its
    weight (default 1): as much as one standard-scaled numeric feature. A
    categorical with one level in every row is constant: scale 1, a warning.
    """
    scalers: list[FeatureScaler] = []
    warnings: list[str] = []
    i = start
    for categorical in features.categorical:
        weight = float(weights.get(categorical.column, 1.0))
        ps = [float(shares[f"center_{i + j}"]) for j in range(len(categorical.levels))]
        variance = sum(p * (1.0 - p) for p in ps)
        if not (variance > 0):
            scale = 1.0
            warnings.append(
                f"categorical feature {categorical.column!r} has one level in every row: "
                "it does not influence the segments"
            )
        else:
            scale = math.sqrt(variance / weight)
        for level, name, p in zip(categorical.levels, categorical.indicators, ps, strict=True):
            scalers.append(
                FeatureScaler(
                    feature=name,
                    position=i,
                    transform="none",
                    impute_value=None,
                    clip_low=None,
                    clip_high=None,
                    center=p,
                    scale=scale,
                    source_column=categorical.column,
                    level=level,
                    weight=weight,
                )
            )
            i += 1
    return scalers, warnings


def numeric_scalers(
    config: Config,
    *,
    columns: Sequence[str],
    stats: Mapping[str, Any],
    transforms: Sequence[str],
    impute: Sequence[float | None],
    lows: Sequence[float | None],
    highs: Sequence[float | None],
    varies: Sequence[bool],
    origin: str,
) -> tuple[list[FeatureScaler], list[str]]:
    """The numeric features' scaler rows from the fitted statistics (every engine), and the warnings.

    ``stats`` holds ``center_i``, ``scale_i``, ``lo_i``, ``hi_i`` and ``std_i``
    per feature position; ``varies`` says whether a feature varied before
    winsorizing (so that a feature clipping made constant is said to be so).
    """
    pre = config.preprocess
    scalers: list[FeatureScaler] = []
    warnings: list[str] = []
    for i, column in enumerate(columns):
        center, scale, warning = _center_and_scale(
            column,
            scaling=pre.scaling,
            center=stats[f"center_{i}"],
            scale=stats[f"scale_{i}"],
            lo=stats[f"lo_{i}"],
            hi=stats[f"hi_{i}"],
            std=stats[f"std_{i}"],
            winsorize=pre.winsorize if varies[i] else [],
            origin=origin,
        )
        if warning:
            warnings.append(warning)
        weight = float(config.features.weights.get(column, 1.0))
        scalers.append(
            FeatureScaler(
                feature=column,
                position=i,
                transform=transforms[i],
                impute_value=impute[i],
                clip_low=lows[i],
                clip_high=highs[i],
                center=center,
                # a weight w makes the feature's variance w (README): its scale divided by √w
                scale=scale if weight == 1.0 else scale / math.sqrt(weight),
                weight=weight,
            )
        )
    return scalers, warnings


def transform_params(
    *,
    origin: str,
    columns: list[str],
    transforms: list[str],
    minimums: list[float | None],
    impute: list[float | None],
) -> dict[str, Any]:
    """Each feature's impute value and transform as the preprocessing's parameters (every engine).

    Refuses a transform that cannot take a feature's smallest value (the
    imputed value counts too).
    """
    params: dict[str, Any] = {}
    for i, (column, how) in enumerate(zip(columns, transforms, strict=True)):
        low = min(v for v in (minimums[i], impute[i]) if v is not None)
        if how == "log1p" and low <= -1:
            raise DataError(f"{origin}: feature {column!r} has values <= -1 ({low}); log1p cannot take them")
        if how == "sqrt" and low < 0:
            raise DataError(
                f"{origin}: feature {column!r} has negative values ({low}); sqrt cannot take them"
            )
        params |= {f"impute_{i}": impute[i], f"transform_{i}": how}
    return params


def _center_and_scale(
    column: str,
    *,
    scaling: str,
    center: float | None,
    scale: float | None,
    lo: float,
    hi: float,
    std: float | None,
    winsorize: list[float],
    origin: str,
) -> tuple[float, float, str | None]:
    """A feature's centre and a scale that is never 0, and what the run must be told.

    Only a feature whose values are all equal (after impute, transform and
    winsorizing) is constant: it is centred and divided by 1, as scikit-learn's
    scalers do, so that it is 0 everywhere (under ``none`` it keeps its value)
    and cannot influence the segments. A feature that varies but whose scale
    is 0 (an interquartile range of 0 when over half of its values are equal,
    or a standard deviation that underflows) is divided by a spread it has
    instead: :data:`NORMAL_IQR` × its standard deviation for robust scaling
    (what the interquartile range would be were it normal, so that it weighs
    like the other features), else its range. Left unscaled, a feature of
    mostly zeros with a few large values would decide the segments alone.
    """
    if center is None or not math.isfinite(center) or (scale is not None and not math.isfinite(scale)):
        # sums of values near the double range overflow; k-means would get NaN
        raise DataError(
            f"{origin}: feature {column!r} cannot be scaled: its {scaling} statistics "
            "overflow double precision (values too large; rescale it in the feature query)"
        )
    if lo == hi:
        if winsorize:
            why = (
                f"constant after winsorizing ([preprocess] winsorize = {winsorize} clips every value to {lo})"
            )
        else:
            why = "constant after preprocessing"
        if scaling == "none":
            return float(center), 1.0, f"feature {column!r} is {why}: it does not influence the segments"
        # centred on its one value, so that it is exactly 0 in every row
        return float(lo), 1.0, f"feature {column!r} is {why}: scaled to 0, it does not influence the segments"
    if scale is not None and scale > 0:
        return float(center), float(scale), None
    if scaling == "robust" and std:
        fallback, how = NORMAL_IQR * std, f"{NORMAL_IQR:.3f} × its standard deviation"
        reason = "its interquartile range is 0 (over half of its values are equal)"
    else:
        fallback, how = hi - lo, "its range (max - min)"
        reason = f"its {'interquartile range' if scaling == 'robust' else 'standard deviation'} is 0"
    if not math.isfinite(fallback):
        raise DataError(
            f"{origin}: feature {column!r} cannot be scaled: its range overflows double precision"
        )
    return (
        float(center),
        float(fallback),
        f"feature {column!r} varies but {reason}: {scaling} scaling divides it by {how} "
        f"({fallback:.6g}) instead",
    )


def _one_row(
    con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any], columns: list[str]
) -> dict[str, Any]:
    cursor = sql.execute(con, name, params, columns=columns)
    names = [d[0] for d in cursor.description]
    return dict(zip(names, cursor.fetchall()[0], strict=True))
