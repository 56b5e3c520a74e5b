"""Make data/customers.csv: the seed tutorial's 200 synthetic customers.

The recipe is the one in the project's seed (see the README, "Demo data"):
NumPy's legacy global generator seeded with 42, three features drawn in four
groups, in this order, then clipped. Values are written with Python's
shortest round-trip repr, so DuckDB reads back exactly the same doubles.

    python data/make_customers.py            # rewrites data/customers.csv
    python data/make_customers.py -o x.csv   # writes elsewhere
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def make_customers() -> dict[str, np.ndarray]:
    """The seed data as columns: CustomerID 1..200 and three features."""
    np.random.seed(42)
    income = np.concatenate([
        np.random.normal(25, 8, 50), np.random.normal(55, 10, 70),
        np.random.normal(90, 12, 50), np.random.normal(120, 15, 30),
    ])  # fmt: skip
    spending = np.concatenate([
        np.random.normal(30, 12, 50), np.random.normal(55, 15, 70),
        np.random.normal(80, 10, 50), np.random.normal(45, 20, 30),
    ])  # fmt: skip
    frequency = np.concatenate([
        np.random.normal(5, 2, 50), np.random.normal(12, 4, 70),
        np.random.normal(20, 5, 50), np.random.normal(8, 3, 30),
    ])  # fmt: skip
    return {
        "CustomerID": np.arange(1, 201),
        "Annual_Income_K": np.clip(income, 10, 150),
        "Spending_Score": np.clip(spending, 1, 100),
        "Purchase_Frequency": np.clip(frequency, 1, 30),
    }


def write_csv(path: Path) -> None:
    columns = make_customers()
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in zip(*columns.values(), strict=True):
            writer.writerow([int(row[0]), *(repr(float(v)) for v in row[1:])])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "customers.csv")
    write_csv(parser.parse_args().output)
