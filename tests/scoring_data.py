"""Datasets for the scoring tests: training rows, new rows, a config, and a scikit-learn reference.

Each dataset is a frame of one row per entity (the entity column and numeric
features), written to Parquet. The reference pipeline is written with NumPy
and scikit-learn alone, independently of segsql's SQL, so a test can compare
segsql's scoring with ``KMeans.predict``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from .conftest import DATA

WINSORIZE = (0.02, 0.98)


@dataclass(frozen=True)
class Dataset:
    name: str
    entity: str
    features: tuple[str, ...]
    transforms: dict[str, str]
    k: int
    train: pd.DataFrame  # sorted by entity, as segsql fits rows
    impute: str = "error"
    labels: dict[str, str] = field(default_factory=dict)

    def new_rows(self, n: int = 300, seed: int = 5) -> pd.DataFrame:
        """Rows near and beyond the training data, under new entity ids."""
        rng = np.random.RandomState(seed)
        picked = self.train.iloc[rng.randint(0, len(self.train), n)].reset_index(drop=True)
        new = picked.copy()
        for f in self.features:
            values = picked[f].to_numpy(dtype=float)
            if self.transforms.get(f, "none") != "none":  # keep the transform's domain: scale, never shift
                values = values * np.exp(rng.normal(0, 0.4, n))
            else:
                values = values + rng.normal(0, 0.5 * np.nanstd(values), n)
            values[:5] = values[:5] * 20  # far beyond the clip bounds: outliers
            new[f] = values
        ids = self.train[self.entity]
        if pd.api.types.is_integer_dtype(ids):
            new[self.entity] = np.arange(int(ids.max()) + 1, int(ids.max()) + 1 + n)
        else:
            new[self.entity] = [f"new{i:05d}" for i in range(n)]
        return new

    def config(self, tmp: Path, scaling: str) -> Path:
        train = tmp / "train.parquet"
        self.train.to_parquet(train, index=False)
        transforms = "\n".join(f"{json.dumps(c)} = {json.dumps(t)}" for c, t in self.transforms.items())
        text = f"""
[project]
name = {json.dumps(self.name)}
database = "run.duckdb"

[sources.train]
path = {json.dumps(train.as_posix())}

[features]
entity = {json.dumps(self.entity)}
sql = "SELECT * FROM train"
columns = {json.dumps(list(self.features))}

[features.transforms]
{transforms}

[preprocess]
scaling = "{scaling}"
impute = "{self.impute}"
winsorize = [{WINSORIZE[0]}, {WINSORIZE[1]}]

[model]
k = {self.k}
k_range = [{self.k}, {self.k}]
random_state = 42

[output]
report = false  # scoring needs the model, not the charts
"""
        path = tmp / f"{self.name}.toml"
        path.write_text(text)
        return path


@dataclass(frozen=True)
class Reference:
    """scikit-learn's version of the run: preprocessing as NumPy, and the fitted KMeans."""

    scale: Callable[[np.ndarray], np.ndarray]
    kmeans: KMeans


def reference(data: Dataset, scaling: str) -> Reference:
    train = data.train[list(data.features)].to_numpy(dtype=float)
    if data.impute == "mean":
        fill = np.nanmean(train, axis=0)
    elif data.impute == "median":
        fill = np.nanmedian(train, axis=0)
    else:
        fill = np.zeros(train.shape[1])
    hows = [data.transforms.get(f, "none") for f in data.features]

    def prep(X: np.ndarray) -> np.ndarray:
        X = np.where(np.isnan(X), fill, X)
        for j, how in enumerate(hows):
            if how == "log1p":
                X[:, j] = np.log(1 + X[:, j])
            elif how == "sqrt":
                X[:, j] = np.sqrt(X[:, j])
        return X

    fitted = prep(train.copy())
    low, high = np.quantile(fitted, WINSORIZE[0], axis=0), np.quantile(fitted, WINSORIZE[1], axis=0)
    scaler = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[scaling]()
    scaler.fit(np.clip(fitted, low, high))

    def scale(X: np.ndarray) -> np.ndarray:
        return scaler.transform(np.clip(prep(X.astype(float).copy()), low, high))

    kmeans = KMeans(n_clusters=data.k, n_init=10, random_state=42).fit(scale(train))
    return Reference(scale=scale, kmeans=kmeans)


def _customers() -> Dataset:
    frame = pd.read_csv(DATA / "customers.csv").sort_values("CustomerID").reset_index(drop=True)
    return Dataset(
        name="customers",
        entity="CustomerID",
        features=("Annual_Income_K", "Spending_Score", "Purchase_Frequency"),
        transforms={"Annual_Income_K": "log1p", "Purchase_Frequency": "sqrt"},
        k=4,
        train=frame,
    )


def _wholesale() -> Dataset:
    columns = ("Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen")
    frame = pd.read_csv(DATA / "wholesale.csv").sort_values("customer_id").reset_index(drop=True)
    return Dataset(
        name="wholesale",
        entity="customer_id",
        features=columns,
        transforms={c: "log1p" for c in columns},
        k=4,
        train=frame[["customer_id", *columns]],
    )


def _retail_rfm() -> Dataset:
    """RFM features of the bundled invoices, computed with pandas."""
    invoices = pd.read_csv(DATA / "online_retail.csv", parse_dates=["InvoiceDate"])
    as_of = pd.Timestamp("2011-12-10")
    grouped = invoices[invoices["InvoiceDate"] <= as_of].groupby("CustomerID")
    frame = pd.DataFrame({
        "recency_days": (as_of - grouped["InvoiceDate"].max()).dt.days.astype(float),
        "frequency": grouped.size().astype(float),
        "monetary": grouped["TotalPrice"].sum(),
        "tenure_days": (as_of - grouped["InvoiceDate"].min()).dt.days.astype(float),
    })  # fmt: skip
    frame["avg_order_value"] = frame["monetary"] / frame["frequency"]
    frame = frame.reset_index().sort_values("CustomerID").reset_index(drop=True)
    return Dataset(
        name="retail_rfm",
        entity="CustomerID",
        features=("recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"),
        transforms={
            "recency_days": "sqrt",
            "frequency": "log1p",
            "monetary": "log1p",
            "avg_order_value": "log1p",
        },
        k=4,
        train=frame,
    )


def _synthetic() -> Dataset:
    """Four blobs, skewed positive columns, odd column names, text ids and NULLs imputed by median."""
    rng = np.random.RandomState(7)
    n, centers = 1200, np.array([[0, 0, 0, 0], [4, 1, -3, 2], [-3, 4, 2, -1], [2, -4, 3, 4]], dtype=float)
    blob = rng.randint(0, 4, n)
    X = centers[blob] + rng.normal(0, 1.0, (n, 4))
    frame = pd.DataFrame({
        "id": [f"c{i:05d}" for i in range(n)],
        "spend ($)": np.exp(X[:, 0]),            # positive, skewed: log1p
        "visits": np.round(np.exp(X[:, 1] / 2) * 3),  # counts: sqrt
        'it\'s "odd"': X[:, 2],
        "score": X[:, 3] * 10,
    })  # fmt: skip
    for column in ("visits", "score"):
        frame.loc[rng.rand(n) < 0.03, column] = np.nan
    return Dataset(
        name="synthetic",
        entity="id",
        features=("spend ($)", "visits", 'it\'s "odd"', "score"),
        transforms={"spend ($)": "log1p", "visits": "sqrt"},
        k=4,
        train=frame.sort_values("id").reset_index(drop=True),
        impute="median",
    )


def mall_customers(shared_data: Path) -> Dataset:
    """../shared/data/Mall_Customers.csv: names with spaces, `$` and parentheses."""
    frame = pd.read_csv(shared_data / "Mall_Customers.csv").sort_values("CustomerID").reset_index(drop=True)
    return Dataset(
        name="mall",
        entity="CustomerID",
        features=("Age", "Annual Income (k$)", "Spending Score (1-100)"),
        transforms={"Annual Income (k$)": "log1p"},
        k=5,
        train=frame,
    )


DATASETS: dict[str, Callable[[], Dataset]] = {
    "customers": _customers,
    "wholesale": _wholesale,
    "retail_rfm": _retail_rfm,
    "synthetic": _synthetic,
}


def wide_blobs(n: int = 8950, features: int = 20, k: int = 10, seed: int = 11) -> Dataset:
    """``k`` blobs in ``features`` dimensions: the size at which an exported query has to stay
    small on PostgreSQL. Every third feature is skewed (log1p), every third a count (sqrt);
    a few NULLs are imputed by the mean."""
    rng = np.random.RandomState(seed)
    centers = rng.normal(0, 4, (k, features))
    X = centers[rng.randint(0, k, n)] + rng.normal(0, 1.0, (n, features))
    names = tuple(f"f{j:02d}" for j in range(features))
    transforms = {}
    frame = pd.DataFrame({"id": np.arange(1, n + 1, dtype=np.int64)})
    for j, name in enumerate(names):
        if j % 3 == 1:
            frame[name], transforms[name] = np.exp(X[:, j] / 4) * 10, "log1p"
        elif j % 3 == 2:
            frame[name], transforms[name] = np.round(np.exp(X[:, j] / 4) * 5), "sqrt"
        else:
            frame[name] = X[:, j]
        frame.loc[rng.rand(n) < 0.01, name] = np.nan
    return Dataset(
        name="wide", entity="id", features=names, transforms=transforms, k=k, train=frame, impute="mean"
    )
