"""Shared fixtures: paths to the bundled and shared data, and a config writer."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip in a clone without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not here (a clone of the project alone)")
    return SHARED_DATA


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    """Write a TOML config (dedented) and any data files into tmp_path."""

    def write(toml: str, name: str = "segsql.toml", **files: str) -> Path:
        for filename, content in files.items():
            (tmp_path / filename.replace("__", ".")).write_text(textwrap.dedent(content).lstrip())
        path = tmp_path / name
        path.write_text(textwrap.dedent(toml).lstrip())
        return path

    return write


@pytest.fixture
def customers_config(tmp_path: Path) -> Path:
    """data/customers.toml, with its database moved into tmp_path."""
    text = (DATA / "customers.toml").read_text()
    text = text.replace('path = "customers.csv"', f'path = "{(DATA / "customers.csv").as_posix()}"')
    text = text.replace('database = "customers.duckdb"', 'database = "run.duckdb"')
    path = tmp_path / "customers.toml"
    path.write_text(text)
    return path


def copy_config(name: str, tmp_path: Path) -> Path:
    """A bundled config from data/, pointed at the bundled data, writing into tmp_path."""
    text = (DATA / name).read_text()
    for data_file in DATA.glob("*.csv"):
        text = text.replace(f'path = "{data_file.name}"', f'path = "{data_file.as_posix()}"')
    path = tmp_path / name
    path.write_text(text)
    return path
