"""`segsql init` on a transactions log (an RFM config) and on text columns (categorical features)."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

import segsql
from segsql import SourceError

from .conftest import DATA


def _init(datafile: Path, folder: Path) -> tuple[Path, dict]:
    written = segsql.init_config(datafile, output=folder / "init.toml")
    return written, tomllib.loads(written.read_text())


def _quick(config: Path) -> Path:
    """The written config with one K, two starts and no report, so that a test's run is short."""
    text = re.sub(
        r"k = \"auto\"\nk_range = \[[^]]*\]", "k = 3\nk_range = [3, 3]\nn_init = 2", config.read_text()
    )
    config.write_text(text.replace('dir = "out"', 'dir = "out"\nreport = false'))
    return config


def _log(rows: int = 120, *, dates: str = "iso", amount: bool = True) -> str:
    """A transactions log: 20 customers buying on several days; each row has its own id."""
    header = ["order_id", "customer_id", "day"] + (["amount"] if amount else [])
    lines = [",".join(header)]
    for i in range(rows):
        day = date(2024, 1, 1) + timedelta(days=(i * 7) % 150)
        written = {
            "iso": day.isoformat(),
            "digits": day.strftime("%Y%m%d"),
            "slashes": day.strftime("%d/%m/%Y"),
        }[dates]
        line = [str(1000 + i), str(i % 20 + 1), written] + ([f"{5 + (i * 13) % 40}.5"] if amount else [])
        lines.append(",".join(line))
    return "\n".join(lines) + "\n"


def test_init_on_the_bundled_invoices_writes_an_rfm_config_that_runs(tmp_path):
    written, config = _init(DATA / "online_retail.csv", tmp_path)
    features = config["features"]
    assert features["entity"] == "CustomerID" and features["recipe"] == "rfm"
    rfm = features["rfm"]
    assert (rfm["source"], rfm["timestamp"], rfm["amount"]) == ("data", "InvoiceDate", "TotalPrice")
    last = duckdb.sql(f"SELECT max(InvoiceDate) FROM '{DATA / 'online_retail.csv'}'").fetchall()[0][0]
    assert rfm["as_of"] == last + timedelta(days=1)
    result = segsql.run(_quick(written))
    assert (
        result.tables["features"].height
        == duckdb.sql(f"SELECT count(DISTINCT CustomerID) FROM '{DATA / 'online_retail.csv'}'").fetchall()[0][
            0
        ]
    )


def test_a_log_with_sales_to_no_customer_gets_a_config_that_runs_without_them(tmp_path):
    # as the original UCI Online Retail file: a share of the invoice lines name no customer
    lines = _log().splitlines()
    lines[1::9] = [",".join([row.split(",")[0], "", *row.split(",")[2:]]) for row in lines[1::9]]
    (tmp_path / "log.csv").write_text("\n".join(lines) + "\n")
    nameless = sum(1 for row in lines[1:] if row.split(",")[1] == "")
    written, config = _init(tmp_path / "log.csv", tmp_path)
    assert config["features"]["entity"] == "customer_id" and config["features"]["recipe"] == "rfm"
    result = segsql.run(_quick(written))
    features = result.tables["features"]
    assert features.height == 20 and features["customer_id"].null_count() == 0
    assert f"{nameless} transactions with a NULL entity ('customer_id') are left out" in result.warnings[0]


def test_integer_dates_get_their_format_and_the_config_validates(tmp_path):
    (tmp_path / "log.csv").write_text(_log(dates="digits"))
    written, config = _init(tmp_path / "log.csv", tmp_path)
    rfm = config["features"]["rfm"]
    assert (rfm["timestamp"], rfm["timestamp_format"]) == ("day", "%Y%m%d")
    assert rfm["as_of"] == date(2024, 5, 29) + timedelta(days=1)
    assert segsql.validate(written).n_rows == 20


def test_text_dates_in_another_order_get_their_format(tmp_path):
    # JSON keeps the dates as text: no reader guesses their order
    rows = [
        dict(zip(["order_id", "customer_id", "day", "amount"], line.split(","), strict=True))
        for line in _log(dates="slashes").splitlines()[1:]
    ]
    (tmp_path / "log.json").write_text("\n".join(json.dumps(r) for r in rows))
    written, config = _init(tmp_path / "log.json", tmp_path)
    assert config["features"]["rfm"]["timestamp_format"] == "%d/%m/%Y"
    assert segsql.validate(written).n_rows == 20


def test_a_log_of_dates_alone_gets_the_recipe_without_an_amount(tmp_path):
    (tmp_path / "visits.csv").write_text(_log(amount=False))
    written, config = _init(tmp_path / "visits.csv", tmp_path)
    assert config["features"]["recipe"] == "rfm" and "amount" not in config["features"]["rfm"]
    assert "monetary" not in segsql.validate(written).columns


def test_a_customer_table_with_a_date_stays_a_table_of_customers(tmp_path):
    plans = ["basic", "plus", "pro"]
    lines = ["customer_id,store_id,plan,signed_up,spend"] + [
        f"{i},{i % 3},{plans[i % 3]},2024-01-{1 + i % 28:02d},{i * 1.5}" for i in range(1, 41)
    ]
    (tmp_path / "customers.csv").write_text("\n".join(lines) + "\n")
    _, config = _init(tmp_path / "customers.csv", tmp_path)
    assert config["features"]["entity"] == "customer_id" and "recipe" not in config["features"]
    assert config["features"]["categorical"] == ["plan"]


def test_a_repeated_id_without_a_date_says_what_init_looked_for(tmp_path):
    (tmp_path / "lines.csv").write_text("customer_id,amount\n1,2.5\n1,2.5\n2,4.0\n")
    with pytest.raises(SourceError, match="no column has a unique value.*transactions log.*date"):
        segsql.init_config(tmp_path / "lines.csv", output=tmp_path / "x.toml")


def test_text_columns_with_few_values_are_proposed_as_categorical(tmp_path):
    tiers = ["gold", "silver", "bronze"]
    lines = ["id,name,tier,region,spend,visits"] + [
        f"{i},person {i},{tiers[i % 3]},{'north' if i % 2 else 'south'},{i * 2.5},{i % 7}"
        for i in range(1, 61)
    ]
    (tmp_path / "people.csv").write_text("\n".join(lines) + "\n")
    written, config = _init(tmp_path / "people.csv", tmp_path)
    assert config["features"]["categorical"] == ["tier", "region"]
    assert config["features"]["columns"] == ["spend", "visits"]
    checked = segsql.validate(written)
    assert "tier=gold" in checked.columns and "region=north" in checked.columns


def test_the_marketing_datasets_education_and_marital_status_are_proposed(shared_data, tmp_path):
    _, config = _init(shared_data / "marketing_campaign.csv", tmp_path)
    assert config["features"]["entity"] == "ID"
    assert config["features"]["categorical"] == ["Education", "Marital_Status"]
    assert "recipe" not in config["features"]


def test_cdnow_is_recognised_as_a_transactions_log(shared_data, tmp_path):
    _, config = _init(shared_data / "CDNOW_master.csv", tmp_path)
    rfm = config["features"]["rfm"]
    assert config["features"]["entity"] == "customer_id"
    assert (rfm["timestamp"], rfm["amount"], rfm["as_of"]) == ("date", "dollar_value", date(1998, 7, 1))
