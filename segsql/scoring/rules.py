"""Segment rules as SQL: parse the stored rules back, write them as one CASE, say them in words.

The rules step (:mod:`segsql.steps.rules`) fits them and stores each segment's
rule as SQL text in ``segment_rules``; ``export-sql --rules`` and the report
read them back through here. Only AND/OR of column-against-number comparisons,
the level tests of a categorical column (``CAST(column AS VARCHAR)`` equal to,
distinct from, in or not in string literals, ``column IS NULL``) and
TRUE/FALSE are accepted back, so a stored rule cannot smuggle in anything else.
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
    # the level tests of a categorical column (segsql.steps.rules._level_condition)
    exp.EQ,
    exp.NullSafeNEQ,
    exp.In,
    exp.Not,
    exp.Is,
    exp.Null,
    exp.Cast,
    exp.DataType,
)
_TEXT = (exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT)


def _well_formed(node: exp.Expression) -> bool:
    """Each kind of node where segsql writes it, and only there."""
    if isinstance(node, exp.Literal) and node.is_string:
        return isinstance(node.parent, (exp.EQ, exp.NullSafeNEQ, exp.In)) and node.arg_key != "this"
    if isinstance(node, exp.Column):
        return not node.table and isinstance(node.parent, (exp.LTE, exp.GT, exp.Cast, exp.Is))
    if isinstance(node, exp.Cast):
        return isinstance(node.this, exp.Column) and node.to.this in _TEXT and node.arg_key == "this"
    if isinstance(node, (exp.EQ, exp.NullSafeNEQ)):
        return isinstance(node.this, exp.Cast) and isinstance(node.expression, exp.Literal)
    if isinstance(node, exp.In):
        return isinstance(node.this, exp.Cast) and not node.args.get("query") and not node.args.get("unnest")
    if isinstance(node, exp.Not):
        return isinstance(node.this, exp.In)
    if isinstance(node, exp.Is):
        return isinstance(node.this, exp.Column) and isinstance(node.expression, exp.Null)
    if isinstance(node, exp.Null):
        return isinstance(node.parent, exp.Is)
    if isinstance(node, (exp.LTE, exp.GT)):
        return isinstance(node.this, exp.Column) and not (
            isinstance(node.expression, exp.Literal) and node.expression.is_string
        )
    return True


def parse_rule(text: str) -> exp.Expression:
    """A stored ``rule_sql`` back as a sqlglot tree, refused unless it is made of conditions only.

    The text is segsql's own (written by this step), but it is read from a
    table anyone with the database could have edited; what comes back is
    written into other engines' queries, so anything beyond AND, OR,
    ``column <= number``, ``column > number``, a categorical column's level
    tests and TRUE/FALSE is refused.
    """
    try:
        tree = sqlglot.parse_one(text, read="duckdb")
    except sqlglot.errors.ParseError:
        tree = None
    bad = tree is None or any(not isinstance(node, _ALLOWED) for node in tree.walk())
    if tree is not None and not bad:
        bad = not all(isinstance(node, exp.Expression) and _well_formed(node) for node in tree.walk())
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
            # an OR inside an AND (a categorical column's "(other)" group: not in, or missing)
            said = " and ".join(say(p, isinstance(p, exp.Or)) for p in _flatten(node, exp.And))
            return f"({said})" if inside else said
        if isinstance(node, exp.Not):  # NOT (column IN levels)
            inner = node.this
            return f"{_column_word(inner.this, words)} not in {_levels(inner)}"
        if isinstance(node, exp.In):
            return f"{_column_word(node.this, words)} in {_levels(node)}"
        if isinstance(node, exp.Is):
            return f"{_column_word(node, words)} is missing"
        if isinstance(node, (exp.EQ, exp.NullSafeNEQ)):
            sign = "=" if isinstance(node, exp.EQ) else "≠"
            return f"{_column_word(node.this, words)} {sign} {node.expression.this}"
        sign = "≤" if isinstance(node, exp.LTE) else ">"
        feature = node.this.name
        return f"{words.get(feature, feature)} {sign} {_plain(_value(node.expression))}"

    return say(tree, False)


def _column_word(node: exp.Expression, words: Mapping[str, str]) -> str:
    """The categorical column under a level test (``CAST(column AS VARCHAR)`` or ``column IS NULL``)."""
    name = node.this.name
    return words.get(name, name)


def _levels(node: exp.In) -> str:
    return "(" + ", ".join(str(e.this) for e in node.expressions) + ")"


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
