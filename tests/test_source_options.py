"""``[sources.X]`` reader options: a CSV-like file as it comes (any delimiter, whitespace-aligned
columns, no header, dates in any format), read by DuckDB with the options passed by name."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from segsql import ConfigError, QueryError, SourceError, config_from_dict
from segsql.sources import register_sources
from segsql.steps.features import build_features
from tests.conftest import SHARED_DATA

ALL_RFM = [
    "recency_days", "frequency", "monetary", "avg_order_value", "tenure_days",
    "interpurchase_mean_days", "interpurchase_std_days", "order_trend",
]  # fmt: skip


def config_for(tmp_path, sources, features=None):
    features = features or {"entity": "id", "sql": "SELECT 1 AS id"}
    return config_from_dict({"sources": sources, "features": features}, base_dir=tmp_path)


def read(tmp_path, source, text, name="f.txt"):
    (tmp_path / name).write_text(text)
    con = duckdb.connect()
    register_sources(con, config_for(tmp_path, {"s": {"path": name, **source}}))
    return con.execute("SELECT * FROM s").fetchall(), con.execute("DESCRIBE s").fetchall()


# --- CSV options -------------------------------------------------------------------------------


def test_a_semicolon_file_without_header_is_named_and_typed_by_columns(tmp_path):
    rows, described = read(
        tmp_path,
        {"delimiter": ";", "header": False, "columns": {"id": "VARCHAR", "x": "DOUBLE"}},
        "007;1,5\n008;2\n".replace(",5", ".5"),
        name="f.csv",
    )
    assert rows == [("007", 1.5), ("008", 2.0)]
    assert [(c[0], c[1]) for c in described] == [("id", "VARCHAR"), ("x", "DOUBLE")]


def test_skip_quote_null_values_and_date_format_reach_duckdb(tmp_path):
    text = "a report made by hand\n\nid|when|note\n1|05/02/2024|'a|b'\n2|06/02/2024|n/a\n"
    rows, described = read(
        tmp_path,
        {"delimiter": "|", "skip": 2, "header": True, "quote": "'", "null_values": ["n/a"],
         "date_format": "%d/%m/%Y"},
        text,
    )  # fmt: skip
    assert [c[1] for c in described] == ["BIGINT", "DATE", "VARCHAR"]
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [(1, "2024-02-05", "a|b"), (2, "2024-02-06", None)]


def test_a_timestamp_format_types_a_column_as_timestamps(tmp_path):
    rows, described = read(
        tmp_path, {"timestamp_format": "%d.%m.%Y %H:%M"}, "id,at\n1,05.02.2024 10:30\n", name="f.csv"
    )
    assert described[1][1] == "TIMESTAMP" and str(rows[0][1]) == "2024-02-05 10:30:00"


def test_option_values_are_literals_not_sql(tmp_path):
    # a value that would end the string and add SQL if it were pasted into the statement
    value = "x'); DROP TABLE t; --"
    rows, _ = read(
        tmp_path, {"null_values": [value], "delimiter": ",", "header": True}, f"id,v\n1,{value}\n2,y\n"
    )
    assert rows == [(1, None), (2, "y")]


# --- whitespace-aligned files ------------------------------------------------------------------


def test_a_whitespace_aligned_file_splits_on_runs_of_spaces_and_tabs(tmp_path):
    text = "   00001  19970101   1    11.77\n \t\n\t00002\t19970112 \t 5  77.00   \n"
    rows, described = read(
        tmp_path,
        {"delimiter": "whitespace",
         "columns": {"id": "VARCHAR", "date": "BIGINT", "cds": "INTEGER", "dollars": "DECIMAL(9,2)"}},
        text,
    )  # fmt: skip
    assert [(c[0], c[1]) for c in described] == [
        ("id", "VARCHAR"), ("date", "BIGINT"), ("cds", "INTEGER"), ("dollars", "DECIMAL(9,2)")
    ]  # fmt: skip
    assert [(r[0], r[1], r[2], float(r[3])) for r in rows] == [
        ("00001", 19970101, 1, 11.77), ("00002", 19970112, 5, 77.0)
    ]  # fmt: skip


def test_a_whitespace_file_names_its_columns_from_its_header_or_by_position(tmp_path):
    rows, described = read(tmp_path, {"delimiter": "whitespace", "header": True}, "id   x\n 1   2.5\n")
    assert [(c[0], c[1]) for c in described] == [("id", "VARCHAR"), ("x", "VARCHAR")] and rows == [
        ("1", "2.5")
    ]
    _, described = read(tmp_path, {"delimiter": "whitespace", "skip": 1}, "junk\n1 2 3\n", name="g.txt")
    assert [c[0] for c in described] == ["column0", "column1", "column2"]


def test_a_whitespace_row_with_another_number_of_fields_is_named(tmp_path):
    (tmp_path / "f.txt").write_text("1 2\n3 4 5\n")
    con = duckdb.connect()
    register_sources(con, config_for(tmp_path, {"s": {"path": "f.txt", "delimiter": "whitespace"}}))
    with pytest.raises(duckdb.Error, match=r"f\.txt.*3 fields where the file has 2: '3 4 5'"):
        con.execute("SELECT * FROM s").fetchall()


# --- what is refused ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "key", "message"),
    [
        ({"path": "f.parquet", "delimiter": ";"}, "sources.s.delimiter", "only for CSV-like"),
        ({"path": "f.csv", "format": "json", "header": True}, "sources.s.header", "only for CSV-like"),
        ({"table": "main.t", "skip": 1}, "sources.s.skip", "only for CSV-like"),
        ({"path": "d", "format": "delta", "columns": {"a": "INT"}}, "sources.s.columns", "only for CSV-like"),
        ({"path": "f.csv", "columns": {"a": "NOTATYPE"}}, "sources.s.columns.a", "NOTATYPE"),
        ({"path": "f.csv", "date_format": "%Q"}, "sources.s.date_format", "%Q"),
        ({"path": "f.csv", "skip": -1}, "sources.s.skip", "greater than or equal to 0"),
        ({"path": "f.csv", "delimiter": ""}, "sources.s.delimiter", "at least 1"),
        ({"path": "f.txt", "delimiter": "whitespace", "quote": "'"}, "sources.s.quote", "whitespace"),
    ],
)
def test_reader_options_are_checked_at_load_naming_the_key(tmp_path, source, key, message):
    with pytest.raises(ConfigError) as caught:
        config_for(tmp_path, {"s": source})
    assert caught.value.key == key and message in str(caught.value)


def test_options_on_a_folder_of_parquet_files_are_refused_naming_the_key(tmp_path):
    (tmp_path / "parts" / "y=1").mkdir(parents=True)
    duckdb.sql(f"COPY (SELECT 1 AS id) TO '{tmp_path / 'parts' / 'y=1' / 'a.parquet'}'")
    with pytest.raises(SourceError, match=r"\[sources\.s\] header: .*only for CSV-like"):
        register_sources(duckdb.connect(), config_for(tmp_path, {"s": {"path": "parts", "header": True}}))


def test_duckdb_refusing_an_option_names_the_source(tmp_path):
    (tmp_path / "f.csv").write_text("id\n1\n")
    with pytest.raises(
        SourceError, match=r"f\.csv: cannot read as csv with the \[sources\.s\] options.*quote"
    ):
        register_sources(duckdb.connect(), config_for(tmp_path, {"s": {"path": "f.csv", "quote": "ab"}}))


# --- the RFM features of one log written three ways ----------------------------------------------


def _log(rng: np.random.Generator, n_customers: int) -> list[tuple[str, str, int, float]]:
    rows = []
    for customer in range(1, n_customers + 1):
        days = np.sort(rng.integers(0, 400, size=rng.integers(1, 8)))
        days = np.concatenate([days, days[:1]])  # two orders on one day
        for day in days:
            date = np.datetime64("2023-01-01") + int(day)
            rows.append(
                (f"{customer:05d}", str(date), int(rng.integers(1, 6)), round(float(rng.uniform(3, 90)), 2))
            )
    return rows


def _three_ways(folder: Path, rows) -> dict[str, dict]:
    """The same log as a CSV with ISO dates, as a whitespace-aligned file with YYYYMMDD dates and
    no header (CDNOW_master.txt's layout), and as a CSV with YYYYMMDD integers."""
    (folder / "log.csv").write_text(
        "customer_id,date,number_of_cds,dollar_value\n"
        + "".join(f"{i},{d},{n},{v:.2f}\n" for i, d, n, v in rows)
    )
    (folder / "log.txt").write_text(
        "".join(f"{i:>8} {d.replace('-', ''):>9} {n:>3} {v:>8.2f}\n" for i, d, n, v in rows)
    )
    (folder / "log_int.csv").write_text(
        "customer_id,date,number_of_cds,dollar_value\n"
        + "".join(f"{i},{d.replace('-', '')},{n},{v:.2f}\n" for i, d, n, v in rows)
    )
    return {
        "csv": {"path": "log.csv"},
        "txt": {"path": "log.txt", "delimiter": "whitespace",
                "columns": {"customer_id": "VARCHAR", "date": "BIGINT", "number_of_cds": "INTEGER",
                            "dollar_value": "DOUBLE"}},
        "int": {"path": "log_int.csv", "columns": {"customer_id": "VARCHAR", "date": "BIGINT",
                                                   "number_of_cds": "INTEGER", "dollar_value": "DOUBLE"},
                "header": True},
    }  # fmt: skip


def _rfm_features(folder: Path, sources: dict, key: str, as_of: str) -> list[tuple]:
    rfm = {"source": key, "timestamp": "date", "amount": "dollar_value", "as_of": as_of, "features": ALL_RFM}
    if key != "csv":
        rfm["timestamp_format"] = "%Y%m%d"
    config = config_for(folder, sources, {"entity": "customer_id", "recipe": "rfm", "rfm": rfm})
    con = duckdb.connect()
    register_sources(con, config)
    features = build_features(con, config)
    assert features.columns == tuple(ALL_RFM)
    return con.execute("SELECT * FROM segsql_features ORDER BY segsql_entity").fetchall()


def _same_features_three_ways(folder: Path, rows, as_of: str) -> list[tuple]:
    sources = _three_ways(folder, rows)
    csv = _rfm_features(folder, sources, "csv", as_of)
    assert _rfm_features(folder, sources, "txt", as_of) == csv
    assert _rfm_features(folder, sources, "int", as_of) == csv
    return csv


def test_a_log_gives_the_same_rfm_features_as_csv_whitespace_aligned_and_with_integer_dates(tmp_path):
    rows = _log(np.random.default_rng(7), 40)
    features = _same_features_three_ways(tmp_path, rows, "2024-02-01")
    assert len(features) == 40 and features[0][0] == "00001"


@pytest.mark.skipif(not (SHARED_DATA / "CDNOW_master.csv").is_file(), reason="../shared/data is not here")
def test_cdnow_original_layout_and_integer_dates_give_the_csvs_rfm_features(tmp_path):
    rows = [
        (i, d, int(n), float(v))
        for i, d, n, v in duckdb.sql(
            f"SELECT customer_id, CAST(date AS VARCHAR), number_of_cds, dollar_value "
            f"FROM read_csv('{SHARED_DATA / 'CDNOW_master.csv'}')"
        ).fetchall()
    ]
    features = _same_features_three_ways(tmp_path, rows, "1998-07-01")
    assert len(features) == 23_570


def test_a_bad_row_in_an_options_file_is_named_by_the_feature_step(tmp_path):
    (tmp_path / "f.txt").write_text("a 2024-01-01 1\nb 2024-01-02\n")
    config = config_for(
        tmp_path,
        {"s": {"path": "f.txt", "delimiter": "whitespace",
               "columns": {"id": "VARCHAR", "at": "DATE", "v": "DOUBLE"}}},
        {"entity": "id", "recipe": "rfm",
         "rfm": {"source": "s", "timestamp": "at", "amount": "v", "as_of": "2024-02-01"}},
    )  # fmt: skip
    con = duckdb.connect()
    register_sources(con, config)
    with pytest.raises(QueryError, match=r"2 fields where the file has 3"):
        build_features(con, config)


@pytest.mark.parametrize("delimiter", [",", "whitespace"])
def test_hostile_column_names_are_names_not_sql(tmp_path, delimiter):
    name = "a'b\"c); DROP TABLE x; --"
    rows, described = read(
        tmp_path,
        {"delimiter": delimiter, "header": False, "columns": {"id": "INTEGER", name: "VARCHAR"}},
        "1,x\n" if delimiter == "," else "1 x\n",
    )
    assert [c[0] for c in described] == ["id", name] and rows == [(1, "x")]
