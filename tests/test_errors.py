"""Bad input gives one line, ``Error: …``, naming the file, key or column; never a traceback.

Each case below writes a config (and its data files) into a temporary folder,
runs the real CLI on it (``segsql run`` unless the case says otherwise) and
checks: a non-zero exit, exactly one line on stderr, starting ``Error: ``,
containing every expected fragment (the file, key or column at fault), and no
traceback. ``tests/BAD_INPUTS.md`` lists the same cases with the message each
produced; regenerate it with ``python -m tests.test_errors``.
"""

from __future__ import annotations

import json
import os
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner

from segsql.cli import app

GOOD_CSV = """\
id,a,b,name
1,1.0,10.0,ann
2,2.0,11.0,bob
3,3.0,15.0,cy
4,8.0,30.0,dee
5,9.0,31.0,eve
6,10.0,35.0,fay
"""

BASE = {
    "project": 'name = "bad"\ndatabase = "run.duckdb"',
    "sources.people": 'path = "people.csv"',
    "features": 'entity = "id"\nsql = "SELECT id, a, b FROM people"',
    "preprocess": 'scaling = "standard"\nimpute = "error"',
    "model": "k = 2\nk_range = [2, 3]\nn_init = 2",
}


@dataclass(frozen=True)
class Case:
    """One bad input: what it is, the config sections it changes, what the error must name."""

    id: str
    what: str
    expect: tuple[str, ...]
    sections: dict[str, str | None] = field(default_factory=dict)
    files: dict[str, str | bytes | None] = field(default_factory=dict)
    command: str = "run"
    config_text: str | None = None  # the whole config file, instead of BASE + sections
    config_name: str = "bad.toml"
    exit_code: int = 1
    # other commands: the CLI arguments, with {config} and {tmp} filled in
    args: tuple[str, ...] = ()
    # run the case's config successfully first (for cases about an existing run database)
    after_run: bool = False


RFM_FEATURES = 'entity = "id"\nrecipe = "rfm"'
RFM = 'source = "{}"\ntimestamp = "{}"\namount = "a"\nas_of = 2024-01-01'
# the feature query of the categorical-feature cases: the people's name is a category
CATEGORICAL = 'entity = "id"\nsql = "SELECT id, a, b, name FROM people"\n'


# a transactions source for the RFM cases; every transaction after RFM's as_of (2024-01-01)
SALES = "id,at,a\n1,2024-03-05 08:00:00,5.0\n2,2024-03-06 09:00:00,7.5\n"
# transactions of six customers before 2024-04-01, for cases about a run made with the RFM recipe
SHOP = "id,at,a\n" + "".join(
    f"{i},2024-0{1 + i % 3}-{10 + i},{i * 4.5}\n{i},2024-03-2{i},{i + 1.25}\n" for i in range(1, 7)
)


# the log of an empty Delta table (version 0: its protocol and schema, `id BIGINT`), as delta-rs writes it
DELTA_LOG = (
    '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}\n'
    '{"metaData":{"id":"88d31f22-4857-42de-98b4-326226b3f559","format":{"provider":"parquet","options":{}},'
    '"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[{\\"name\\":\\"id\\",\\"type\\":\\"long\\",'
    '\\"nullable\\":true,\\"metadata\\":{}}]}","partitionColumns":[],"createdTime":1700000000000,'
    '"configuration":{}}}\n'
)


def _people(rows: str, header: str = "id,a,b,name") -> str:
    return header + "\n" + textwrap.dedent(rows).strip() + "\n"


CASES = [
    # --- files ---------------------------------------------------------------
    Case("missing-config", "the config file does not exist", ("nope.toml", "not found"),
         config_name="nope.toml", config_text=None, files={"nope.toml": None}),
    Case("config-is-a-folder", "the config path is a folder (unreadable)", ("bad.toml", "cannot read"),
         files={"bad.toml/": ""}),
    Case("config-not-toml", "the config is not valid TOML", ("bad.toml", "not valid TOML"),
         config_text="[project\nname = 1\n"),
    Case("config-not-utf8", "the config is not UTF-8 text", ("bad.toml", "cannot read"),
         config_text=b"[project]\nname = \"\xff\xfe\"\n"),
    Case("missing-source-file", "a source file does not exist",
         ("missing.csv", "[sources.people]", "not found"),
         sections={"sources.people": 'path = "missing.csv"'}),
    Case("source-glob-matches-nothing", "a source glob matches no file", ("*.parquet", "not found"),
         sections={"sources.people": 'path = "parts/*.parquet"'}),
    Case("source-is-a-folder", "a source path is a folder", ("people.csv", "[sources.people]"),
         files={"people.csv": None, "people.csv/": ""}),
    Case("unreadable-source-file", "a source file without read permission",
         ("people.csv", "[sources.people]"),
         files={"people.csv": GOOD_CSV, "chmod:people.csv": "000"}),
    Case("source-not-utf8", "a CSV source that is not UTF-8 (binary garbage)", ("people.csv", "utf-8"),
         files={"people.csv": b"\x00\x01\x02\xff\xfe garbage\n\x00\x00"}),
    Case("malformed-csv-ragged", "a CSV whose rows have different numbers of fields",
         ("people.csv",),
         files={"people.csv": "id,a,b\n" + "".join(f"{i},{i}.5,{i}\n" for i in range(1, 3000))
                              + "3000,1,2,3,4\n3001,x\n"}),
    Case("malformed-csv-late", "a CSV with a bad row after the sniffer's sample (row 30001)",
         ("people.csv", "line 30002", "Expected Number of Columns"), files={"people.csv": "id,a,b\n"
                                        + "".join(f"{i},{i}.5,{i}\n" for i in range(1, 30001))
                                        + "30001,1,2,3,4\n"}),
    Case("csv-type-changes-late", "a CSV column typed by its first rows, with text in row 25001",
         ("people.csv", "line 25002", '"oops"'),
         files={"people.csv": "id,a,b\n" + "".join(f"{i},{i},{i % 7}\n" for i in range(1, 25001))
                              + "25001,oops,1\n"}),
    Case("parquet-not-parquet", "a .parquet source that is not Parquet", ("people.parquet", "parquet"),
         sections={"sources.people": 'path = "people.parquet"'}, files={"people.parquet": "id,a\n1,2\n"}),
    Case("json-malformed", "a .json source that is not JSON", ("people.json", "json"),
         sections={"sources.people": 'path = "people.json"'}, files={"people.json": "{ not json ]"}),
    Case("empty-source-file", "a source file with zero bytes", ("people.csv",),
         files={"people.csv": ""}),
    Case("header-only-source", "a CSV source with a header and no rows", ("people.csv", "no rows"),
         files={"people.csv": "id,a,b,name\n"}),
    Case("missing-source-table", "a `table =` source that does not exist", ("[sources.people]", "main.nope"),
         sections={"sources.people": 'table = "main.nope"'}),
    Case("missing-feature-file", "`[features] file` does not exist", ("features.sql", "[features] file"),
         sections={"features": 'entity = "id"\nfile = "features.sql"'}),
    Case("database-folder-is-a-file", "the database's folder is a file", ("people.csv", "folder"),
         sections={"project": 'name = "bad"\ndatabase = "people.csv/run.duckdb"'}),
    Case("schema-in-system-catalog", "[project] schema = \"information_schema\"",
         ("tables.sql", "system catalog"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nschema = "information_schema"'}),
    Case("database-not-duckdb", "the database path is a file that is not a DuckDB database", ("run.duckdb",),
         files={"run.duckdb": "this is not a database\n" * 100}),
    # --- config keys and values --------------------------------------------
    Case("unknown-key", "an unknown key in a section", ("bad.toml", "[model] clusters", "unknown key"),
         sections={"model": "clusters = 4"}),
    Case("unknown-section", "an unknown section", ("bad.toml", "modle", "unknown key"),
         sections={"modle": "k = 4"}),
    Case("wrong-type-k", "a string where an integer is expected", ("bad.toml", "[model] k", "four"),
         sections={"model": 'k = "four"'}),
    Case("wrong-type-n-init", "a string for n_init", ("bad.toml", "[model] n_init", "'10'"),
         sections={"model": 'k = 2\nn_init = "10"'}),
    Case("wrong-type-scaling", "a value not in the choices", ("bad.toml", "[preprocess] scaling", "zscore"),
         sections={"preprocess": 'scaling = "zscore"'}),
    Case("wrong-type-columns", "a string where a list is expected", ("bad.toml", "[features] columns"),
         sections={"features": 'entity = "id"\nsql = "SELECT * FROM people"\ncolumns = "a"'}),
    Case("lock-timeout-negative", "a negative [project] lock_timeout", ("bad.toml", "[project] lock_timeout"),
         sections={"project": 'name = "bad"\nlock_timeout = -1'}),
    Case("lock-timeout-text", "a string for [project] lock_timeout",
         ("bad.toml", "[project] lock_timeout", "'5'"),
         sections={"project": 'name = "bad"\nlock_timeout = "5"'}),
    Case("k-below-2", "k = 1", ("bad.toml", "[model] k", ">= 2"), sections={"model": "k = 1"}),
    Case("k-range-below-2", "k_range starting at 1", ("bad.toml", "[model] k_range", ">= 2"),
         sections={"model": "k_range = [1, 4]"}),
    Case("k-above-rows", "k larger than the number of rows", ("[model] k = 9", "6 rows"),
         sections={"model": "k = 9\nk_range = [2, 3]"}),
    Case("k-equals-rows", "k equal to the number of rows (one row a segment)", ("[model] k = 6", "6 rows"),
         sections={"model": "k = 6\nk_range = [2, 3]"}),
    Case("k-above-distinct-points", "fewer distinct points than k",
         ("[model] k = 4", "3 distinct points"), sections={"model": "k = 4\nk_range = [2, 3]"},
         files={"people.csv": _people("1,1,1,a\n2,1,1,b\n3,2,2,c\n4,2,2,d\n5,3,3,e\n6,3,3,f")}),
    Case("auto-k-too-few-rows", 'k = "auto" with a k_range no K of which fits the rows',
         ("[model] k_range", "rows"), sections={"model": 'k = "auto"\nk_range = [7, 9]'}),
    Case("transform-of-non-feature", "a transform for a column that is not a feature",
         ("bad.toml", "[features.transforms] name"),
         sections={"features.transforms": 'name = "log1p"'}),
    Case("newline-in-a-name", "an error message that lists a column named with a line break",
         ("[features.transforms] nope", "new\\nline"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a AS \\"new\\nline\\" FROM people"',
                   "features.transforms": 'nope = "log1p"'}),
    Case("source-both-path-and-table", "a source with both path and table",
         ("bad.toml", "[sources] people", "path"),
         sections={"sources.people": 'path = "people.csv"\ntable = "main.x"'}),
    # --- the feature table --------------------------------------------------
    Case("entity-missing", "the entity column is not in the feature query's result",
         ("customer_id", "entity column"),
         sections={"features": 'entity = "customer_id"\nsql = "SELECT * FROM people"'}),
    Case("duplicate-entities", "an entity appearing twice", ("'id'", "more than once", "2 ×2"),
         files={"people.csv": _people("1,1,1,a\n2,2,2,b\n2,3,3,c\n3,4,4,d\n4,5,5,e\n5,6,6,f")}),
    Case("null-entity", "a row with a NULL entity", ("NULL entity", "'id'"),
         files={"people.csv": _people("1,1,1,a\n,2,2,b\n3,4,4,d\n4,5,5,e\n5,6,6,f")}),
    Case("non-numeric-feature", "a text column listed as a feature",
         ("[features] columns", "'name' (VARCHAR)"),
         sections={"features": 'entity = "id"\nsql = "SELECT * FROM people"\ncolumns = ["a", "name"]'}),
    Case("no-numeric-feature", "a feature query with no numeric column besides the entity",
         ("no numeric column", "'id'"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, name FROM people"'}),
    Case("feature-column-missing", "a listed feature column the query does not return",
         ("[features] columns", "'c'"),
         sections={"features": 'entity = "id"\nsql = "SELECT * FROM people"\ncolumns = ["a", "c"]'}),
    Case("all-null-column", "a feature column that is all NULL", ("'b'", "all NULL"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, CAST(NULL AS DOUBLE) AS b FROM people"'}),
    Case("nulls-with-impute-error", 'NULLs when [preprocess] impute = "error"', ("'b'", "2 NULLs", "impute"),
         files={"people.csv": _people("1,1,1,a\n2,2,,b\n3,3,,c\n4,8,8,d\n5,9,9,e\n6,10,10,f")}),
    Case("nan-values", "NaN in a feature", ("'b'", "NaN or infinite"),
         sections={"features": "entity = \"id\"\nsql = \"SELECT id, a, CASE WHEN id = 2 THEN 'nan'::DOUBLE "
                               "ELSE b END AS b FROM people\""}),
    Case("infinite-values", "infinity in a feature (from the CSV)", ("'b'", "NaN or infinite"),
         files={"people.csv": _people("1,1,1,a\n2,2,inf,b\n3,3,3,c\n4,8,8,d\n5,9,9,e\n6,10,10,f")}),
    Case("log1p-of-negative", "log1p of values <= -1", ("'a'", "log1p"),
         sections={"features.transforms": 'a = "log1p"'},
         files={"people.csv": _people("1,-5,1,a\n2,2,2,b\n3,3,3,c\n4,8,8,d\n5,9,9,e\n6,10,10,f")}),
    Case("sqrt-of-negative", "sqrt of negative values", ("'b'", "sqrt"),
         sections={"features.transforms": 'b = "sqrt"'},
         files={"people.csv": _people("1,1,-1,a\n2,2,2,b\n3,3,3,c\n4,8,8,d\n5,9,9,e\n6,10,10,f")}),
    Case("values-overflow", "values near the double range, whose mean and spread overflow",
         ("'a'", "overflow"),
         files={"people.csv": _people("1,1e308,1,a\n2,-1e308,2,b\n3,1e308,3,c\n4,0,8,d\n5,9,9,e\n6,1,10,f")}),
    Case("all-rows-dropped", 'impute = "drop" with a NULL in every row', ("no rows are left",),
         sections={"preprocess": 'impute = "drop"'},
         files={"people.csv": _people("1,1,,a\n2,,2,b\n3,3,,c\n4,,8,d\n5,9,,e\n6,,10,f")}),
    # --- the feature query --------------------------------------------------
    Case("sql-error-inline", "an SQL error in `[features] sql`", ("[features] sql", "no_such_column"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, no_such_column FROM people"'}),
    Case("sql-syntax-error-inline", "a syntax error in `[features] sql`", ("[features] sql", "syntax error"),
         sections={"features": 'entity = "id"\nsql = "SELEC id FROM people"'}),
    Case("sql-error-in-file", "an SQL error in the feature query file",
         ("features.sql", "Catalog Error", "no_such_table"),
         sections={"features": 'entity = "id"\nfile = "features.sql"'},
         files={"features.sql": "-- features\nSELECT id, a FROM no_such_table\n"}),
    Case("sql-not-a-select", "a feature query that is not a SELECT", ("[features] sql", "one SELECT"),
         sections={"features": 'entity = "id"\nsql = "DROP TABLE people"'}),
    Case("sql-two-statements", "a feature query with a second statement", ("[features] sql", "one SELECT"),
         sections={"features": 'entity = "id"\nsql = "SELECT * FROM people; DROP TABLE x"'}),
    Case("sql-runtime-error", "a feature query that fails while running (a bad cast)",
         ("[features] sql", "Conversion Error"),
         sections={"features": "entity = \"id\"\n"
                               "sql = \"SELECT id, CAST(name || 'x' AS INTEGER) AS a FROM people\""}),
    Case("rfm-missing-column", "the RFM recipe naming a column the source does not have",
         ("[features.rfm]", "'people'", "when"),
         sections={"features": RFM_FEATURES, "features.rfm": RFM.format("people", "when")}),
    Case("rfm-timestamp-not-a-date", "the RFM recipe's timestamp column holding text",
         ("[features.rfm]", "'people'", "Conversion Error", "column name"),
         sections={"features": RFM_FEATURES, "features.rfm": RFM.format("people", "name")}),
    Case("rfm-unknown-source", "the RFM recipe naming no configured source",
         ("[features.rfm] source", "'sales'"),
         sections={"features": RFM_FEATURES, "features.rfm": RFM.format("sales", "a")}),
    # --- validate takes the same path -----------------------------------------
    Case("validate-duplicate-entities", "`segsql validate` on duplicate entities", ("more than once",),
         command="validate",
         files={"people.csv": _people("1,1,1,a\n1,2,2,b\n3,4,4,d\n4,5,5,e\n5,6,6,f")}),
    Case("validate-missing-source", "`segsql validate` on a missing file", ("missing.csv", "not found"),
         command="validate", sections={"sources.people": 'path = "missing.csv"'}),
    Case("query-without-database", "`segsql query` before any run", ("run.duckdb", "no database"),
         command="query"),
    # --- issue 10, class 1: segsql's own tables ---------------------------------
    Case("score-into-runs", "`segsql score --into segsql.runs`, the run history",
         ("--into segsql.runs", "'segsql'", "[project] schema"), command="score", after_run=True,
         args=("score", "{config}", "--input", "{tmp}/people.csv", "--into", "segsql.runs")),
    Case("score-into-own-schema-odd-case", "`segsql score --into` a new, quoted name in the output schema",
         ('--into "SegSQL"."new"', "'segsql'"), command="score", after_run=True,
         args=("score", "{config}", "--input", "{tmp}/people.csv", "--into", '"SegSQL"."new"')),
    # --- issue 10, class 2: read-only queries -----------------------------------
    Case("query-two-statements", "`segsql query` with two statements",
         ("query", "one SQL statement", "found 2"), command="query", after_run=True,
         args=("query", "{config}", "SELECT 1; SELECT 2")),
    Case("query-copy-to-a-file", "`segsql query` writing a file with COPY … TO (the config)",
         ("query", "read-only", "bad.toml"), command="query", after_run=True,
         args=("query", "{config}", "COPY (SELECT 1) TO '{tmp}/bad.toml' (FORMAT csv)")),
    Case("query-attach", "`segsql query` attaching (and so creating) another database read-write",
         ("query", "read-only", "other.duckdb"), command="query", after_run=True,
         args=("query", "{config}", "ATTACH '{tmp}/other.duckdb' AS other (READ_WRITE)")),
    Case("query-set", "`segsql query` changing a setting", ("query", "enable_external_access", "locked"),
         command="query", after_run=True, args=("query", "{config}", "SET enable_external_access = true")),
    # --- issue 10, class 4: no silently wrong result ----------------------------
    Case("entity-named-is-outlier", "an entity column named like a scoring output column",
         ("bad.toml", "[features] entity", "'is_outlier'"),
         sections={"features": 'entity = "is_outlier"\nsql = "SELECT id AS is_outlier, a, b FROM people"'}),
    Case("entity-named-run-id", "an entity column named run_id (any case), beside it in segments",
         ("bad.toml", "[features] entity", "'Run_ID'"), command="validate",
         sections={"features": 'entity = "Run_ID"\nsql = "SELECT id AS Run_ID, a, b FROM people"'}),
    Case("feature-named-segsql-row", "a feature column named like segsql's own row number (segsql_row)",
         ("bad.toml", "feature column 'segsql_row'", "segsql's own"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, b AS segsql_row FROM people"'}),
    Case("values-overflow-robust", "values near the double range under robust scaling (inf profiles)",
         ("'a'", "overflow"), sections={"preprocess": 'scaling = "robust"'},
         files={"people.csv": _people("1,1e307,1,a\n2,2e307,2,b\n3,3e307,3,c\n4,0,8,d\n5,9,9,e\n6,1,10,f")}),
    Case("values-overflow-unscaled", "values near the double range with scaling = \"none\"",
         ("'a'", "overflow"), sections={"preprocess": 'scaling = "none"'},
         files={"people.csv": _people("1,1e307,1,a\n2,2e307,2,b\n3,3e307,3,c\n4,0,8,d\n5,9,9,e\n6,1,10,f")}),
    Case("rfm-unknown-time-zone", "[features.rfm] time_zone that is not a time zone",
         ("bad.toml", "[features.rfm] time_zone", "Mars/Olympus"),
         sections={"features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at") + '\ntime_zone = "Mars/Olympus"'},
         files={"sales.csv": SALES}),
    Case("rfm-as-of-a-time", "[features.rfm] as_of that is a time of day without a date",
         ("bad.toml", "[features.rfm] as_of", "must be a date"),
         sections={"features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at").replace("2024-01-01", "12:00:00")},
         files={"sales.csv": SALES}),
    Case("rfm-no-usable-transaction", "a transactions source whose every amount is NULL",
         ("[features.rfm]", "'sales'", "no transaction has both", "'a'"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at")},
         files={"sales.csv": "id,at,a\n1,2023-12-01,\n2,2023-12-02,\n"}),
    # (class 10) an as_of before every transaction names the key and the first date
    Case("rfm-as-of-before-data", "[features.rfm] as_of before the first transaction",
         ("bad.toml", "[features.rfm] as_of", "2024-01-01", "first transaction", "2024-03-05 08:00:00"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at")},
         files={"sales.csv": SALES}),
    # --- issue 10, class 6: failures keep their cause ---------------------------
    Case("report-into-a-file", "`segsql report` with [output] dir a file, not a folder",
         ("[output] dir", "people.csv", "run 1", "Not a directory"),
         sections={"output": 'report = false\ndir = "people.csv"'}, command="report",
         args=("report", "{config}"), after_run=True),
    Case("score-output-is-a-folder", "`segsql score --output` naming an existing folder",
         ("folder.csv", "--output is a folder"), files={"folder.csv/": ""}, command="score",
         args=("score", "{config}", "--input", "{tmp}/people.csv", "--output", "{tmp}/folder.csv"),
         after_run=True),
    Case("init-into-a-missing-folder", "`segsql init -o` into a folder that does not exist",
         ("missing", "x.toml", "No such file or directory"), command="init",
         args=("init", "{tmp}/people.csv", "--output", "{tmp}/missing/x.toml")),
    # --- issue 10, classes 7 and 8: config checked at load ----------------------
    Case("schema-temp", "[project] schema = \"temp\", a catalog of every DuckDB connection",
         ("bad.toml", "[project] schema", "'temp'", "ambiguous"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nschema = "temp"'}),
    Case("schema-system", "[project] schema = \"system\", a catalog of every DuckDB connection",
         ("bad.toml", "[project] schema", "'system'"), command="validate",
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nschema = "system"'}),
    Case("sweep-sample-below-k", "a [model] sweep_sample with no more rows than the largest K",
         ("bad.toml", "[model] sweep_sample", "3 rows are too few for K up to 3"),
         sections={"model": "k = 2\nk_range = [2, 3]\nn_init = 2\nsweep_sample = 3"}),
    Case("metric-sample-below-k", "a [model] metric_sample of 1 row (`segsql validate`)",
         ("bad.toml", "[model] metric_sample", "too few for K up to 3"), command="validate",
         sections={"model": "k = 2\nk_range = [2, 3]\nn_init = 2\nmetric_sample = 1"}),
    Case("k-range-beyond-the-sample", "a k_range reaching beyond the default sweep sample (100000 rows)",
         ("bad.toml", "[model] k_range", "sweep_sample = 100000"),
         sections={"model": 'k = "auto"\nk_range = [2, 1000000000000]'}),
    Case("random-state-negative", "a negative [model] random_state",
         ("bad.toml", "[model] random_state", "4294967295", "(got -1)"),
         sections={"model": "k = 2\nk_range = [2, 3]\nrandom_state = -1"}),
    Case("random-state-too-large", "a [model] random_state of 2**32 (`segsql validate`)",
         ("bad.toml", "[model] random_state", "(got 4294967296)"), command="validate",
         sections={"model": "k = 2\nk_range = [2, 3]\nrandom_state = 4294967296"}),
    Case("memory-limit-unknown-unit", 'a [project] memory_limit in a unit DuckDB does not know ("4ib")',
         ("bad.toml", "[project] memory_limit", "must be a size", "4ib"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nmemory_limit = "4ib"'}),
    Case("memory-limit-out-of-range", "a [project] memory_limit beyond DuckDB's range (`segsql validate`)",
         ("bad.toml", "[project] memory_limit", "DuckDB cannot use it", "out of range"), command="validate",
         sections={"project": 'name = "bad"\nmemory_limit = "99999999999999999999GB"'}),
    Case("source-key-reserved", "a source named like one of segsql's own relations (`segsql_features`)",
         ("bad.toml", "[sources] segsql_features", "'segsql_'"),
         sections={"sources.people": None, "sources.segsql_features": 'path = "people.csv"',
                   "features": 'entity = "id"\nsql = "SELECT id, a, b FROM segsql_features"'}),
    Case("source-keys-differ-in-case", "two sources whose keys differ only in case (`segsql validate`)",
         ("bad.toml", "[sources] PEOPLE", "[sources.people]"), command="validate",
         sections={"sources.PEOPLE": 'path = "people.csv"'}),
    # --- issue 10, class 10: messages a user understands ------------------------
    Case("score-header-only-file", "`segsql score` on a CSV with a header and no rows",
         ("empty.csv", "has no rows"), command="score", after_run=True,
         files={"empty.csv": "id,a,b,name\n"},
         args=("score", "{config}", "--input", "{tmp}/empty.csv")),
    # --- issue 11: reruns ---
    Case("run-as-of-without-rfm", "`segsql run --as-of` on a config that does not use the RFM recipe",
         ("bad.toml", "[features] rfm", "--as-of"),
         args=("run", "--quiet", "{config}", "--as-of", "2024-01-01")),
    Case("run-as-of-not-a-date", "`segsql run --as-of` with a day that does not exist",
         ("bad.toml", "[features.rfm] as_of", "must be a date", "'2024-13-01'"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at")},
         files={"sales.csv": SALES}, args=("run", "--quiet", "{config}", "--as-of", "2024-13-01")),
    Case("diff-one-run", "`segsql diff` when the database holds one run",
         ("run.duckdb", "two successful runs", "only run 1"), command="diff", after_run=True,
         args=("diff", "{config}")),
    Case("diff-in-memory", "`segsql diff` on a config whose database is \":memory:\"",
         ('":memory:"', "no runs"), sections={"project": 'name = "bad"\ndatabase = ":memory:"'},
         command="diff", args=("diff", "{config}")),
    # --- issue 12: reruns ---
    Case("publish-unknown-table", "`[[publish]] tables` names a table segsql does not write",
         ("bad.toml", "[publish.0] tables", "'segment'", "not an output table"),
         sections={"[publish]": 'format = "parquet"\npath = "lake"\ntables = ["segment"]'}),
    Case("publish-unknown-format", "`[[publish]] format` is not parquet, delta or iceberg",
         ("bad.toml", "[publish.0] format", "'csv'"),
         sections={"[publish]": 'format = "csv"\npath = "lake"'}),
    Case("publish-iceberg-without-namespace", "an Iceberg `[[publish]]` target without a namespace",
         ("bad.toml", "[publish.0] namespace", "needs"),
         sections={"[publish]": 'format = "iceberg"\ncatalog = "lake"'}),
    Case("publish-parquet-with-catalog", "a Parquet `[[publish]]` target given an Iceberg catalog",
         ("bad.toml", "[publish.0] catalog", "iceberg"),
         sections={"[publish]": 'format = "parquet"\npath = "lake"\ncatalog = "lake"'}),
    Case("publish-path-is-a-file", "a run whose `[[publish]] path` is a file: saved, not published",
         ("run 1 was saved", "publishing to parquet", "lake", "segsql publish", "bad.toml --run 1 to retry"),
         sections={"[publish]": 'format = "parquet"\npath = "lake"'}, files={"lake": "not a folder"}),
    Case("publish-no-target", "`segsql publish` on a config without a `[[publish]]` target",
         ("bad.toml", "[[publish]]"), command="publish", after_run=True, args=("publish", "{config}")),
    Case("publish-no-such-run", "`segsql publish --run` of a run the database does not hold",
         ("run.duckdb", "no successful run 7"), command="publish", after_run=True,
         sections={"[publish]": 'format = "parquet"\npath = "lake"'},
         args=("publish", "{config}", "--run", "7")),
    # --- issue 12: lakehouse ---
    Case("delta-version-and-timestamp", "a Delta source with both `version` and `timestamp`",
         ("bad.toml", "[sources.people] timestamp", "not both"),
         sections={"sources.people": 'path = "lake"\nformat = "delta"\nversion = 0\ntimestamp = 2024-01-01'}),
    Case("snapshot-id-on-a-csv-source", "`snapshot_id` on a source that is not Iceberg (`segsql validate`)",
         ("bad.toml", "[sources.people] snapshot_id", 'format = "iceberg"'), command="validate",
         sections={"sources.people": 'path = "people.csv"\nsnapshot_id = 3'}),
    Case("iceberg-table-not-qualified", "an Iceberg `table` without its namespace",
         ("bad.toml", "[sources.people] table", '"namespace.name"', "'people'"),
         sections={"sources.people": 'format = "iceberg"\ntable = "people"\ncatalog = "default"'}),
    Case("delta-table-missing", "a Delta source whose folder holds no Delta table",
         ("nowhere", "no Delta table there", "[sources.people] path = 'nowhere'"),
         sections={"sources.people": 'path = "nowhere"\nformat = "delta"'}),
    Case("delta-version-missing", "a Delta `version` the table does not have yet (`segsql validate`)",
         ("[sources.people] version = 3", "versions up to 0"), command="validate",
         sections={"sources.people": 'path = "lake"\nformat = "delta"\nversion = 3'},
         files={"lake/_delta_log/": "", "lake/_delta_log/00000000000000000000.json": DELTA_LOG}),
    Case("delta-folder-read-as-parquet", "a Delta table's folder given as a plain (Parquet) path",
         ("lake: is a Delta table", 'format = "delta"', "[sources.people] path = 'lake'"),
         sections={"sources.people": 'path = "lake"'},
         files={"lake/_delta_log/": "", "lake/_delta_log/00000000000000000000.json": DELTA_LOG}),
    Case("parquet-folder-without-files", "a source folder that holds no Parquet files",
         ("empty", "holds no Parquet files", "[sources.people] path = 'empty'"),
         sections={"sources.people": 'path = "empty"'}, files={"empty/": ""}),
    Case("iceberg-table-missing", "an Iceberg table the catalog does not have",
         ("[sources.people] table = 'shop.nope'", "no such table"),
         sections={"sources.people": 'format = "iceberg"\ntable = "shop.nope"\n'
                   'catalog = { type = "sql", uri = "sqlite:///catalog.db", warehouse = "wh" }'}),
    # --- issue 14: sources and rfm ---
    Case("source-unknown-reader-option", "a misspelt reader option in [sources.X]",
         ("bad.toml", "[sources.people] delimeter", "unknown key"),
         sections={"sources.people": 'path = "people.csv"\ndelimeter = ";"'}),
    Case("source-reader-option-on-parquet", "a CSV reader option on a Parquet source",
         ("bad.toml", "[sources.people] header", "only for CSV-like", "parquet"),
         sections={"sources.people": 'path = "people.parquet"\nheader = true'}),
    Case("source-column-type-unknown", "[sources.X] columns giving a type DuckDB does not have",
         ("bad.toml", "[sources.people.columns] a", "not a DuckDB type", "NUMBER"),
         sections={"sources.people": 'path = "people.csv"\ncolumns = { id = "INTEGER", a = "NUMBER" }'}),
    Case("source-whitespace-ragged", 'a delimiter = "whitespace" file with a short line',
         ("people.txt", "a line has 2 fields where the file has 3", "'4 8.0'"),
         sections={"sources.people": 'path = "people.txt"\ndelimiter = "whitespace"\n'
                                     'columns = { id = "INTEGER", a = "DOUBLE", b = "DOUBLE" }'},
         files={"people.txt": "1  1.0  10.0\n2  2.0  11.0\n3  3.0 15.0\n4 8.0\n5 9.0 31.0\n6 10.0 35.0\n"}),
    Case("rfm-bad-timestamp-format", "[features.rfm] timestamp_format that is not a strptime format",
         ("bad.toml", "[features.rfm] timestamp_format", "'%Q'"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at") + '\ntimestamp_format = "%Q"'},
         files={"sales.csv": SALES}),
    Case("rfm-integer-dates-without-format", "an integer YYYYMMDD timestamp column without timestamp_format",
         ("bad.toml", "[features.rfm] timestamp", "'at'", "BIGINT", 'timestamp_format = "%Y%m%d"'),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at")},
         files={"sales.csv": "id,at,a\n1,20231201,5.0\n2,20231202,7.5\n"}),
    Case("rfm-date-not-in-format", "a timestamp the timestamp_format does not fit",
         ("[features.rfm]", "'sales'", '"2023-12-02"', "%Y%m%d"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at") + '\ntimestamp_format = "%Y%m%d"'},
         files={"sales.csv": "id,at,a\n1,20231201,5.0\n2,2023-12-02,7.5\n"}),
    Case("rfm-unknown-feature", "[features.rfm] features naming no feature of the recipe",
         ("bad.toml", "[features.rfm] features", "'velocity'", "order_trend"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at") + '\nfeatures = ["recency_days", "velocity"]'},
         files={"sales.csv": SALES}),
    Case("rfm-monetary-without-amount", "a monetary feature asked of a log without amounts",
         ("bad.toml", "[features.rfm] features", "'monetary'", "amount"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at").replace('amount = "a"\n', "")
                                   + '\nfeatures = ["recency_days", "monetary"]'},
         files={"sales.csv": SALES}),
    # --- issue 14: categories and weights ---
    Case("categorical-not-in-query", "a `categorical` column the feature query does not return",
         ("bad.toml", "[features] categorical", "not in the feature query's result"),
         sections={"features": CATEGORICAL + 'categorical = ["nope"]'}),
    Case("categorical-also-numeric", "a column both in `columns` and in `categorical`",
         ("bad.toml", "[features] categorical", "'a'", "also in `columns`"),
         sections={"features": CATEGORICAL + 'columns = ["a", "b"]\ncategorical = ["a"]'}),
    Case("categorical-transformed", "a `[features.transforms]` entry for a categorical column",
         ("bad.toml", "[features.transforms] name", "categorical"),
         sections={"features": CATEGORICAL + 'categorical = ["name"]',
                   "features.transforms": 'name = "log1p"'}),
    Case("feature-weight-not-a-feature", "a `[features.weights]` key that is no feature",
         ("bad.toml", "[features.weights] c", "not a feature"),
         sections={"features": CATEGORICAL + 'categorical = ["name"]', "features.weights": "c = 2"}),
    Case("feature-weight-zero", "a feature weight of 0",
         ("bad.toml", "[features.weights] a", "> 0"),
         sections={"features": CATEGORICAL + 'columns = ["a", "b"]', "features.weights": "a = 0"}),
    Case("min-level-share-one", "`min_level_share = 1` (every level would be rare)",
         ("bad.toml", "[features] min_level_share", "less than 1"),
         sections={"features": CATEGORICAL + 'categorical = ["name"]\nmin_level_share = 1.0'}),
    Case("too-many-levels", "a categorical column with more than 100 common levels (an id, a free text)",
         ("[features] sql", "'name'", "120 levels", "min_level_share"),
         sections={"features": CATEGORICAL + 'categorical = ["name"]\nmin_level_share = 0.0'},
         files={"people.csv": "id,a,b,name\n" + "".join(f"{i},{i % 7},{i % 5},n{i}\n" for i in range(120))}),
    Case("level-named-other", "a categorical level spelled `(other)`, the name of the rare levels' group",
         ("[features] sql", "'name'", "'(other)'", "rename it"),
         files={"people.csv": GOOD_CSV.replace("ann", "(other)")},
         sections={"features": CATEGORICAL + 'categorical = ["name"]\nmin_level_share = 0.0'}),
    Case("indicator-name-taken", "a numeric feature named like a level's indicator column (`name=ann`)",
         ("bad.toml", "'name=ann'", "indicator column"),
         sections={"features": 'entity = "id"\nsql = \'SELECT id, a, b AS "name=ann", name FROM people\'\n'
                   'categorical = ["name"]\nmin_level_share = 0.0'}),
    Case("weight-not-in-query", "a sample `weight` column the feature query does not return",
         ("bad.toml", "[features] weight", "'nope'", "not in the feature query's result"),
         sections={"features": CATEGORICAL + 'weight = "nope"'}),
    Case("weight-is-text", "a sample `weight` column of text",
         ("bad.toml", "[features] weight", "'name'", "not numeric"),
         sections={"features": CATEGORICAL + 'columns = ["a", "b"]\nweight = "name"'}),
    Case("weight-also-a-feature", "the sample `weight` column listed in `columns` too",
         ("bad.toml", "[features] weight", "'b'", "not a feature"),
         sections={"features": CATEGORICAL + 'columns = ["a", "b"]\nweight = "b"'}),
    Case("weight-negative", "a sample weight column with negative values",
         ("[features] sql", "'w'", "[features] weight", "3 negative"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, b, a - 4 AS w FROM people"\n'
                   'weight = "w"'}),
    Case("weight-null", "a sample weight column with NULLs",
         ("[features] sql", "'w'", "2 NULL"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, b, CASE WHEN a > 2 THEN 1 END AS w '
                   'FROM people"\nweight = "w"'}),
    Case("weight-nan", "a sample weight column with NaN",
         ("[features] sql", "'w'", "NaN or infinite"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, b, CASE WHEN a > 2 THEN 1 ELSE '
                   '\'nan\'::DOUBLE END AS w FROM people"\nweight = "w"'}),
    Case("weight-all-zero", "a sample weight that is 0 in every row",
         ("[features] sql", "'w'", "0 in every row"),
         sections={"features": 'entity = "id"\nsql = "SELECT id, a, b, 0 AS w FROM people"\nweight = "w"'}),
    Case("score-without-categorical-column", "`segsql score` on rows without the run's categorical column",
         ("new.csv", "categorical column 'name' is missing"), command="score", after_run=True,
         sections={"features": CATEGORICAL + 'categorical = ["name"]\nmin_level_share = 0.0'},
         files={"new.csv": "id,a,b\n7,1.0,2.0\n"},
         args=("score", "{config}", "--input", "{tmp}/new.csv")),
    # --- issue 14: transactions end to end ---
    Case("score-transactions-without-a-recipe", "`segsql score --transactions`, a run made without a recipe",
         ("--transactions", "run 1", "RFM recipe", "--input"), command="score", after_run=True,
         args=("score", "{config}", "--transactions", "{tmp}/people.csv")),
    Case("score-as-of-without-transactions", "`segsql score --as-of` on a file of features",
         ("--as-of", "--transactions"), command="score", after_run=True,
         args=("score", "{config}", "--input", "{tmp}/people.csv", "--as-of", "2024-01-01")),
    Case("score-transactions-and-input", "`segsql score` given both --input and --transactions",
         ("exactly one of", "transactions file"), command="score", after_run=True,
         args=("score", "{config}", "--input", "{tmp}/people.csv", "--transactions", "{tmp}/people.csv")),
    Case("score-transactions-missing-file", "`segsql score --transactions` with a missing file",
         ("nope.csv", "file not found"), command="score", after_run=True,
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at").replace("2024-01-01", "2024-04-01")},
         files={"sales.csv": SHOP},
         args=("score", "{config}", "--transactions", "{tmp}/nope.csv")),
    Case("score-transactions-as-of-before-them", "`segsql score --transactions --as-of` before them all",
         ("bad.toml", "[features.rfm] as_of", "2023-01-01", "before the first transaction"), command="score",
         after_run=True,
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at").replace("2024-01-01", "2024-04-01")},
         files={"sales.csv": SHOP},
         args=("score", "{config}", "--transactions", "{tmp}/sales.csv", "--as-of", "2023-01-01")),
    Case("init-repeated-id-without-a-date", "`segsql init` on lines of a repeating id and no date",
         ("lines.csv", "no column has a unique value", "transactions log", "date column"), command="init",
         files={"lines.csv": "customer_id,amount\n1,2.5\n1,2.5\n2,4.0\n"},
         args=("init", "{tmp}/lines.csv", "--output", "{tmp}/x.toml")),
    # --- issue 15: spark ---
    Case("spark-unknown-engine", "[project] engine names an engine segsql does not have",
         ("[project] engine", "flink"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nengine = "flink"'}),
    Case("spark-unknown-fit", "[spark] fit is neither sample nor mllib", ("[spark] fit", "gpu"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nengine = "spark"',
                   "spark": 'fit = "gpu"'}),
    Case("spark-categorical", "a categorical feature under the Spark engine",
         ("[features] categorical", "spark"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nengine = "spark"',
                   "features": CATEGORICAL + 'categorical = ["name"]'},
         files={"people.csv": _people("1,1,2,x\n2,3,4,y\n3,5,6,x")}),
    Case("spark-mllib-minibatch", "[spark] fit = \"mllib\" with a non-k-means algorithm",
         ("[spark] fit", "mllib", "minibatch"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nengine = "spark"',
                   "spark": 'fit = "mllib"',
                   "model": 'k = 2\nk_range = [2, 3]\nn_init = 2\nalgorithm = "minibatch"'}),
    Case("spark-output-is-a-file", "[spark] output names a file, not a folder",
         ("[spark] output", "out.txt", "not a folder"),
         sections={"project": 'name = "bad"\ndatabase = "run.duckdb"\nengine = "spark"',
                   "spark": 'output = "./out.txt"'}, files={"out.txt": "x"}),
    # --- issue 16: speed ---
    # --- transactions of no entity: left out with a warning; a log of nothing else is refused ---
    Case("rfm-no-entity", "a transactions source whose every entity is NULL",
         ("[features.rfm]", "'sales'", "no transaction has an entity", "'id'"),
         sections={"sources.sales": 'path = "sales.csv"', "features": RFM_FEATURES,
                   "features.rfm": RFM.format("sales", "at")},
         files={"sales.csv": "id,at,a\n,2023-12-01,5\n,2023-12-02,7\n"}),
]  # fmt: skip


def _toml(sections: dict[str, str | None]) -> str:
    merged = {**BASE, **sections}
    return "".join(f"[{name}]\n{body}\n\n" for name, body in merged.items() if body is not None)


def materialize(case: Case, folder: Path) -> Path:
    """Write the case's config and files into ``folder``; return the config path."""
    config = folder / case.config_name
    text = case.config_text if case.config_text is not None else _toml(case.sections)
    if case.config_name == "bad.toml" and "bad.toml/" not in case.files:
        if isinstance(text, bytes):
            config.write_bytes(text)
        else:
            config.write_text(text)
    files: dict[str, str | bytes | None] = {"people.csv": GOOD_CSV, **case.files}
    for name, content in files.items():
        if content is None or name.startswith("chmod:"):
            continue
        if name.endswith("/"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        elif isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content)
    for name, mode in files.items():
        if name.startswith("chmod:"):
            (folder / name.removeprefix("chmod:")).chmod(int(str(mode), 8))
    return config


def invoke(case: Case, config: Path) -> tuple[int, str, str]:
    """Run the CLI in-process; return (exit code, stdout, stderr)."""
    if case.after_run:
        first = CliRunner().invoke(app, ["run", "--quiet", str(config)])
        assert first.exit_code == 0, first.stderr
    if case.args:
        args = [a.format(config=config, tmp=config.parent) for a in case.args]
    else:
        args = {
            "run": ["run", "--quiet", str(config)],
            "validate": ["validate", str(config)],
            "query": ["query", str(config), "SELECT 1"],
        }[case.command]
    result = CliRunner().invoke(app, args)
    return result.exit_code, result.stdout, result.stderr


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gives_one_clear_error_line(case: Case, tmp_path: Path) -> None:
    if any(n.startswith("chmod:") for n in case.files) and _is_root():
        pytest.skip("root reads files whatever their permissions")
    code, stdout, stderr = invoke(case, materialize(case, tmp_path))
    lines = stderr.splitlines()
    assert code == case.exit_code, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: "), stderr
    assert "Traceback" not in stderr + stdout
    assert not lines[0].startswith("Error: unexpected "), "a bad input reached the bug handler: " + lines[0]
    for fragment in case.expect:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def test_debug_shows_the_traceback_and_the_same_error_line(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.id == "duplicate-entities")
    config = materialize(case, tmp_path)
    result = CliRunner().invoke(app, ["--debug", "run", "--quiet", str(config)])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")


def test_a_constant_feature_is_scaled_to_zero_with_a_warning_that_says_so(tmp_path: Path) -> None:
    config = materialize(
        Case(
            "constant",
            "",
            (),
            sections={"features": 'entity = "id"\nsql = "SELECT id, a, 7.0 AS c FROM people"'},
        ),
        tmp_path,
    )
    result = CliRunner().invoke(app, ["run", str(config)])
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert warnings == [
        "Warning: feature 'c' is constant after preprocessing: scaled to 0, "
        "it does not influence the segments"
    ]
    import duckdb

    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        scale, center = con.execute(
            "SELECT scale, center FROM segsql.scaler_latest WHERE feature = 'c'"
        ).fetchall()[0]
        values = con.execute("SELECT DISTINCT value_scaled FROM segsql.centroids_latest WHERE feature = 'c'")
        assert (scale, center) == (1.0, 7.0)  # centred, not divided by zero
        assert values.fetchall() == [(0.0,)]
        recorded = con.execute("SELECT warnings FROM segsql.runs_latest").fetchall()[0][0]
        assert json.loads(recorded) == [warnings[0].removeprefix("Warning: ")]


@pytest.mark.parametrize("scaling", ["standard", "minmax", "robust"])
def test_a_constant_feature_never_divides_by_zero_under_any_scaling(tmp_path: Path, scaling: str) -> None:
    config = materialize(
        Case(
            "constant",
            "",
            (),
            sections={
                "features": 'entity = "id"\nsql = "SELECT id, a, 7.0 AS c FROM people"',
                "preprocess": f'scaling = "{scaling}"',
            },
        ),
        tmp_path,
    )
    result = CliRunner().invoke(app, ["run", "--quiet", str(config)])
    assert result.exit_code == 0, result.stderr
    import duckdb

    with duckdb.connect(str(tmp_path / "run.duckdb"), read_only=True) as con:
        rows = con.execute("SELECT scale FROM segsql.scaler_latest WHERE feature = 'c'").fetchall()
        assert rows == [(1.0,)]
        finite = con.execute(
            "SELECT bool_and(isfinite(value_scaled) AND isfinite(value)) FROM segsql.centroids_latest"
        ).fetchall()
        assert finite == [(True,)]


def test_an_unexpected_exception_is_one_line_with_exit_2(monkeypatch, tmp_path: Path) -> None:
    import segsql

    def broken(*args, **kwargs):
        raise ZeroDivisionError("float division by zero\nsecond line")

    monkeypatch.setattr(segsql, "run", broken)
    config = materialize(Case("ok", "", ()), tmp_path)
    result = CliRunner().invoke(app, ["run", "--quiet", str(config)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "Error: unexpected ZeroDivisionError: float division by zero (run with --debug for the traceback)"
    ]


def test_the_bad_inputs_note_lists_every_case() -> None:
    note = (Path(__file__).parent / "BAD_INPUTS.md").read_text()
    listed = set(re.findall(r"^\| `([\w-]+)` \|", note, flags=re.M))
    assert listed == {c.id for c in CASES}, "regenerate with: python -m tests.test_errors"


def _markdown(results: list[tuple[Case, int, str]]) -> str:
    head = textwrap.dedent("""\
        # Bad inputs tried, and what each produced

        Generated by `python -m tests.test_errors` from the cases in `tests/test_errors.py`,
        which checks each of them: the exit code, exactly one line on stderr starting with
        `Error: `, naming the file, config key or column, and no traceback. Temporary folders
        are shown as `<tmp>`. Case `unreadable-source-file` needs a non-root user (root reads
        files whatever their mode); it is skipped under root.

        A constant (zero-variance) feature is not an error: the run succeeds, the feature is
        centred and left unscaled (scale 1, as scikit-learn's scalers do, so nothing divides
        by zero) and segsql prints `Warning: feature 'c' is constant after preprocessing:
        scaled to 0, it does not influence the segments` (tested in the same file).

        | case | bad input | command | exit | stderr |
        |---|---|---|---|---|
        """)
    rows = []
    for case, code, stderr in results:
        message = stderr.strip().replace("|", "\\|").replace("\n", " ⏎ ")
        rows.append(f"| `{case.id}` | {case.what} | `segsql {case.command}` | {code} | `{message}` |")
    return head + "\n".join(rows) + "\n"


if __name__ == "__main__":  # python -m tests.test_errors: regenerate tests/BAD_INPUTS.md
    import tempfile

    results = []
    for case in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp).resolve()
            code, _, stderr = invoke(case, materialize(case, folder))
            results.append((case, code, stderr.replace(str(folder), "<tmp>")))
    out = Path(__file__).parent / "BAD_INPUTS.md"
    out.write_text(_markdown(results))
    print(f"wrote {out} ({len(results)} cases)", file=sys.stderr)
