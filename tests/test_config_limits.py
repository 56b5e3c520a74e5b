"""What can be checked at load is checked at load (issue 10, classes 8 and 10).

Samples too small for the K range, seeds scikit-learn refuses, memory limits
DuckDB cannot use, and source keys that would collide with segsql's own
relations or with each other are refused by `load_config`, naming the key,
before any data is read. `segsql init` writes configs that load again, whatever
the data file's header holds.
"""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from sklearn.cluster import KMeans

from segsql import ConfigError, config_from_dict, load_config
from segsql.config import RESERVED_PREFIX
from segsql.errors import SourceError
from segsql.starter import init_config
from segsql.steps.fit.sweep import usable_ks

ROOT = Path(__file__).resolve().parent.parent
FEATURES = {"entity": "id", "sql": "SELECT 1 AS id, 2.0 AS x"}


def config(**sections):
    return config_from_dict({"features": FEATURES, **sections})


def refusal(**sections) -> str:
    with pytest.raises(ConfigError) as info:
        config(**sections)
    return str(info.value)


# --- [model]: samples, K and the seed ----------------------------------------


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"sweep_sample": 3, "k_range": [2, 3]}, "[model] sweep_sample: 3 rows are too few for K up to 3"),
        (
            {"sweep_sample": 10, "k_range": [2, 10]},
            "[model] sweep_sample: 10 rows are too few for K up to 10",
        ),
        (
            {"sweep_sample": 5, "k": 8, "k_range": [2, 3]},
            "[model] sweep_sample: 5 rows are too few for K up to 8",
        ),
        ({"metric_sample": 1, "k_range": [2, 3]}, "[model] metric_sample: 1 row is too few for K up to 3"),
        ({"metric_sample": 4, "k": 4, "k_range": [2, 3]}, "[model] metric_sample: 4 rows are too few"),
    ],
)
def test_a_sample_too_small_for_the_k_range_is_refused_naming_it_and_one_row_more_is_enough(model, expected):
    message = refusal(model=model)
    assert expected in message
    assert "0 for every row" in message
    key = expected.split("] ")[1].split(":")[0]
    top = max(model["k_range"][1], model.get("k", 0))
    assert getattr(config(model={**model, key: top + 1}).model, key) == top + 1
    assert getattr(config(model={**model, key: 0}).model, key) == 0


@pytest.mark.parametrize(
    ("model", "key", "sample"),
    [
        ({"k_range": [2, 10**12]}, "[model] k_range", "sweep_sample = 100000"),
        ({"k_range": [2, 2**63 - 1], "metric_sample": 0}, "[model] k_range", "sweep_sample = 100000"),
        ({"k_range": [2, 50000]}, "[model] k_range", "metric_sample = 10000"),
        ({"k": 10**9, "k_range": [2, 3], "metric_sample": 0}, "[model] k:", "sweep_sample = 100000"),
    ],
)
def test_a_k_beyond_the_default_samples_is_refused_naming_the_k_key(model, key, sample):
    message = refusal(model=model)
    assert key in message
    assert sample in message


def test_with_every_row_sampled_a_huge_k_range_is_cut_to_the_rows_without_being_built():
    # the range has 2**62 values: building it first would exhaust the memory
    model = config(model={"k_range": [2, 2**62], "sweep_sample": 0, "metric_sample": 0}).model
    assert usable_ks(model, 6, 6) == [2, 3, 4, 5]
    assert usable_ks(model, 1000, 3) == [2, 3]
    assert model.ks(at_most=4) == [2, 3, 4]


def test_a_fixed_k_outside_the_range_is_still_swept_when_it_fits_the_rows():
    model = config(model={"k": 7, "k_range": [2, 3]}).model
    assert model.ks(at_most=10) == [2, 3, 7]
    assert model.ks(at_most=5) == [2, 3]


def test_a_random_state_is_refused_outside_the_seeds_scikit_learn_accepts():
    for seed in (-1, 2**32, 2**63 - 1):
        message = refusal(model={"random_state": seed})
        assert "[model] random_state: must be from 0 to 4294967295 (2**32 - 1), " in message
        assert f"(got {seed})" in message
    for seed in (0, 2**32 - 1):  # the extremes load, and scikit-learn takes them
        assert config(model={"random_state": seed}).model.random_state == seed
        KMeans(n_clusters=2, n_init=1, random_state=seed).fit(np.array([[0.0], [1.0], [5.0]]))


# --- [project] memory_limit: what DuckDB itself accepts -----------------------


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("4ib", "must be a size"),  # no such unit
        ("\u0664GB", "must be a size"),  # an Arabic-Indic digit
        ("4\u00a0GB", "must be a size"),  # a no-break space
        ("99999999999999999999GB", "DuckDB cannot use it"),  # beyond DuckDB's range
        ("18446744073709551616B", "DuckDB cannot use it"),  # 2**64 bytes
    ],
)
def test_a_memory_limit_duckdb_cannot_use_is_refused_at_load(value, why):
    message = refusal(project={"memory_limit": value})
    assert "[project] memory_limit: " + why in message
    assert "\n" not in message


_UNITS = ["B", "KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB", "ib", "PB", "G", "gb", "mIb", ""]
_memory_limits = st.builds(
    lambda space, number, gap, unit, tail: space + number + gap + unit + tail,
    st.sampled_from(["", " ", "\t", "\u00a0"]),
    st.from_regex(r"\A([0-9\u0660-\u0669]{1,22}|[0-9]{0,3}\.[0-9]{0,3}|-1)\Z"),
    st.sampled_from(["", " ", "  ", "\u00a0"]),
    st.sampled_from(_UNITS),
    st.sampled_from(["", " ", "x", " GB"]),
)


@settings(max_examples=150, deadline=None)
@given(_memory_limits)
def test_every_memory_limit_that_loads_opens_a_duckdb_database(value):
    try:
        limit = config(project={"memory_limit": value}).project.memory_limit
    except ConfigError as exc:
        assert "[project] memory_limit: " in str(exc)
        return
    with duckdb.connect(config={"memory_limit": limit}) as con:
        assert con.execute("SELECT current_setting('memory_limit')").fetchall()


# --- [sources]: keys that would collide -------------------------------------


@pytest.mark.parametrize("key", ["segsql_features", "segsql_user_features", "SEGSQL_Labels", "segsql_later"])
def test_a_source_key_in_segsql_s_own_namespace_is_refused_by_name(key):
    message = refusal(sources={key: {"path": "x.csv"}})
    assert f"[sources] {key}: " in message
    assert f"names starting with {RESERVED_PREFIX!r} are segsql's own" in message


def test_two_source_keys_that_differ_only_in_case_are_refused():
    message = refusal(sources={"people": {"path": "a.csv"}, "PEOPLE": {"path": "b.csv"}})
    assert "[sources] PEOPLE: " in message
    assert "[sources.people]" in message
    assert "case" in message
    # DuckDB folds only ASCII letters: these are two names to it
    assert set(
        config(sources={"\u00c9t\u00e9": {"path": "a.csv"}, "\u00e9t\u00e9": {"path": "b.csv"}}).sources
    ) == {
        "\u00c9t\u00e9",
        "\u00e9t\u00e9",
    }


def test_an_empty_source_key_is_refused():
    assert '[sources] : the source needs a name ([sources.""] is empty)' in refusal(
        sources={"": {"path": "a.csv"}}
    )


def test_a_colliding_source_key_in_a_file_names_the_file_and_the_key(write_config):
    path = write_config(
        '[features]\nentity = "id"\nsql = "SELECT 1 AS id"\n[sources.segsql_scaled]\npath = "a.csv"\n'
    )
    with pytest.raises(ConfigError, match=r"segsql\.toml: \[sources\] segsql_scaled: ") as info:
        load_config(path)
    assert "\n" not in str(info.value)


def _internal_names() -> set[str]:
    """The temp tables, views and macros the queries create, and the frames the code registers."""
    created = re.compile(
        r"CREATE\s+(?:OR\s+REPLACE\s+)?TEMP(?:ORARY)?\s+(?:TABLE|VIEW|MACRO|SEQUENCE|TYPE)\s+"
        r"(?:IF\s+NOT\s+EXISTS\s+)?([^\s(]+)",
        re.IGNORECASE,
    )
    registered = re.compile(r"""(?:registered|register)\(\s*[\w.]+,\s*["']([^"']+)["']""")
    names: set[str] = set()
    for query in (ROOT / "queries").rglob("*.sql"):
        text = "\n".join(
            line for line in query.read_text().splitlines() if not line.lstrip().startswith("--")
        )
        names |= {n for n in created.findall(text) if not n.startswith("{{")}  # {{ name }}: a source's view
    for module in (ROOT / "segsql").rglob("*.py"):
        names |= set(registered.findall(module.read_text()))
    return names


def test_a_source_key_named_like_any_relation_segsql_creates_is_refused():
    names = _internal_names()
    assert len(names) > 10, names  # the patterns still find them
    for name in names:
        assert name.lower().startswith(RESERVED_PREFIX)  # the prefix the refusal is about
        for key in (name, name.upper()):
            assert f"[sources] {key}: names starting with" in refusal(sources={key: {"path": "x.csv"}})


# --- segsql init: what it writes loads again -------------------------------

NASTY = ["ctl\x01x", "del\x7fx", 'quote"x', "back\\slash", "brack[et]", "eq=ual", "dot.ted", "#hash",
         "caf\u00e9 \u2603", "tab\tx", "\u2028sep", "x = 1 # [model]"]  # fmt: skip


def _write_csv(path: Path, header: list[str], rows: int = 5) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for i in range(rows):
            writer.writerow([i + 1, *[(i * 7 + j) % 5 + 0.5 for j in range(len(header) - 1)]])


def _write_parquet(path: Path, header: list[str], rows: int = 5) -> None:
    # Parquet keeps any column name exactly (a CSV header with a line break defeats DuckDB's sniffer)
    columns = {header[0]: pa.array(range(1, rows + 1))}
    columns |= {
        name: pa.array([(i * 7 + j) % 5 + 0.5 for i in range(rows)]) for j, name in enumerate(header[1:])
    }
    pq.write_table(pa.table(columns), path)


def test_init_writes_a_config_that_loads_whatever_a_csv_header_holds(tmp_path):
    data = tmp_path / "people.csv"
    _write_csv(data, ["customer_id", *NASTY])
    loaded = load_config(init_config(data))
    assert loaded.features.entity == "customer_id"
    assert loaded.features.columns == NASTY
    assert loaded.sources["data"].path == "people.csv"


def test_init_writes_a_config_that_loads_whatever_a_parquet_column_is_called(tmp_path):
    data = tmp_path / "people.parquet"
    names = [*NASTY, "x = 1\n[model]", "new\nline", "cr\rx", "\ufeffbom", " space "]
    _write_parquet(data, ["id\n[features]", *names, "nul\x00x"])
    loaded = load_config(init_config(data))
    assert loaded.features.entity == "id\n[features]"
    assert loaded.features.columns == names  # a NUL cannot be named in SQL: that column is left out


def test_init_writes_a_config_that_loads_whatever_the_file_is_called(tmp_path):
    for n, name in enumerate(
        ["odd\nname.csv", "del\x7f.csv", 'quo"te [x].csv', "caf\u00e9.csv", "~x.csv", "~root.csv"]
    ):
        data = tmp_path / name
        _write_csv(data, ["id", "a", "b"])
        loaded = load_config(init_config(data, output=tmp_path / f"out{n}.toml"))
        # "~root.csv" is a file beside the config, not root's home folder
        assert loaded.resolve(loaded.sources["data"].path or "") == data, name


_names = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("\x00\x01\x08\x1b\x1f\x7f\"'\\[]{}=.#, \t\r\n\u0085\u2028\ufeff")),
        st.characters(exclude_categories=("Cs",)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(header=st.lists(_names, min_size=1, max_size=4, unique_by=str.casefold), stem=_names)
@example(header=["\x00"], stem="0")  # the only column cannot be named in SQL: none left to measure
def test_init_output_always_loads_and_names_the_columns_exactly(header, stem):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # a file name holds anything but "/" and NUL
        data = folder / (re.sub(r"[/\x00]", "_", stem) + ".parquet")
        assume("row_id" not in [h.casefold() for h in header])
        assume(not stem.startswith("."))  # ".x.parquet" has no suffix to tell the reader (segsql.sources)
        _write_parquet(data, ["row_id", *header])
        nameable = [h for h in header if "\x00" not in h]
        if not nameable:
            with pytest.raises(SourceError, match="no numeric column"):
                init_config(data, output=folder / "starter.toml")
            return
        loaded = load_config(init_config(data, output=folder / "starter.toml"))
        assert loaded.features.entity == "row_id"
        assert loaded.features.columns == nameable
        assert loaded.resolve(loaded.sources["data"].path or "") == data


def test_segsql_init_then_validate_on_the_command_line_whatever_the_header_holds(tmp_path):
    from typer.testing import CliRunner

    from segsql.cli import app

    data = tmp_path / "people.csv"
    _write_csv(data, ["customer_id", *NASTY], rows=8)
    made = CliRunner().invoke(app, ["init", str(data)])
    assert made.exit_code == 0, made.stderr
    checked = CliRunner().invoke(app, ["validate", str(tmp_path / "people.toml")])
    assert checked.exit_code == 0, checked.stderr
