"""Lake sources: Delta tables (with time travel), Iceberg tables and hive-partitioned Parquet folders.

The retail demo's invoices (``data/online_retail.csv``) are written as a Delta
table with two versions (version 0: the first half of the rows; version 1: all
of them) and as an Iceberg table in a local SQL catalog (sqlite), and the
retail config is run over each: every entity gets the segment the CSV run gives.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import segsql
from segsql import ConfigError, SourceError, config_from_dict
from segsql.session import Session
from segsql.sources import fingerprint_sources, register, register_sources
from tests.conftest import DATA, report_off

RETAIL = (DATA / "retail.toml").read_text()


@pytest.fixture(scope="module")
def invoices() -> pa.Table:
    return duckdb.sql(f"SELECT * FROM read_csv('{DATA / 'online_retail.csv'}')").to_arrow_table()


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory, invoices: pa.Table) -> Path:
    """A folder with the invoices as CSV (all, first half), as Delta (two versions) and as Iceberg."""
    from deltalake import write_deltalake
    from pyiceberg.catalog import load_catalog

    folder = tmp_path_factory.mktemp("lake")
    half = invoices.slice(0, invoices.num_rows // 2)
    con = duckdb.connect()
    for name, table in (("all.csv", invoices), ("half.csv", half)):
        con.register("t", table)
        con.execute(f"COPY t TO '{folder / name}' (HEADER)")
        con.unregister("t")
    write_deltalake(folder / "invoices_delta", half, mode="overwrite")
    write_deltalake(folder / "invoices_delta", invoices.slice(half.num_rows), mode="append")
    (folder / "warehouse").mkdir()
    catalog = load_catalog("lake", **lake_catalog(folder))
    catalog.create_namespace("shop")
    table = catalog.create_table("shop.invoices", schema=invoices.schema)
    table.append(half)
    table.append(invoices.slice(half.num_rows))
    return folder


def lake_catalog(folder: Path) -> dict[str, str]:
    """The properties of the catalog the ``lake`` fixture writes its Iceberg table into."""
    return {
        "type": "sql",
        "uri": f"sqlite:///{folder / 'catalog.db'}",
        "warehouse": f"file://{folder / 'warehouse'}",
    }


def retail_config(folder: Path, source: str, name: str) -> Path:
    """The retail demo's config in ``folder``, reading its invoices from ``source`` (TOML lines)."""
    text = RETAIL.replace('path = "online_retail.csv"', source).replace(
        'database = "retail.duckdb"', 'database = ":memory:"'
    )
    path = folder / f"{name}.toml"
    path.write_text(report_off(text))
    return path


def segments_of(config: Path) -> tuple[dict[int, int], Counter[int]]:
    """Entity → segment, and each segment's size."""
    frame = segsql.run(config).segments
    assignment = dict(zip(frame["CustomerID"].to_list(), frame["segment"].to_list(), strict=True))
    return assignment, Counter(assignment.values())


def invoice_rows(folder: Path, source: dict) -> int:
    con = duckdb.connect()
    register_sources(con, config_from_dict({"sources": {"invoices": source}, **FEATURES}, base_dir=folder))
    return con.execute("SELECT count(*) FROM invoices").fetchall()[0][0]


FEATURES = {"features": {"entity": "id", "sql": "SELECT 1 AS id"}}


# --- the acceptance: the same segments from every copy of the invoices ------------------------


def test_a_delta_table_gives_exactly_the_segments_of_the_csv_run(lake: Path) -> None:
    csv = segments_of(retail_config(lake, 'path = "all.csv"', "csv"))
    delta = segments_of(retail_config(lake, 'path = "invoices_delta"\nformat = "delta"', "delta"))
    assert delta == csv
    assert len(csv[1]) >= 2


def test_delta_version_0_gives_exactly_the_segments_of_the_first_version(lake: Path) -> None:
    first = segments_of(retail_config(lake, 'path = "half.csv"', "half"))
    version_0 = segments_of(
        retail_config(lake, 'path = "invoices_delta"\nformat = "delta"\nversion = 0', "v0")
    )
    assert version_0 == first
    assert version_0 != segments_of(retail_config(lake, 'path = "all.csv"', "all"))


def test_an_iceberg_table_gives_exactly_the_segments_of_the_csv_run(lake: Path) -> None:
    csv = segments_of(retail_config(lake, 'path = "all.csv"', "csv"))
    # relative paths in the catalog's properties are the config folder's
    source = (
        'format = "iceberg"\ntable = "shop.invoices"\n'
        'catalog = { name = "lake", type = "sql", uri = "sqlite:///catalog.db", warehouse = "warehouse" }'
    )
    assert segments_of(retail_config(lake, source, "iceberg")) == csv


# --- time travel, and what a run records ------------------------------------------------------


def test_a_delta_timestamp_reads_the_version_current_at_that_time(lake: Path, invoices: pa.Table) -> None:
    from deltalake import DeltaTable

    history = {
        entry["version"]: entry["timestamp"] for entry in DeltaTable(lake / "invoices_delta").history()
    }
    from datetime import UTC, datetime

    first_commit = datetime.fromtimestamp(history[0] / 1000, tz=UTC).isoformat()
    rows = invoice_rows(lake, {"path": "invoices_delta", "format": "delta", "timestamp": first_commit})
    assert rows == invoices.num_rows // 2
    assert invoice_rows(lake, {"path": "invoices_delta", "format": "delta"}) == invoices.num_rows
    latest = datetime.fromtimestamp(history[1] / 1000, tz=UTC).isoformat()
    assert (
        invoice_rows(lake, {"path": "invoices_delta", "format": "delta", "timestamp": latest})
        == invoices.num_rows
    )


def test_a_delta_timestamp_before_the_first_version_is_refused(lake: Path) -> None:
    with pytest.raises(
        SourceError, match=r"\[sources\.invoices\] timestamp = 2001-01-01T00:00:00: .*no version that old"
    ):
        invoice_rows(lake, {"path": "invoices_delta", "format": "delta", "timestamp": "2001-01-01T00:00:00"})


def test_an_iceberg_snapshot_id_reads_that_snapshot(lake: Path, invoices: pa.Table) -> None:
    from pyiceberg.catalog import load_catalog

    snapshots = load_catalog("lake", **lake_catalog(lake)).load_table("shop.invoices").snapshots()
    source = {
        "format": "iceberg",
        "table": "shop.invoices",
        "catalog": {"name": "lake", **lake_catalog(lake)},
    }
    assert invoice_rows(lake, {**source, "snapshot_id": snapshots[0].snapshot_id}) == invoices.num_rows // 2
    assert invoice_rows(lake, source) == invoices.num_rows


def test_the_fingerprint_records_the_delta_version_and_the_iceberg_snapshot_read(lake: Path) -> None:
    from pyiceberg.catalog import load_catalog

    snapshot = load_catalog("lake", **lake_catalog(lake)).load_table("shop.invoices").current_snapshot()
    assert snapshot is not None
    sources = {
        "old": {"path": "invoices_delta", "format": "delta", "version": 0},
        "new": {"path": "invoices_delta", "format": "delta"},
        "ice": {
            "format": "iceberg",
            "table": "shop.invoices",
            "catalog": {"name": "lake", **lake_catalog(lake)},
        },
    }
    config = config_from_dict({"sources": sources, **FEATURES}, base_dir=lake)
    prints = register(Session(config=config, con=duckdb.connect()), {}).fingerprint
    assert prints["old"] == {"delta": str(lake / "invoices_delta"), "version": 0}
    assert prints["new"] == {"delta": str(lake / "invoices_delta"), "version": 1}
    assert prints["ice"] == {"iceberg": "shop.invoices", "snapshot_id": snapshot.snapshot_id}


def test_a_run_stores_the_delta_version_it_read(lake: Path) -> None:
    config = retail_config(lake, 'path = "invoices_delta"\nformat = "delta"\nversion = 0', "stored")
    config.write_text(config.read_text().replace('database = ":memory:"', 'database = "stored.duckdb"'))
    segsql.run(config)
    with duckdb.connect(str(lake / "stored.duckdb"), read_only=True) as con:
        stored = con.execute("SELECT fingerprint FROM segsql.runs").fetchall()[0][0]
    assert '"version": 0' in stored


# --- reading: pushdown, and the streamed fallbacks --------------------------------------------


def test_columns_and_filters_are_pushed_down_into_a_delta_source(lake: Path) -> None:
    con = duckdb.connect()
    config = config_from_dict(
        {"sources": {"inv": {"path": "invoices_delta", "format": "delta"}}, **FEATURES}, base_dir=lake
    )
    register_sources(con, config)
    plan = con.execute("EXPLAIN SELECT CustomerID FROM inv WHERE CustomerID = 17850").fetchall()[0][1]
    assert re.search(r"ARROW_SCAN.*Filters:.*CustomerID.*= 17850.*Projections: CustomerID", plan, re.S), plan


def test_a_delta_table_the_arrow_dataset_cannot_read_is_streamed(
    lake: Path, invoices: pa.Table, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaProtocolError

    def refuse(self: DeltaTable, **kwargs: object) -> None:
        raise DeltaProtocolError("The table has set these reader features: {'deletionVectors'}")

    monkeypatch.setattr(DeltaTable, "to_pyarrow_dataset", refuse)
    con = duckdb.connect()
    config = config_from_dict(
        {"sources": {"inv": {"path": "invoices_delta", "format": "delta"}}, **FEATURES}, base_dir=lake
    )
    register_sources(con, config)
    # read more than once (the feature query, then the checks): each read is a new stream
    for _ in range(2):
        assert con.execute("SELECT count(*), sum(TotalPrice) FROM inv").fetchall() == [
            (invoices.num_rows, pytest.approx(pa.compute.sum(invoices["TotalPrice"]).as_py()))
        ]


def test_an_iceberg_table_whose_schema_changed_is_read_by_its_current_names(tmp_path: Path) -> None:
    from pyiceberg.catalog import load_catalog

    catalog = {"type": "sql", "uri": f"sqlite:///{tmp_path / 'c.db'}", "warehouse": f"file://{tmp_path}"}
    cat = load_catalog("default", **catalog)
    cat.create_namespace("ns")
    table = cat.create_table(
        "ns.people", schema=pa.schema([pa.field("id", pa.int64()), pa.field("a", pa.float64())])
    )
    table.append(pa.table({"id": [1, 2], "a": [1.5, 2.5]}))
    with table.update_schema() as update:
        update.rename_column("a", "spend")
    con = duckdb.connect()
    config = config_from_dict(
        {"sources": {"p": {"format": "iceberg", "table": "ns.people", "catalog": catalog}}, **FEATURES},
        base_dir=tmp_path,
    )
    register_sources(con, config)
    assert con.execute("SELECT id, spend FROM p ORDER BY id").fetchall() == [(1, 1.5), (2, 2.5)]


# --- hive-partitioned Parquet ------------------------------------------------------------------

TRANSACTIONS = """
SELECT (i % 40) + 1 AS id, ['FR', 'DE', 'US'][(i % 3) + 1] AS country, 2023 + ((i // 40) % 2) AS year,
       ((i * 37) % 101) / 3.0 AS amount
FROM range(600) t(i)
"""


def test_a_hive_partitioned_parquet_folder_has_typed_partition_columns_usable_in_the_feature_query(
    tmp_path: Path,
) -> None:
    con = duckdb.connect()
    (tmp_path / "lake").mkdir()
    target = tmp_path / "lake" / "tx"
    con.execute(f"COPY ({TRANSACTIONS}) TO '{target}' (FORMAT parquet, PARTITION_BY (country, year))")
    con.execute(f"COPY ({TRANSACTIONS}) TO '{tmp_path / 'tx.csv'}' (HEADER)")
    query = (
        "SELECT id, sum(amount) FILTER (WHERE year = 2024) AS recent, count(*) AS n FROM tx "
        "WHERE country <> 'US' GROUP BY id"
    )
    results = []
    for path in ("lake/tx", "tx.csv"):
        config = config_from_dict(
            {
                "project": {"database": ":memory:"},
                "sources": {"tx": {"path": path}},
                "features": {"entity": "id", "sql": query},
                "model": {"k": 3, "k_range": [2, 3]},
                "output": {"report": False},
            },
            base_dir=tmp_path,
        )
        frame = segsql.run(config).segments.sort("id")
        results.append(frame.select("id", "segment").rows())
    assert results[0] == results[1]
    assert len(results[0]) == 40
    check = duckdb.connect()
    register_sources(
        check, config_from_dict({"sources": {"tx": {"path": "lake/tx"}}, **FEATURES}, base_dir=tmp_path)
    )
    assert check.execute("SELECT DISTINCT typeof(year), typeof(country) FROM tx").fetchall() == [
        ("BIGINT", "VARCHAR")
    ]
    # a filter on a partition column reads only its folders
    plan = check.execute("EXPLAIN ANALYZE SELECT count(*) FROM tx WHERE country = 'FR'").fetchall()[0][1]
    assert re.search(r"Scanning Files: 2/6", plan), plan
    assert check.execute("SELECT count(*) FROM tx WHERE country = 'FR'").fetchall() == [(200,)]


def test_a_partitioned_folder_fingerprint_lists_its_files(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(f"COPY ({TRANSACTIONS}) TO '{tmp_path / 'tx'}' (FORMAT parquet, PARTITION_BY (country))")
    config = config_from_dict({"sources": {"tx": {"path": "tx"}}, **FEATURES}, base_dir=tmp_path)
    register_sources(con, config)
    files = [f["path"] for f in fingerprint_sources(con, config)["tx"]["files"]]
    assert len(files) == 3
    assert all("country=" in f and f.endswith(".parquet") for f in files)


def test_a_delta_folder_read_as_plain_parquet_is_refused(lake: Path) -> None:
    # its folder holds every file any version ever had: a glob would read removed rows too
    with pytest.raises(SourceError, match=r'invoices_delta: is a Delta table .*format = "delta"'):
        invoice_rows(lake, {"path": "invoices_delta"})


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("module", "source"), [
    ("deltalake", {"path": "d", "format": "delta"}),
    ("pyiceberg", {"table": "a.b", "format": "iceberg", "catalog": "default"}),
])  # fmt: skip
def test_a_lake_source_without_the_lake_extra_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str, source: dict
) -> None:
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # `import deltalake` now fails
    fmt = source["format"]
    message = rf'^\[sources\.x\] format = "{fmt}" needs the lake extra: pip install \'segsql\[lake\]\'$'
    with pytest.raises(SourceError, match=message):
        register_sources(
            duckdb.connect(), config_from_dict({"sources": {"x": source}, **FEATURES}, base_dir=tmp_path)
        )


@pytest.mark.parametrize(("source", "key", "fragment"), [
    ({"path": "d", "format": "delta", "version": 0, "timestamp": "2024-01-01"}, "timestamp", "not both"),
    ({"path": "d.csv", "version": 1}, "version", 'format = "delta"'),
    ({"path": "d", "format": "delta", "version": -1}, "version", "greater than or equal to 0"),
    ({"path": "d", "format": "delta", "timestamp": "yesterday"}, "timestamp", "date and time"),
    ({"path": "d.parquet", "snapshot_id": 3}, "snapshot_id", 'format = "iceberg"'),
    ({"path": "d", "format": "delta", "catalog": "default"}, "catalog", 'format = "iceberg"'),
    ({"table": "invoices", "format": "iceberg", "catalog": "default"}, "table", "namespace.name"),
    ({"table": "a.b", "format": "iceberg"}, "catalog", "is required"),
    ({"path": "x", "format": "iceberg", "catalog": "default"}, "path", "table"),
    ({"table": "a.b", "format": "delta"}, "table", "path"),
])  # fmt: skip
def test_lake_keys_are_checked_when_the_config_is_loaded(source: dict, key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        config_from_dict({"sources": {"x": source}, **FEATURES})
    assert caught.value.key == f"sources.x.{key}"
    assert fragment in str(caught.value)


def test_a_missing_delta_table_and_a_missing_version_are_named(lake: Path) -> None:
    with pytest.raises(SourceError, match=r"nowhere: no Delta table there \(\[sources\.invoices\] path"):
        invoice_rows(lake, {"path": "nowhere", "format": "delta"})
    with pytest.raises(SourceError, match=r"\[sources\.invoices\] version = 7: .*versions up to 1"):
        invoice_rows(lake, {"path": "invoices_delta", "format": "delta", "version": 7})


def test_a_missing_iceberg_table_and_snapshot_are_named(lake: Path) -> None:
    catalog = {"name": "lake", "type": "sql", "uri": "sqlite:///catalog.db", "warehouse": "warehouse"}
    with pytest.raises(SourceError, match=r"\[sources\.invoices\] table = 'shop\.nope': no such table"):
        invoice_rows(lake, {"format": "iceberg", "table": "shop.nope", "catalog": catalog})
    with pytest.raises(SourceError, match=r"\[sources\.invoices\] snapshot_id = 12: .*no such snapshot"):
        invoice_rows(
            lake, {"format": "iceberg", "table": "shop.invoices", "catalog": catalog, "snapshot_id": 12}
        )


def test_run_as_of_keeps_a_delta_sources_version() -> None:
    rfm = {"source": "tx", "timestamp": "at", "amount": "a", "as_of": "2024-06-01"}
    config = config_from_dict(
        {
            "sources": {"tx": {"path": "d", "format": "delta", "version": 3}},
            "features": {"entity": "id", "recipe": "rfm", "rfm": rfm},
        }
    )
    again = config.with_as_of("2024-07-01")
    assert (again.sources["tx"].version, again.sources["tx"].timestamp) == (3, None)
    assert str(again.features.rfm.as_of) == "2024-07-01 00:00:00"
