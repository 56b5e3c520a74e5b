"""The README is the user's only guide: its commands and keys must be true."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import duckdb
import pytest

from segsql import config as config_module
from segsql.cli import app

from .conftest import ROOT, copy_config

README = (ROOT / "README.md").read_text()


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_quickstart_is_two_commands_one_runs_the_demo_one_runs_the_tests():
    install_and_run, install_and_test = quickstart_commands()
    assert install_and_run == "pip install . && segsql run data/retail.toml"
    assert install_and_test == "pip install -e '.[test]' && pytest"


def test_the_ci_script_runs_the_readme_test_command():
    assert "pip install -e '.[test]' && pytest" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
@pytest.mark.report
def test_the_quickstart_demo_segments_the_retail_data(tmp_path):
    segsql_command = shutil.which("segsql") or f"{sys.executable} -m segsql"
    config = copy_config("retail.toml", tmp_path, report=True)
    done = subprocess.run(
        [*segsql_command.split(), "run", str(config)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Run 1: 4338 rows, 5 features" in done.stdout
    assert (tmp_path / "retail.duckdb").exists()


def _models():
    root = config_module._Root
    yield "", root
    for name, field in root.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, config_module.BaseModel):
            yield name, annotation
    yield "sources", config_module.SourceConfig
    yield "features.rfm", config_module.RfmConfig


@pytest.mark.parametrize(("section", "model"), list(_models()))
def test_every_config_key_is_documented(section, model):
    config_block = README.split("## The config file", 1)[1]
    for name, field in model.model_fields.items():
        key = field.alias or name
        if section == "":
            assert f"[{key}" in config_block, key
        else:
            as_key = re.search(rf"^#?\s*{re.escape(key)} = ", config_block, re.MULTILINE)
            assert as_key or f"[{section}.{key}]" in config_block, f"[{section}] {key}"


def test_every_cli_command_is_in_the_readme():
    for command in app.registered_commands:
        name = command.name or command.callback.__name__.replace("_", "-")
        assert f"`segsql {name}" in README, name


def _python_api_block() -> str:
    section = README.split("## Python API", 1)[1].split("\n## ", 1)[0]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.mark.report
def test_the_python_api_section_runs_as_written(tmp_path, monkeypatch):
    # the block's relative paths, in a folder of its own: data/ holds the demo config and data
    (tmp_path / "data").mkdir()
    for name in ("customers.toml", "customers.csv"):
        shutil.copy(ROOT / "data" / name, tmp_path / "data" / name)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(_python_api_block(), "README.md: Python API", "exec"), namespace)
    result = namespace["result"]
    assert result.k == 4 and result.report is not None and result.report.is_file()
    assert namespace["segsql"].list_runs("data/customers.toml")["run_id"].to_list() == [1]
    with duckdb.connect(str(tmp_path / "lake.duckdb"), read_only=True) as lake:
        assert lake.execute("SELECT count(*) FROM segsql.segments").fetchall() == [(200,)]
