"""The only place that loads query files, expands column lists and quotes.

Query files live in ``queries/`` (shipped inside the wheel as
``segsql/queries``). They are plain DuckDB SQL with ``$name`` parameters, plus
a small template syntax for the parts that depend on the config's column
names, which are always written out through :func:`quote_ident`:

``{{ name }}``
    an identifier passed by the caller (a tuple of parts for a qualified name);
``{{ columns: EXPR }}``
    ``EXPR`` once per feature column, joined by commas, with ``@col`` replaced
    by the quoted column name and ``@i`` by its position (0, 1, …), so that
    per-column parameters are named ``$center_@i`` → ``$center_0``;
``{{ all: EXPR }}``
    the same joined by ``AND``;
``{{ literal: name }}``
    the caller's string ``name`` as a quoted literal, for DDL, which DuckDB
    cannot prepare with parameters;
``{{ include: dir/name }}``
    the text of another query file, expanded with the same values, so that
    one query can be run alone and also be part of a larger one (a macro);
``{{ sqlglot: name }}``
    the caller's sqlglot expression ``name``, written as DuckDB SQL here, by
    sqlglot: for a query built as a tree (the scoring query of
    :mod:`segsql.scoring.replay`, whose constants are written in). Only a
    sqlglot expression is accepted, never text, so what it adds is quoted by
    sqlglot as everything else is by :func:`quote_ident`.

Nothing a user writes reaches the SQL text except through these quoting
functions; values always travel as bound parameters (except the constants of
a ``sqlglot:`` tree, which are the run's own numbers, and DDL, which DuckDB
cannot prepare).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb

from segsql.errors import QueryError

__all__ = [
    "quote_ident",
    "quote_name",
    "split_name",
    "quote_literal",
    "load",
    "render",
    "execute",
    "relation",
    "create_user_features",
    "registered",
]

_TEMPLATE = re.compile(r"\{\{\s*(\w+)\s*(?::(.*?))?\}\}", re.DOTALL)
_MARKS = re.compile(r"@col|@i")
_QUOTED = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'')


def quote_ident(name: str) -> str:
    """Quote one identifier for DuckDB: always double-quoted, quotes doubled.

    >>> quote_ident("Annual Income (k$)")
    '"Annual Income (k$)"'
    >>> quote_ident('a"b')
    '"a""b"'
    """
    if not isinstance(name, str) or name == "":
        raise ValueError("an identifier must be a non-empty string")
    if "\x00" in name:
        raise ValueError("an identifier cannot contain a NUL character")
    return '"' + name.replace('"', '""') + '"'


def split_name(name: str) -> tuple[str, ...]:
    """Split a possibly qualified name ``schema.table`` into its parts.

    A part may be double-quoted to keep a dot inside it.

    >>> split_name('main.customers'), split_name('"odd.name"')
    (('main', 'customers'), ('odd.name',))
    """
    if not re.fullmatch(r'(?:"(?:[^"]|"")+"|[^."]+)(?:\.(?:"(?:[^"]|"")+"|[^."]+))*', name):
        raise ValueError(f"not a table name: {name!r}")
    parts = re.findall(r'"((?:[^"]|"")+)"|([^."]+)', name)
    return tuple(q.replace('""', '"') if q else p.strip() for q, p in parts)


def quote_name(name: str) -> str:
    """Quote a possibly qualified name, part by part.

    >>> quote_name("main.customers")
    '"main"."customers"'
    """
    return ".".join(quote_ident(part) for part in split_name(name))


def quote_literal(value: str) -> str:
    """Quote a string literal, for the few statements DuckDB cannot prepare (DDL).

    >>> quote_literal("it's.csv")
    "'it''s.csv'"
    """
    if "\x00" in value:
        raise ValueError("a literal cannot contain a NUL character")
    return "'" + value.replace("'", "''") + "'"


@cache
def load(name: str) -> str:
    """The text of ``queries/<name>.sql``."""
    root = Path(__file__).resolve().parent.parent / "queries"
    path = root / f"{name}.sql"
    if path.is_file():  # a source checkout or an editable install
        return path.read_text(encoding="utf-8")
    return resources.files("segsql").joinpath("queries", f"{name}.sql").read_text(encoding="utf-8")


def render(text: str, *, columns: Sequence[str] = (), **names: Any) -> str:
    """Expand the template markers of a query text.

    >>> render("SELECT {{ columns: avg(@col) AS m_@i }} FROM {{ t }}", columns=["a b"], t=("s", "x"))
    'SELECT avg("a b") AS m_0 FROM "s"."x"'
    """

    def expand(match: re.Match[str]) -> str:
        word, body = match.group(1), match.group(2)
        if body is None:
            if word not in names:
                raise KeyError(f"query template needs a value for {{{{ {word} }}}}")
            value = names[word]
            if isinstance(value, tuple):
                return ".".join(quote_ident(part) for part in value)
            return quote_ident(value)
        if word == "literal":
            return quote_literal(str(names[body.strip()]))
        if word == "include":
            return render(_strip_comments(load(body.strip())), columns=columns, **names)
        if word == "sqlglot":
            return _sqlglot(names[body.strip()])
        sep = {"columns": ",\n       ", "all": " AND "}[word]
        body = body.strip()
        return sep.join(
            # one pass, so that an "@i" inside a column's name is not replaced too
            _MARKS.sub(lambda m, col=col, i=i: quote_ident(col) if m[0] == "@col" else str(i), body)
            for i, col in enumerate(columns)
        )

    return _TEMPLATE.sub(expand, text)


def _sqlglot(tree: Any) -> str:
    """A sqlglot expression as DuckDB SQL (imported here: most queries never need sqlglot)."""
    from sqlglot import exp

    if not isinstance(tree, exp.Expression):
        raise TypeError(f"{{{{ sqlglot: }}}} takes a sqlglot expression, not {type(tree).__name__}")
    return tree.sql(dialect="duckdb")


def execute(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any] | None = None,
    /,
    *,
    columns: Sequence[str] = (),
    **names: Any,
) -> duckdb.DuckDBPyConnection:
    """Run the query file ``name`` with its template expanded and ``params`` bound.

    Only the parameters the text uses are bound, so callers may pass a superset.
    A DuckDB failure becomes a :class:`QueryError` naming the query file.
    """
    text, bound = _prepare(name, params, columns, names)
    try:
        return con.execute(text, bound) if bound else con.execute(text)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc), query=f"queries/{name}.sql", sql=text) from exc


def relation(
    con: duckdb.DuckDBPyConnection,
    name: str,
    params: dict[str, Any] | None = None,
    /,
    *,
    columns: Sequence[str] = (),
    **names: Any,
) -> duckdb.DuckDBPyRelation:
    """The query file ``name`` as a lazy relation (for Arrow or Polars results)."""
    text, bound = _prepare(name, params, columns, names)
    try:
        return con.sql(text, params=bound or None)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc), query=f"queries/{name}.sql", sql=text) from exc


def _prepare(
    name: str, params: dict[str, Any] | None, columns: Sequence[str], names: dict
) -> tuple[str, dict[str, Any]]:
    # comments go before expansion: a quoted name holding a newline must not
    # be able to end a comment line and start a statement
    text = render(_strip_comments(load(name)), columns=columns, **names)
    # a `$name` inside a quoted identifier or a string is not a parameter; binding
    # it anyway would make DuckDB refuse the statement (excess parameters)
    used = set(re.findall(r"\$(\w+)", _QUOTED.sub("", text)))
    return text, {k: v for k, v in (params or {}).items() if k in used}


def _strip_comments(text: str) -> str:
    # query files keep `--` out of string literals, so this is safe for them
    return re.sub(r"--[^\n]*", "", text).strip()


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(exc).__name__


def create_user_features(
    con: duckdb.DuckDBPyConnection, query: str, *, origin: str, params: dict[str, Any] | None = None
) -> None:
    """Run the feature query into the temp table ``segsql_user_features``.

    The feature query is the one piece of SQL a user owns, so its text is the
    only text placed into a statement unquoted; it must be exactly one SELECT
    (or WITH … SELECT), which rules out a smuggled second statement.
    ``origin`` names where it came from (a file, or ``[features] sql``).
    """
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc), query=origin, sql=query) from None
    if len(statements) != 1 or statements[0].type != duckdb.StatementType.SELECT:
        raise QueryError("the feature query must be exactly one SELECT statement", query=origin)
    text = _strip_comments(load("features/user_query")).replace("{{ user_query }}", statements[0].query)
    try:
        con.execute(text, params) if params else con.execute(text)
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc), query=origin, sql=query) from None


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, name: str, frame: Any) -> Iterator[None]:
    """``frame`` (an Arrow table) readable by the queries as ``name`` for the duration of a block.

    How Python hands rows to a query file: the file reads the stable name
    (``segsql_labels_in`` …), which is gone again afterwards.
    """
    con.register(name, frame)
    try:
        yield
    finally:
        con.unregister(name)
