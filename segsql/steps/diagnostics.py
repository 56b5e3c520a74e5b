"""Diagnostics before fitting: what in the features will shape the segments, with what to do.

Per feature, in SQL (``queries/diagnostics/*.sql``): the skewness of its raw
values and after its transform, its share of the total distance variance
after scaling (k-means minimises a sum of squared differences, so a feature
whose scaled variance is most of the total decides the segments alone), how
much of it one value holds (constant or near-constant), and its share of
NULLs; and the pairs of features that correlate above :data:`CORRELATED` in
the space the model sees. Stored with the run (output table ``diagnostics``),
printed by ``validate`` and ``run`` as warnings with a concrete suggestion,
shown in the report; ``segsql init`` proposes transforms from the same
measures (:func:`diagnose_columns`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa
import tomli_w
from sqlglot import exp

from segsql import sql
from segsql.config import Config
from segsql.session import Session

__all__ = [
    "CORRELATED",
    "NEAR_CONSTANT",
    "SKEWED",
    "Diagnostics",
    "FeatureDiagnosis",
    "diagnose",
    "diagnose_columns",
]

# |skewness| above this is heavy: the mean and the distance are pulled by the tail (a common
# rule of thumb; log1p brings a long right tail of non-negative values near symmetry)
SKEWED = 2.0
# one value holding this share of a feature's non-NULL rows leaves it nothing to separate
NEAR_CONSTANT = 0.99
# |correlation| above this: the two features say the same thing, and count it twice
CORRELATED = 0.95
# a share of NULLs from which the imputed value becomes a segment of its own
MANY_NULLS = 0.2
# a feature dominates the distance when its share of the variance is above this and above
# 1.5 times an equal share (with two features, 75%)
DOMINANT = 0.5


@dataclass(frozen=True)
class FeatureDiagnosis:
    """One feature's raw measures (``queries/diagnostics/columns.sql``)."""

    feature: str
    transform: str
    n_rows: int
    nulls: int
    distinct: int
    top: int | None
    min: float | None
    skewness: float | None
    skewness_transformed: float | None

    @property
    def null_share(self) -> float:
        return self.nulls / self.n_rows if self.n_rows else 0.0

    @property
    def top_share(self) -> float | None:
        """The share of the non-NULL rows holding the most frequent value."""
        present = self.n_rows - self.nulls
        return self.top / present if self.top is not None and present else None

    @property
    def constant(self) -> bool:
        return self.distinct <= 1

    @property
    def skewed(self) -> bool:
        return self.skewness is not None and abs(self.skewness) > SKEWED

    @property
    def non_negative(self) -> bool:
        return self.min is not None and self.min >= 0


@dataclass(frozen=True)
class Diagnostics:
    """What the diagnostics step found: the rows of the ``diagnostics`` table, and the warnings."""

    features: tuple[FeatureDiagnosis, ...]
    variance_share: dict[str, float | None]
    correlated: tuple[tuple[str, str, float], ...]
    warnings: tuple[str, ...]

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows (feature, measure, value, other_feature), features in order."""
        rows: list[dict[str, Any]] = []
        for f in self.features:
            measures = {
                "skewness": f.skewness,
                "skewness_transformed": f.skewness_transformed,
                "variance_share": self.variance_share.get(f.feature),
                "top_value_share": f.top_share,
                "distinct_values": float(f.distinct),
                "null_share": f.null_share,
            }
            rows += [
                {"feature": f.feature, "measure": m, "value": v, "other_feature": None}
                for m, v in measures.items()
            ]
        rows += [
            {"feature": a, "measure": "correlation", "value": r, "other_feature": b}
            for a, b, r in self.correlated
        ]
        return rows


def diagnose(session: Session, results: Mapping[str, Any]) -> Diagnostics:
    """The diagnostics step: measure the features and their preprocessed columns; leave
    ``segsql_diagnostics`` for the write-back."""
    con, config = session.con, session.config
    pre = results["preprocess"]
    columns = list(pre.columns)
    transforms = [s.transform for s in pre.scalers]
    features = diagnose_columns(con, session.relation("features"), columns, transforms, macros=False)
    variances = _one_row(con, "diagnostics/variance", {}, columns=columns, names={})
    spread = [_finite(variances[f"var_{i}"]) for i in range(len(columns))]
    total = sum(v for v in spread if v is not None)
    share = {
        c: (v / total if v is not None and total > 0 else None) for c, v in zip(columns, spread, strict=True)
    }
    correlated = []
    pairs = [(i, j) for i in range(len(columns)) for j in range(i + 1, len(columns))]
    row = _one_row(
        con, "diagnostics/correlations", {}, columns=[], names={"body": _pairs_query(columns, pairs)}
    )
    for i, j in pairs:
        r = _finite(row[f"c_{i}_{j}"])
        if r is not None and abs(r) > CORRELATED:
            correlated.append((columns[i], columns[j], r))
    found = Diagnostics(
        features=features,
        variance_share=share,
        correlated=tuple(correlated),
        warnings=tuple(
            _warnings(
                config,
                features,
                share,
                correlated,
                indicators={s.feature: s.source_column for s in pre.scalers if s.source_column is not None},
            )
        ),
    )
    frame = pa.Table.from_pylist(
        found.rows(),
        schema=pa.schema(
            [
                ("feature", pa.string()),
                ("measure", pa.string()),
                ("value", pa.float64()),
                ("other_feature", pa.string()),
            ]
        ),
    )
    with sql.registered(con, "segsql_diagnostics_in", frame):
        sql.execute(con, "diagnostics/table")
    session.leave("diagnostics", "segsql_diagnostics")
    return found


def _pairs_query(columns: Sequence[str], pairs: Sequence[tuple[int, int]]) -> exp.Select:
    # one statement whatever the number of features (a run's statements do not depend on them)
    terms = [
        exp.alias_(
            exp.func("corr", exp.column(columns[i], quoted=True), exp.column(columns[j], quoted=True)),
            f"c_{i}_{j}",
        )
        for i, j in pairs
    ]
    return exp.select(*(terms or [exp.alias_(exp.null(), "no_pairs")])).from_("segsql_scaled")


def diagnose_columns(
    con: duckdb.DuckDBPyConnection,
    source: str,
    columns: Sequence[str],
    transforms: Sequence[str],
    *,
    macros: bool = True,
) -> tuple[FeatureDiagnosis, ...]:
    """The raw measures of ``columns`` of the relation ``source`` (each with its transform).

    ``macros``: create the preprocessing macros first (a run's preprocess step already has).
    """
    if macros:
        sql.execute(con, "preprocess/macros")
    params = {f"transform_{i}": t for i, t in enumerate(transforms)}
    row = _one_row(con, "diagnostics/columns", params, columns=list(columns), names={"source": source})
    return tuple(
        FeatureDiagnosis(
            feature=column,
            transform=transforms[i],
            n_rows=row["n_rows"],
            nulls=row[f"nulls_{i}"],
            distinct=row[f"distinct_{i}"],
            top=row[f"top_{i}"],
            min=_finite(row[f"min_{i}"]),
            skewness=_finite(row[f"skew_{i}"]),
            skewness_transformed=_finite(row[f"skew_t_{i}"]),
        )
        for i, column in enumerate(columns)
    )


def transform_line(feature: str, transform: str) -> str:
    """The TOML line that sets a transform, the key quoted as TOML needs.

    >>> transform_line("monetary", "log1p"), transform_line("a b", "log1p")
    ('monetary = "log1p"', '"a b" = "log1p"')
    """
    return tomli_w.dumps({feature: transform}).strip()


def _warnings(
    config: Config,
    features: Sequence[FeatureDiagnosis],
    share: dict[str, float | None],
    correlated: Sequence[tuple[str, str, float]],
    *,
    indicators: Mapping[str, str] | None = None,
) -> list[str]:
    """The warnings, each with its fix. ``indicators`` maps the indicator columns of categorical
    features to their column: a level is not transformed, imputed or dropped on its own (a rare
    level is rare, and the levels of one column go against each other), so none is advised."""
    said: list[str] = []
    indicators = indicators or {}
    # features that vary: one feature alone holding all the variance among them says nothing
    p = sum(1 for v in share.values() if v)
    for f in features:
        name = f.feature
        if f.constant:  # the preprocess step already says so (and `init` leaves such columns out)
            continue
        if name in indicators:  # only its weight in the distance is worth a word (below)
            s = share.get(name)
            if s is not None and p > 1 and s > max(DOMINANT, 1.5 / p):
                said.append(
                    f"feature {name!r} holds {s:.0%} of the distance variance after scaling: it decides "
                    f"the segments almost alone; lower [features.weights] {indicators[name]!r}"
                )
            continue
        top = f.top_share
        if top is not None and top >= NEAR_CONSTANT:
            said.append(
                f"feature {name!r} is near-constant (one value holds {top:.1%} of its rows): it separates "
                "few entities; consider removing it from [features] columns"
            )
        if f.skewed and f.transform == "none":
            assert f.skewness is not None
            if f.non_negative:
                fix = f"add `{transform_line(name, 'log1p')}` to [features.transforms]"
            else:
                fix = "it has negative values: clip its tail with [preprocess] winsorize = [0.01, 0.99]"
            said.append(f"feature {name!r} has skewness {f.skewness:.1f}: {fix}")
        elif (
            f.transform != "none"
            and f.skewness_transformed is not None
            and abs(f.skewness_transformed) > SKEWED
        ):
            said.append(
                f"feature {name!r} still has skewness {f.skewness_transformed:.1f} after {f.transform}: "
                "clip its tail with [preprocess] winsorize = [0.01, 0.99]"
            )
        if f.null_share >= MANY_NULLS:
            said.append(
                f"feature {name!r} is {f.null_share:.0%} NULL ([preprocess] impute = "
                f'"{config.preprocess.impute}"): the imputed value may form a segment of its own; '
                "consider leaving it out of [features] columns"
            )
        s = share.get(name)
        if s is not None and p > 1 and s > max(DOMINANT, 1.5 / p):
            if f.skewed and f.transform == "none" and f.non_negative:
                fix = f"add `{transform_line(name, 'log1p')}` to [features.transforms]"
            elif config.preprocess.scaling in ("none", "minmax"):
                fix = 'use [preprocess] scaling = "standard"'
            else:
                fix = "transform or winsorize it, or give the other features more weight"
            said.append(
                f"feature {name!r} holds {s:.0%} of the distance variance after scaling: it decides the "
                f"segments almost alone; {fix}"
            )
    for a, b, r in correlated:
        if a in indicators and indicators.get(b) == indicators[a]:
            continue  # two levels of one column: one excludes the other by construction
        said.append(f"features {a!r} and {b!r} correlate at {r:.2f}: drop one from [features] columns")
    return said


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _one_row(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any],
    *,
    columns: list[str],
    names: dict[str, Any],
) -> dict[str, Any]:
    cursor = sql.execute(con, name, params, columns=columns, **names)
    described = [d[0] for d in cursor.description]
    return dict(zip(described, cursor.fetchall()[0], strict=True))
