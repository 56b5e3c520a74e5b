"""No injection: hostile names from a config or a data file are always quoted or bound.

Every name below is used at once as a source key, the entity column, a
feature column, a transform and a label key, the output schema, and in the
data file's name. Each run goes through a connection that records every SQL
text segsql executes; the test checks that

* the run succeeds, and the names come back unchanged in the output tables;
* the statements executed are exactly those of the same run with plain names
  (same number of calls, same statement types per call): nothing was smuggled in;
* a canary table and a canary schema that a successful injection would drop or
  change are exactly as they were, and no relation appears besides the output.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

import segsql
from segsql.sql import quote_ident as q
from segsql.steps.writeback import OUTPUT_TABLES

HOSTILE = [
    'double"quote',
    "single'quote",
    'x"; DROP TABLE main.canary; --',
    "x'); DROP TABLE main.canary; --",
    "semi;colon",
    "-- a comment",
    "/* a comment */ x",
    "*/ DROP TABLE main.canary; /*",
    "new\nline",
    "x\n; DROP TABLE main.canary; --",
    "back\\slash",
    'back\\"slash',
    "dollar$1",
    "$drop",
    "$run_id",
    "$impute",
    "$low",
    "select",
    "order",
    "from",
    "group by",
    "Ünïcödé 客户 🙂",
    "\u202eright-to-left",
    "inner  double  spaces",
    "tab\there",
    "{{ entity }}",
    "{{ columns: @col }}",
    "a@colb@ic",
    "%s ? :name",
    "dotted.name",
    "glob[1]*?",
    "x" * 300,
]

# names for the run with plain names, which gives the statements a run should execute
PLAIN = {"source": "src", "entity": "id", "features": ["f1", "f2", "f3"], "schema": "out", "file": "data"}


class RecordingConnection:
    """A DuckDB connection that records the SQL text of every ``execute`` and ``sql`` call."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con
        self.texts: list[str] = []

    def execute(self, query: str, *args: Any, **kwargs: Any):
        self.texts.append(query)
        return self._con.execute(query, *args, **kwargs)

    def sql(self, query: str, *args: Any, **kwargs: Any):
        self.texts.append(query)
        return self._con.sql(query, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def statement_types(self) -> list[tuple[str, ...]]:
        """Per recorded call, the types of the statements it held (as DuckDB parses them)."""
        return [tuple(s.type.name for s in self._con.extract_statements(t)) for t in self.texts]


def _toml_str(value: str) -> str:
    # a JSON string is a TOML basic string (TOML reads \uXXXX escapes too)
    return json.dumps(value, ensure_ascii=False)


def _setup(tmp_path: Path, *, source: str, entity: str, features: list[str], schema: str, file: str):
    """Write a CSV and a config using those names; create the database with its canaries."""
    safe_file = file.replace("/", "_").replace("\x00", "_")[:100]
    data = tmp_path / f"{safe_file}.csv"
    header = ",".join(_csv_field(c) for c in [entity, *features])
    rows = [
        f"{i}," + ",".join(str((i * (j + 3)) % 17 + j) for j in range(len(features))) for i in range(1, 41)
    ]
    data.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    query = f"SELECT * FROM {q(source)}"
    labels = "\n".join(f"{_toml_str(f)} = {_toml_str('label ' + f)}" for f in features)
    config = tmp_path / "hostile.toml"
    config.write_text(
        f'[project]\nname = {_toml_str(entity)}\ndatabase = "run.duckdb"\nschema = {_toml_str(schema)}\n\n'
        f"[sources.{_toml_str(source)}]\npath = {_toml_str(str(data))}\n\n"
        f"[features]\nentity = {_toml_str(entity)}\nsql = {_toml_str(query)}\n\n"
        f'[features.transforms]\n{_toml_str(features[0])} = "sqrt"\n\n'
        f"[features.labels]\n{labels}\n\n"
        "[model]\nk = 2\nk_range = [2, 3]\nn_init = 1\n",
        encoding="utf-8",
    )
    database = tmp_path / "run.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE TABLE main.canary AS SELECT 42 AS alive")
        con.execute('CREATE SCHEMA "canary schema"')
        con.execute('CREATE TABLE "canary schema".t AS SELECT 1 AS x')
    return config, database


def _csv_field(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _relations(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    rows = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "UNION ALL SELECT schema_name, view_name FROM duckdb_views() WHERE NOT internal AND NOT temporary"
    ).fetchall()
    return set(rows)


def _run(tmp_path: Path, **names: Any) -> tuple[list[tuple[str, ...]], Path]:
    """Run with those names through a recording connection: (statement types per call, database)."""
    config, database = _setup(tmp_path, **names)
    with duckdb.connect(str(database)) as raw:
        spy = RecordingConnection(raw)
        result = segsql.run(config, con=spy)  # type: ignore[arg-type]
        assert result.k == 2
        return spy.statement_types(), database


@pytest.fixture(scope="module")
def plain_statements(tmp_path_factory) -> list[tuple[str, ...]]:
    types, _ = _run(tmp_path_factory.mktemp("plain"), **PLAIN)
    assert len(types) > 20 and all(types)
    return types


def _roles(name: str) -> dict[str, Any]:
    # the same hostile name in every role; features get suffixes to stay distinct
    return {
        "source": name,
        "entity": name,
        "features": [name + " f1", "f2 " + name, name + "'"],
        "schema": name,
        "file": name,
    }


@pytest.mark.parametrize("name", HOSTILE, ids=[repr(n)[:40] for n in HOSTILE])
def test_a_hostile_name_in_every_role_runs_only_the_intended_statements(
    name: str, tmp_path: Path, plain_statements: list[tuple[str, ...]]
) -> None:
    roles = _roles(name)
    types, database = _run(tmp_path, **roles)
    assert types == plain_statements

    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT alive FROM main.canary").fetchall() == [(42,)]
        assert con.execute('SELECT x FROM "canary schema".t').fetchall() == [(1,)]
        tables = OUTPUT_TABLES
        expected = {("main", "canary"), ("canary schema", "t")}
        expected |= {(name, t) for t in tables} | {(name, f"{t}_latest") for t in tables}
        assert _relations(con) == expected

        features = [
            r[0] for r in con.execute(f"SELECT feature FROM {q(name)}.scaler ORDER BY position").fetchall()
        ]
        assert features == roles["features"]
        columns = [r[0] for r in con.execute(f"DESCRIBE {q(name)}.segments").fetchall()]
        assert columns == ["run_id", name, "segment", "distance"]
        n = con.execute(f"SELECT count(DISTINCT {q(name)}) FROM {q(name)}.segments_latest").fetchall()
        assert n == [(40,)]
        transform = con.execute(
            f"SELECT transform FROM {q(name)}.scaler WHERE feature = $f", {"f": roles["features"][0]}
        ).fetchall()
        assert transform == [("sqrt",)]
        run = con.execute(f"SELECT name, entity FROM {q(name)}.runs").fetchall()
        assert run == [(name, name)]


def test_every_hostile_name_at_once_as_feature_columns(tmp_path: Path, plain_statements) -> None:
    types, database = _run(tmp_path, source="s", entity="id", features=HOSTILE, schema="out", file="data")
    assert types == plain_statements
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT alive FROM main.canary").fetchall() == [(42,)]
        got = con.execute(
            "SELECT feature FROM out.centroids_latest WHERE segment = 1 ORDER BY ALL"
        ).fetchall()
        assert sorted(r[0] for r in got) == sorted(HOSTILE)


def test_a_second_statement_in_the_feature_query_is_refused_before_anything_runs(tmp_path: Path) -> None:
    config, database = _setup(tmp_path, **PLAIN)
    text = config.read_text().replace(
        'sql = "SELECT * FROM \\"src\\""', 'sql = "SELECT * FROM \\"src\\"; DROP TABLE main.canary"'
    )
    config.write_text(text)
    with pytest.raises(segsql.QueryError, match="exactly one SELECT"):
        segsql.run(config)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT alive FROM main.canary").fetchall() == [(42,)]
        assert _relations(con) == {("main", "canary"), ("canary schema", "t")}


@pytest.mark.parametrize(
    "query",
    [
        "DROP TABLE main.canary",
        "INSERT INTO main.canary VALUES (0)",
        "WITH x AS (SELECT 1) DELETE FROM main.canary",
        "SELECT 1; SELECT 2",
        "ATTACH 'other.duckdb' AS other",
        "COPY main.canary TO 'out.csv'",
        "PRAGMA version",
    ],
)
def test_a_feature_query_that_is_not_one_select_is_refused(tmp_path: Path, query: str) -> None:
    config, database = _setup(tmp_path, **PLAIN)
    text = config.read_text().replace('sql = "SELECT * FROM \\"src\\""', f"sql = {_toml_str(query)}")
    config.write_text(text)
    with pytest.raises(segsql.QueryError):
        segsql.run(config)
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT alive FROM main.canary").fetchall() == [(42,)]
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


@pytest.mark.parametrize("name", ['x"; DROP TABLE main.canary; --', "select", "a.b", "Ünï 客户"])
def test_a_source_table_with_a_hostile_qualified_name_is_read_as_it_is(tmp_path: Path, name: str) -> None:
    config, database = _setup(tmp_path, **PLAIN)
    with duckdb.connect(str(database)) as con:
        con.execute(f"CREATE SCHEMA {q(name)}")
        con.execute(
            f"CREATE TABLE {q(name)}.{q(name)} AS SELECT * FROM read_csv($p)",
            {"p": str(tmp_path / "data.csv")},
        )
    qualified = f"{q(name)}.{q(name)}"  # how a user writes it in `table =`: quoted parts
    text = config.read_text()
    start = text.index("path = ", text.index("[sources."))
    end = text.index("\n", start)
    config.write_text(text[:start] + f"table = {_toml_str(qualified)}" + text[end:])
    result = segsql.run(config)
    assert result.segments.height == 40
    with duckdb.connect(str(database), read_only=True) as con:
        assert con.execute("SELECT alive FROM main.canary").fetchall() == [(42,)]
        assert con.execute(f"SELECT count(*) FROM {qualified}").fetchall() == [(40,)]
