"""The segment rules step: each segment as a SQL rule an analyst can read and any engine can run.

A shallow decision tree (scikit-learn, depth ``[rules] max_depth``, seeded by
``[model] random_state``) learns the run's segments from the features in
original units. Each leaf's path is an AND of ``"feature" <= threshold`` and
``"feature" > threshold`` conditions; a segment's rule is the OR of the paths
of the leaves that predict it (``FALSE`` when none does). The leaves of a tree
never overlap, so no row satisfies the rules of two segments, and a ``CASE
WHEN rule_1 THEN 1 …`` gives every row at most one segment.

How good a rule is is measured in SQL over every labelled row, by evaluating
it (``queries/rules/measure.sql``): fidelity, the share of the segment's
members it catches, and precision, the share of what it catches that are
members. The tree itself learns from at most :data:`SAMPLE_ROWS` rows, a
seeded draw (``queries/rules/rows.sql``), so a run of 10,000,000 entities
fits it in seconds; rows with a NULL feature are left out of the fit (a NULL
satisfies no condition).

Rules are sqlglot trees: the feature names are quoted identifiers, the
thresholds exact float literals (:func:`segsql.scoring.replay.number`, the
shortest repr that reads back as the same double), so the stored DuckDB text
and the ``export-sql --rules`` query in any dialect say the same thing.

A condition on an indicator column of a categorical feature (``Education=PhD``,
0 or 1) is stored over the raw column, so that the rules run on raw input rows:
``CAST("Education" AS VARCHAR) = 'PhD'`` (above the threshold) or ``… IS
DISTINCT FROM 'PhD'`` (below it: a NULL is not PhD); the "(other)" group is
``NOT IN`` the kept levels ``OR "Education" IS NULL``, or ``IN`` them. The
column is compared as text, as the encoding compares it
(:func:`segsql.scoring.replay.indicator`), and the levels are sqlglot string
literals, escaped for each dialect. The rules are measured on the indicator
columns of ``segsql_features``, which give the same rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from sqlglot import exp

from segsql import sql
from segsql.scoring.replay import number
from segsql.scoring.rules import case_of
from segsql.session import Session
from segsql.steps.features import Categorical

__all__ = [
    "SAMPLE_ROWS",
    "Condition",
    "SegmentRules",
    "fit",
    "indicator_levels",
    "tree_rules",
]

# the most rows the tree learns from: a depth-3 tree's thresholds are settled long before
# this, and it keeps the fit at a few seconds whatever the number of entities
SAMPLE_ROWS = 200_000


@dataclass(frozen=True)
class Condition:
    """``feature <= threshold`` (``above`` False) or ``feature > threshold``."""

    feature: str
    above: bool
    threshold: float


# a path: the conditions from the root to one leaf, all of which hold there
Path = tuple[Condition, ...]


@dataclass(frozen=True)
class SegmentRules:
    """The temp table ``segsql_segment_rules`` (segment, rule_sql, fidelity, precision)."""

    relation: str
    rules: dict[int, str]
    sample_rows: int


def fit(session: Session, results: Mapping[str, Any]) -> SegmentRules:
    """The rules step: fit the tree, write each segment's rule and measure it over every row."""
    config = session.config
    columns = list(results["preprocess"].columns)
    segments = tuple(int(s) for s in results["lifecycle"].segments)
    params = {"seed": config.model.random_state, "size": SAMPLE_ROWS}
    table = sql.relation(session.con, "rules/rows", params, columns=columns).arrow()
    if isinstance(table, pa.RecordBatchReader):  # DuckDB 2 hands a reader over
        table = table.read_all()
    y = table.column(0).to_numpy(zero_copy_only=False).astype(np.int64)
    X = (
        np.column_stack(
            [
                table.column(i + 1).to_numpy(zero_copy_only=False).astype(np.float64)
                for i in range(len(columns))
            ]
        )
        if columns
        else np.empty((len(y), 0))
    )
    paths = tree_rules(
        X, y, columns, max_depth=config.rules.max_depth, random_state=config.model.random_state
    )
    rules = {s: _rule(paths.get(s, [])) for s in segments}
    levels = indicator_levels(results["features"].categorical)
    texts = {s: _rule(paths.get(s, []), levels=levels).sql(dialect="duckdb") for s in segments}
    frame = pa.table(
        {
            "segment": pa.array(segments, pa.int32()),
            "rule_sql": pa.array([texts[s] for s in segments], pa.string()),
        }
    )
    with sql.registered(session.con, "segsql_rules_in", frame):
        sql.execute(session.con, "rules/measure", predicted=case_of([(s, rules[s]) for s in segments]))
    session.leave("segment_rules", "segsql_segment_rules")
    return SegmentRules(relation="segsql_segment_rules", rules=texts, sample_rows=len(y))


def tree_rules(
    X: np.ndarray, y: np.ndarray, features: Sequence[str], *, max_depth: int, random_state: int
) -> dict[int, list[Path]]:
    """Each label's leaf paths in a decision tree fitted on ``X`` (original units) and ``y``.

    Siblings that predict the same label are merged into their parent first
    (scikit-learn keeps a split that changes the class shares but not the
    prediction), and a path keeps only the tightest condition per feature and
    direction, so the rules say no more than the tree decides.
    """
    if len(y) == 0:
        return {}
    from sklearn.tree import DecisionTreeClassifier

    # scikit-learn's trees work in float32: each column is divided by a power of two that brings
    # it within float32's range (an exact division), and the thresholds multiplied back
    magnitude = np.nanmax(np.abs(X), axis=0, initial=0.0) if X.size else np.zeros(X.shape[1])
    power = np.where(magnitude > 0, np.exp2(np.ceil(np.log2(np.where(magnitude > 0, magnitude, 1.0)))), 1.0)
    model = DecisionTreeClassifier(max_depth=max_depth, random_state=random_state).fit(X / power, y)
    tree, classes = model.tree_, model.classes_
    left, right = tree.children_left, tree.children_right

    def label(node: int) -> int | None:
        """The one label the subtree under ``node`` predicts, if it predicts one."""
        if left[node] == -1:
            return int(classes[int(np.argmax(tree.value[node][0]))])
        a, b = label(int(left[node])), label(int(right[node]))
        return a if a is not None and a == b else None

    paths: dict[int, list[Path]] = {}

    def walk(node: int, path: Path) -> None:
        whole = label(node)
        if whole is not None:
            paths.setdefault(whole, []).append(_tightest(path))
            return
        column = int(tree.feature[node])
        feature, threshold = features[column], float(tree.threshold[node]) * float(power[column])
        walk(int(left[node]), (*path, Condition(feature, False, threshold)))
        walk(int(right[node]), (*path, Condition(feature, True, threshold)))

    walk(0, ())
    return paths


def _tightest(path: Path) -> Path:
    """One condition per feature and direction: the lowest ``<=``, the highest ``>``, in first-seen order."""
    kept: dict[tuple[str, bool], Condition] = {}
    for c in path:
        old = kept.get((c.feature, c.above))
        if old is None or (c.threshold > old.threshold if c.above else c.threshold < old.threshold):
            kept[(c.feature, c.above)] = c
    return tuple(kept.values())


# an indicator column: its categorical column, its level (None: "(other)") and the kept levels
Level = tuple[str, str | None, tuple[str, ...]]


def indicator_levels(categorical: Sequence[Categorical]) -> dict[str, Level]:
    """Each indicator column's categorical column, level and the column's kept levels."""
    return {
        name: (c.column, level, c.kept)
        for c in categorical
        for level, name in zip(c.levels, c.indicators, strict=True)
    }


def _rule(paths: Sequence[Path], *, levels: Mapping[str, Level] | None = None) -> exp.Condition:
    """The OR of the paths, each an AND of its conditions; FALSE for none, TRUE for an empty path.

    With ``levels`` a condition on an indicator column is written over its raw column.
    """
    if not paths:
        return exp.false()
    if any(not path for path in paths):
        return exp.true()
    levels = levels or {}

    def condition(c: Condition) -> exp.Condition:
        if c.feature in levels:
            return _level_condition(*levels[c.feature], above=c.above)
        return (exp.GT if c.above else exp.LTE)(
            this=exp.column(c.feature, quoted=True), expression=number(c.threshold)
        )

    terms: list[exp.Condition] = [exp.and_(*(condition(c) for c in path)) for path in paths]
    return exp.or_(*terms) if len(terms) > 1 else terms[0]


def _level_condition(column: str, level: str | None, kept: tuple[str, ...], *, above: bool) -> exp.Condition:
    """An indicator above its threshold (the row has the level) or not, over the raw column.

    An indicator is 0 or 1, so any split of the tree is between them.
    """
    text = exp.Cast(this=exp.column(column, quoted=True), to=exp.DataType.build("VARCHAR"))
    if level is not None:
        literal = exp.Literal.string(level)
        return (
            exp.EQ(this=text, expression=literal) if above else exp.NullSafeNEQ(this=text, expression=literal)
        )
    if not kept:  # every row is "(other)"
        return exp.true() if above else exp.false()
    among = exp.In(this=text, expressions=[exp.Literal.string(k) for k in kept])
    if not above:
        return among
    missing = exp.Is(this=exp.column(column, quoted=True), expression=exp.Null())
    return exp.or_(exp.Not(this=among), missing)
