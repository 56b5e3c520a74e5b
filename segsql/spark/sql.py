"""Spark SQL query files: loaded, expanded and run like the DuckDB ones (:mod:`segsql.sql`).

The files in ``queries/spark/`` use the template markers of :mod:`segsql.sql`
(``{{ name }}``, ``{{ columns: … }}``, ``{{ all: … }}``), with identifiers
quoted for Spark (backticks, by sqlglot) and values bound as Spark's named
parameters (``:name``). Two more marks stand inside ``{{ columns: … }}``:
``@clean`` is feature ``@i`` imputed, transformed and clipped with the
parameters ``:impute_@i``, ``:transform_@i``, ``:low_@i``, ``:high_@i`` (what
``segsql_clean`` does in ``queries/preprocess/macros.sql``; Spark has no
macros), and ``@unclipped`` is the same without the clipping.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlglot import exp

from segsql import sql
from segsql.errors import QueryError

__all__ = ["quote", "render", "run"]

_TEMPLATE = re.compile(r"\{\{\s*(\w+)\s*(?::(.*?))?\}\}", re.DOTALL)
_MARKS = re.compile(r"@unclipped|@clean|@col|@i")
_QUOTED = re.compile(r"`(?:[^`]|``)*`|'(?:[^'\\]|\\.)*'")


def quote(name: str | tuple[str, ...]) -> str:
    """A Spark identifier (or a qualified name, part by part), quoted by sqlglot.

    >>> quote("Annual Income (k$)"), quote(("db", "a`b"))
    ('`Annual Income (k$)`', '`db`.`a``b`')
    """
    if isinstance(name, tuple):
        return ".".join(quote(part) for part in name)
    if not isinstance(name, str) or not name:
        raise ValueError("an identifier must be a non-empty string")
    return exp.to_identifier(name, quoted=True).sql(dialect="spark")


def _clean(i: int, column: str, *, clip: bool) -> str:
    value = f"coalesce({quote(column)}, :impute_{i})"
    transformed = (
        f"CASE :transform_{i} WHEN 'log1p' THEN ln(1 + {value}) "
        f"WHEN 'sqrt' THEN sqrt({value}) ELSE {value} END"
    )
    if not clip:
        return f"({transformed})"
    # least and greatest skip a NULL bound, as DuckDB's do: an unclipped feature has NULL bounds
    return f"least(greatest({transformed}, :low_{i}), :high_{i})"


def render(text: str, *, columns: Sequence[str] = (), **names: Any) -> str:
    """Expand the markers of a Spark query text.

    >>> render("SELECT {{ columns: avg(@col) AS m_@i }} FROM {{ t }}", columns=["a b"], t="x")
    'SELECT avg(`a b`) AS m_0 FROM `x`'
    """

    def mark(match: re.Match[str], col: str, i: int) -> str:
        word = match[0]
        if word == "@col":
            return quote(col)
        if word == "@i":
            return str(i)
        return _clean(i, col, clip=word == "@clean")

    def expand(match: re.Match[str]) -> str:
        word, body = match.group(1), match.group(2)
        if body is None:
            return quote(names[word])
        sep = {"columns": ",\n       ", "all": " AND "}[word]
        return sep.join(
            _MARKS.sub(lambda m, col=col, i=i: mark(m, col, i), body.strip()) for i, col in enumerate(columns)
        )

    return _TEMPLATE.sub(expand, text)


def run(
    spark: Any,
    name: str,
    params: dict[str, Any] | None = None,
    /,
    *,
    columns: Sequence[str] = (),
    **names: Any,
) -> Any:
    """The Spark query file ``queries/spark/<name>.sql`` as a DataFrame (lazy), parameters bound.

    A failure while Spark analyses it is a :class:`QueryError` naming the file.
    """
    text = render(_strip_comments(sql.load(f"spark/{name}")), columns=columns, **names)
    params = params or {}
    # Spark cannot bind a NULL argument: a missing value is written as a typed NULL constant
    nulls = {k for k, v in params.items() if v is None}
    if nulls:
        text = re.sub(r"(?<![:\w]):(\w+)", lambda m: "CAST(NULL AS DOUBLE)" if m[1] in nulls else m[0], text)
    used = set(re.findall(r"(?<![:\w]):(\w+)", _QUOTED.sub("", text)))
    bound = {k: v for k, v in params.items() if k in used}
    try:
        return spark.sql(text, args=bound) if bound else spark.sql(text)
    except Exception as exc:
        if not is_spark_error(exc):
            raise
        raise QueryError(first_line(exc), query=f"queries/spark/{name}.sql", sql=text) from exc


def _strip_comments(text: str) -> str:
    return re.sub(r"--[^\n]*", "", text).strip()


def is_spark_error(exc: BaseException) -> bool:
    """Whether ``exc`` is Spark's (an analysis, parse or execution error), not a bug of ours."""
    from pyspark.errors import PySparkException

    if isinstance(exc, PySparkException):
        return True
    try:
        from py4j.protocol import Py4JJavaError
    except ImportError:  # Spark Connect has no Py4J
        return False
    return isinstance(exc, Py4JJavaError)


def first_line(exc: BaseException) -> str:
    """Spark's message, shortened to its first line, without the JVM stack."""
    text = str(getattr(exc, "getMessage", lambda: None)() or exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = lines[0] if lines else type(exc).__name__
    return re.sub(r"\s*SQLSTATE: \w+", "", line)
