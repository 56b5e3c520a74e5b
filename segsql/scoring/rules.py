"""Segment rules as SQL: parse the stored rules back, write them as one CASE, say them in words.

The rules step (:mod:`segsql.steps.rules`) fits them and stores each segment's
rule as SQL text in ``segment_rules``; ``export-sql --rules`` and the report
read them back through here. Only AND/OR of column-against-number comparisons
and TRUE/FALSE are accepted back, so a stored rule cannot smuggle in anything else.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp

from segsql.errors import DataError, SegsqlError

__all__ = ["case_of", "case_query", "parse_rule", "rule_words"]


def case_of(rules: Sequence[tuple[int, exp.Condition | exp.Expression]]) -> exp.Expression:
    case = exp.Case()
    for segment, rule in rules:
        case = case.when(rule.copy(), exp.Literal.number(segment))
    # a run whose every rule is FALSE still gives a typed column (a CASE needs one branch)
    return case if case.args.get("ifs") else exp.Cast(this=exp.Null(), to=exp.DataType.build("INTEGER"))


_ALLOWED = (
    exp.Or,
    exp.And,
    exp.Paren,
    exp.LTE,
    exp.GT,
    exp.Column,
    exp.Identifier,
    exp.Literal,
    exp.Neg,
    exp.Boolean,
)


def parse_rule(text: str) -> exp.Expression:
    """A stored ``rule_sql`` back as a sqlglot tree, refused unless it is made of conditions only.

    The text is segsql's own (written by this step), but it is read from a
    table anyone with the database could have edited; what comes back is
    written into other engines' queries, so anything beyond AND, OR,
    ``column <= number``, ``column > number`` and TRUE/FALSE is refused.
    """
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError:
        tree = None
    bad = tree is None or any(not isinstance(node, _ALLOWED) for node in tree.walk())
    if tree is not None and not bad:
        bad = any(literal.is_string for literal in tree.find_all(exp.Literal))
        bad = bad or any(bool(column.table) for column in tree.find_all(exp.Column))
    if bad or not isinstance(tree, exp.Expression):
        raise SegsqlError(f"segment_rules: not a rule segsql wrote: {text[:80]!r}")
    return tree


def case_query(rules: Sequence[tuple[int, str]], *, entity: str, source: exp.Table) -> exp.Select:
    """``SELECT <entity>, CASE WHEN rule_1 THEN 1 … END AS segment FROM <source>`` from stored rules."""
    if entity.casefold() == "segment":
        raise DataError(
            f"the entity column {entity!r} has the name of the rules' output column (segment): "
            "rename it in the feature query and run again"
        )
    case = case_of([(segment, parse_rule(text)) for segment, text in rules])
    return exp.select(exp.column(entity, quoted=True), exp.alias_(case, "segment", quoted=True)).from_(source)


def rule_words(text: str, words: Mapping[str, str] | None = None) -> str:
    """A stored rule in plain words: ``monetary ≤ 1,200 and frequency > 3``.

    ``words`` renames features (the report's feature words); numbers are
    rounded for reading, the rule itself keeps the exact thresholds.
    """
    words = words or {}
    tree = parse_rule(text)
    if isinstance(tree, exp.Boolean):
        return "every row" if tree.this else "no rule (the tree never predicts this segment)"

    def say(node: exp.Expression, inside: bool) -> str:
        if isinstance(node, exp.Paren):
            return say(node.this, inside)
        if isinstance(node, exp.Or):
            parts = _flatten(node, exp.Or)
            said = " or ".join(say(p, True) for p in parts)
            return f"({said})" if inside else said
        if isinstance(node, exp.And):
            said = " and ".join(say(p, False) for p in _flatten(node, exp.And))
            return f"({said})" if inside else said
        sign = "≤" if isinstance(node, exp.LTE) else ">"
        feature = node.this.name
        return f"{words.get(feature, feature)} {sign} {_plain(_value(node.expression))}"

    return say(tree, False)


def _flatten(node: exp.Expression, kind: type[exp.Expression]) -> list[exp.Expression]:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, kind):
        return _flatten(node.this, kind) + _flatten(node.expression, kind)
    return [node]


def _value(node: exp.Expression) -> float:
    if isinstance(node, exp.Paren):
        return _value(node.this)
    if isinstance(node, exp.Neg):
        return -_value(node.this)
    return float(node.this)


def _plain(value: float) -> str:
    """A threshold for reading: three significant digits, thousands separated."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(value)))))
    text = f"{round(value, digits):,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
