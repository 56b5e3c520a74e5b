"""Shared fixtures: paths to the bundled and shared data, and a config writer.

Drawing the report is most of an end-to-end run's time, so the configs these
fixtures write leave it out (``[output] report = false``) unless the test is
marked ``@pytest.mark.report`` or its config says what to do with the report.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SHARED_DATA = ROOT.parent / "shared" / "data"


def report_off(text: str) -> str:
    r"""``text`` with ``[output] report = false``, unless it sets ``report`` itself.

    >>> report_off('[features]\nentity = "id"\n')
    '[features]\nentity = "id"\n\n[output]\nreport = false\n'
    >>> report_off('[output]\ndir = "o"\n')
    '[output]\nreport = false\ndir = "o"\n'
    """
    if re.search(r"^\s*report\s*=", text, re.MULTILINE):
        return text
    if re.search(r"^\[output\]\s*$", text, re.MULTILINE):
        return re.sub(r"^\[output\]\s*$", "[output]\nreport = false", text, count=1, flags=re.MULTILINE)
    return text.rstrip("\n") + "\n\n[output]\nreport = false\n"


def _draws_report(request: pytest.FixtureRequest) -> bool:
    return request.node.get_closest_marker("report") is not None


@pytest.fixture
def shared_data() -> Path:
    """``../shared/data``; tests that need it skip in a clone without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not here (a clone of the project alone)")
    return SHARED_DATA


@pytest.fixture
def write_config(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Write a TOML config (dedented; the report off, see above) and any data files into tmp_path."""
    keep_report = _draws_report(request)

    def write(toml: str, name: str = "segsql.toml", **files: str) -> Path:
        for filename, content in files.items():
            (tmp_path / filename.replace("__", ".")).write_text(textwrap.dedent(content).lstrip())
        path = tmp_path / name
        text = textwrap.dedent(toml).lstrip()
        path.write_text(text if keep_report else report_off(text))
        return path

    return write


@pytest.fixture
def customers_config(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    """data/customers.toml, with its database moved into tmp_path (the report off, see above)."""
    text = (DATA / "customers.toml").read_text()
    if not _draws_report(request):
        text = report_off(text)
    text = text.replace('path = "customers.csv"', f'path = "{(DATA / "customers.csv").as_posix()}"')
    text = text.replace('database = "customers.duckdb"', 'database = "run.duckdb"')
    path = tmp_path / "customers.toml"
    path.write_text(text)
    return path


def copy_config(name: str, tmp_path: Path, *, report: bool = False) -> Path:
    """A bundled config from data/, pointed at the bundled data, writing into tmp_path."""
    text = (DATA / name).read_text()
    if not report:
        text = report_off(text)
    for data_file in DATA.glob("*.csv"):
        text = text.replace(f'path = "{data_file.name}"', f'path = "{data_file.as_posix()}"')
    path = tmp_path / name
    path.write_text(text)
    return path
