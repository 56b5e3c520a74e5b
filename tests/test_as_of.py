"""Runs over time: `--as-of` replaces the RFM as_of; a run records its as_of and its inputs' fingerprint."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.errors import ConfigError

from .conftest import report_off

MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06")


def sales_rows(customers: int = 40) -> list[tuple[int, str, float]]:
    """Deterministic transactions: customer c buys in the months from (c % 4) on, every (c % 3 + 1) months."""
    rows = []
    for c in range(1, customers + 1):
        for m, month in enumerate(MONTHS):
            if m >= c % 4 and (m - c % 4) % (c % 3 + 1) == 0:
                rows.append(
                    (c, f"{month}-{1 + (c * 7 + m) % 27:02d} 10:00:00", float(5 + (c * 13 + m * 5) % 90))
                )
    return rows


def sales_csv(rows: list[tuple[int, str, float]]) -> str:
    return "id,at,amount\n" + "".join(f"{c},{at},{amount}\n" for c, at, amount in rows)


RFM_CONFIG = """\
[project]
name = "monthly"
database = "run.duckdb"

[sources.sales]
{source}

[features]
entity = "id"
recipe = "rfm"

[features.rfm]
source = "sales"
timestamp = "at"
amount = "amount"
as_of = 2024-07-01

[model]
k = 3
k_range = [2, 3]
n_init = 2
"""


def rfm_config(folder: Path, source: str = 'path = "sales.csv"', rows: list | None = None) -> Path:
    """A monthly RFM project over ``sales.csv`` in ``folder`` (the report off)."""
    if rows is not None or source == 'path = "sales.csv"':
        (folder / "sales.csv").write_text(sales_csv(rows if rows is not None else sales_rows()))
    path = folder / "monthly.toml"
    path.write_text(report_off(RFM_CONFIG.format(source=source)))
    return path


def run_rows(folder: Path, columns: str = "run_id, as_of, fingerprint, input_rows") -> list[tuple]:
    with duckdb.connect(str(folder / "run.duckdb"), read_only=True) as con:
        return con.execute(f"SELECT {columns} FROM segsql.runs ORDER BY run_id").fetchall()


def customers_before(day: str) -> int:
    return len({c for c, at, _ in sales_rows() if at <= day})


# --- --as-of -------------------------------------------------------------------


def test_run_as_of_replaces_the_configs_as_of_and_the_run_records_it(tmp_path):
    config = rfm_config(tmp_path)
    result = CliRunner().invoke(app, ["run", "--quiet", str(config), "--as-of", "2024-03-01"])
    assert result.exit_code == 0, result.stderr
    ((_, as_of, _, input_rows),) = run_rows(tmp_path)
    assert as_of == datetime(2024, 3, 1)
    # only the customers with a purchase on or before that day are segmented
    assert input_rows == customers_before("2024-03-01 00:00:00") < customers_before("2024-07-01")


def test_a_schedule_and_a_backfill_run_one_config_with_its_text_unchanged(tmp_path):
    config = rfm_config(tmp_path)
    for day in ("2024-03-01", "2024-05-01"):
        assert CliRunner().invoke(app, ["run", "-q", str(config), "--as-of", day]).exit_code == 0
    rows = run_rows(tmp_path, "as_of, config_hash, config")
    assert [r[0] for r in rows] == [datetime(2024, 3, 1), datetime(2024, 5, 1)]
    assert rows[0][1:] == rows[1][1:] and rows[0][2] == config.read_text()


def test_as_of_from_python_takes_a_date_and_time_or_a_date(tmp_path):
    config = rfm_config(tmp_path)
    segsql.run(config, as_of="2024-03-01T12:30:00")
    segsql.run(config, as_of=date(2024, 4, 1))
    assert [r[1] for r in run_rows(tmp_path)] == [datetime(2024, 3, 1, 12, 30), datetime(2024, 4, 1)]


def test_a_run_records_the_as_of_of_its_config_file_without_the_option(tmp_path):
    segsql.run(rfm_config(tmp_path))
    assert run_rows(tmp_path)[0][1] == datetime(2024, 7, 1)


def test_a_run_that_is_not_rfm_records_no_as_of(tmp_path):
    (tmp_path / "people.csv").write_text("id,a\n" + "".join(f"{i},{i % 7}\n" for i in range(1, 30)))
    config = tmp_path / "people.toml"
    config.write_text(
        report_off(
            '[project]\ndatabase = "run.duckdb"\n[sources.people]\npath = "people.csv"\n'
            '[features]\nentity = "id"\nsql = "SELECT * FROM people"\n[model]\nk = 2\nk_range = [2, 3]\n'
        )
    )
    segsql.run(config)
    assert run_rows(tmp_path)[0][1] is None
    with pytest.raises(ConfigError, match=r"people\.toml: \[features\] rfm: --as-of .* RFM recipe"):
        segsql.run(config, as_of="2024-01-01")


def test_a_bad_as_of_names_the_key_and_the_value_given(tmp_path):
    with pytest.raises(ConfigError) as caught:
        segsql.run(rfm_config(tmp_path), as_of="2024-13-01")
    assert "monthly.toml: [features.rfm] as_of: must be a date" in str(caught.value)
    assert "'2024-13-01'" in str(caught.value)
    assert not (tmp_path / "run.duckdb").exists()


def test_with_as_of_changes_only_as_of(tmp_path):
    config = segsql.load_config(rfm_config(tmp_path))
    moved = config.with_as_of("2024-02-01T00:00:00+01:00")  # an instant: UTC wall-clock time
    assert moved.features.rfm is not None and moved.features.rfm.as_of == datetime(2024, 1, 31, 23)
    before, after = config.to_dict(), moved.to_dict()
    after["features"]["rfm"]["as_of"] = before["features"]["rfm"]["as_of"]
    assert after == before and moved.config_hash == config.config_hash
    assert config.features.rfm is not None and config.features.rfm.as_of == datetime(2024, 7, 1)


# --- fingerprints ----------------------------------------------------------------


def fingerprint(folder: Path, run_id: int) -> dict:
    return json.loads(next(r[2] for r in run_rows(folder) if r[0] == run_id))


def test_the_fingerprint_lists_every_file_a_glob_reads_with_its_size_and_time(tmp_path):
    rows = sales_rows()
    (tmp_path / "parts").mkdir()
    for half, part in enumerate((rows[::2], rows[1::2])):
        (tmp_path / "parts" / f"part-{half}.csv").write_text(sales_csv(part))
    os.utime(tmp_path / "parts" / "part-0.csv", (1_700_000_000, 1_700_000_000))
    segsql.run(rfm_config(tmp_path, 'path = "parts/*.csv"'))
    printed = fingerprint(tmp_path, 1)
    files = printed["sources"]["sales"]["files"]
    assert [f["path"] for f in files] == [str(tmp_path / "parts" / f"part-{i}.csv") for i in (0, 1)]
    assert [f["size"] for f in files] == [
        (tmp_path / "parts" / f"part-{i}.csv").stat().st_size for i in (0, 1)
    ]
    assert files[0]["modified"] == "2023-11-14T22:13:20"  # 1_700_000_000 s after the epoch, in UTC
    assert printed["feature_rows"] == run_rows(tmp_path)[0][3] == 40


def test_a_changed_file_changes_the_fingerprint_and_an_unchanged_one_keeps_it(tmp_path):
    config = rfm_config(tmp_path)
    segsql.run(config)
    segsql.run(config)
    # one purchase more, the file's time kept: its size still tells the runs apart
    stat = (tmp_path / "sales.csv").stat()
    rfm_config(tmp_path, rows=[*sales_rows(), (41, "2024-06-02 10:00:00", 12.0)])
    os.utime(tmp_path / "sales.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    segsql.run(config)
    first, second, third = (fingerprint(tmp_path, r) for r in (1, 2, 3))
    assert first == second
    assert third != second and third["feature_rows"] == 41
    assert third["sources"]["sales"]["files"][0]["size"] > second["sources"]["sales"]["files"][0]["size"]


def test_a_table_source_is_fingerprinted_by_its_rows_and_a_checksum_of_them(tmp_path):
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute('CREATE TABLE sales (id INTEGER, "at" TIMESTAMP, amount DOUBLE)')
        con.executemany("INSERT INTO sales VALUES (?, ?, ?)", sales_rows())
    config = rfm_config(tmp_path, 'table = "sales"')
    segsql.run(config)
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("UPDATE sales SET amount = amount + 1 WHERE id = 7")
        # the same sum, computed independently of segsql's query: each row's hash of its columns
        expected = con.execute(
            'SELECT count(*), sum(hash(id, "at", amount)) % 18446744073709551616 FROM sales'
        ).fetchall()[0]
    segsql.run(config)
    first, second = (fingerprint(tmp_path, r)["sources"]["sales"] for r in (1, 2))
    assert first["table"] == second["table"] == "sales"
    assert first["rows"] == second["rows"] == expected[0] == len(sales_rows())
    assert first["checksum"] != second["checksum"]  # one customer's amounts changed, not the row count
    assert int(second["checksum"], 16) == expected[1]


# --- segsql runs ---------------------------------------------------------------------


def test_segsql_runs_shows_each_runs_as_of_and_lists_a_database_from_before_it(tmp_path):
    config = rfm_config(tmp_path)
    segsql.run(config, as_of="2024-03-01")
    segsql.run(config, as_of="2024-04-01")
    listed = segsql.list_runs(config)
    assert listed["as_of"].to_list() == [datetime(2024, 4, 1), datetime(2024, 3, 1)]
    shown = CliRunner().invoke(app, ["runs", str(config)])
    assert shown.exit_code == 0 and "as_of" in shown.stdout and "2024-03-01" in shown.stdout
    # a runs table written before runs recorded as_of still lists, without the column
    with duckdb.connect(str(tmp_path / "run.duckdb")) as con:
        con.execute("ALTER TABLE segsql.runs DROP COLUMN as_of")
    assert segsql.list_runs(config)["run_id"].to_list() == [2, 1]
