"""The config is validated at load: every mistake names the file and the key."""

from __future__ import annotations

import pytest

from segsql import ConfigError, config_from_dict, load_config

MINIMAL = """
[features]
entity = "id"
sql = "SELECT 1 AS id, 2.0 AS x"
"""


def error_for(write_config, toml: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write_config(toml))
    return str(info.value)


def test_a_minimal_config_gets_the_documented_defaults(write_config):
    config = load_config(write_config(MINIMAL))
    assert config.model.k == "auto"
    assert config.model.k_range == (2, 10)
    assert config.model.random_state == 42
    assert config.model.metric_sample == 10000
    assert config.preprocess.scaling == "standard"
    assert config.preprocess.impute == "error"
    assert config.schema == "segsql"
    assert config.database == str(config.base_dir / "segsql.duckdb")


def test_paths_resolve_relative_to_the_config_file(write_config, tmp_path):
    path = write_config(MINIMAL + '\n[project]\ndatabase = "sub/x.duckdb"\n[output]\ndir = "charts"\n')
    config = load_config(path)
    assert config.database == str(tmp_path / "sub" / "x.duckdb")
    assert config.output_dir == tmp_path / "charts"


def test_an_unknown_key_is_named_with_its_section_and_file(write_config):
    message = error_for(write_config, MINIMAL + "\n[model]\nkk = 3\n")
    assert message.endswith("segsql.toml: [model] kk: unknown key")


def test_an_unknown_key_in_a_source_names_the_source(write_config):
    message = error_for(write_config, MINIMAL + '\n[sources.orders]\npth = "x.csv"\n')
    assert "[sources.orders] pth: unknown key" in message


def test_an_unknown_section_is_rejected(write_config):
    assert error_for(write_config, MINIMAL + "\n[modle]\nk = 3\n").endswith("segsql.toml: modle: unknown key")


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("[model]\nk = 1", "[model] k: must be >= 2 (got 1)"),
        ('[model]\nk = "four"', '[model] k: must be an integer >= 2 or "auto"'),
        ("[model]\nk_range = [8, 3]", "[model] k_range: is reversed: 8 > 3"),
        ("[model]\nk_range = [1, 3]", "[model] k_range: low end must be >= 2"),
        ('[preprocess]\nscaling = "zscore"', "[preprocess] scaling: Input should be"),
        ('[preprocess]\nimpute = "guess"', "[preprocess] impute: Input should be"),
        ("[preprocess]\nwinsorize = [0.9, 0.1]", "[preprocess] winsorize: must be [] or two quantiles"),
        ('[model]\nn_init = "10"', "[model] n_init: Input should be a valid integer (got '10')"),
        ("[model]\nn_init = 0", "[model] n_init: Input should be greater than or equal to 1"),
        ('[model]\nselect = "gap"', "[model] select: Input should be"),
        ('[model]\nalgorithm = "dbscan"', "[model] algorithm: Input should be"),
    ],
)
def test_impossible_values_are_errors_naming_the_key(write_config, snippet, expected):
    assert expected in error_for(write_config, MINIMAL + "\n" + snippet + "\n")


def test_a_feature_query_is_required_exactly_once(write_config):
    message = error_for(write_config, '[features]\nentity = "id"\n')
    assert "give exactly one of `sql`, `file` or `recipe`" in message
    message = error_for(write_config, '[features]\nentity = "id"\nsql = "x"\nfile = "y.sql"\n')
    assert "exactly one" in message


def test_the_rfm_recipe_needs_its_section(write_config):
    assert "needs a [features.rfm] section" in error_for(
        write_config, '[features]\nentity = "id"\nrecipe = "rfm"\n'
    )


def test_a_source_needs_exactly_one_of_path_or_table(write_config):
    message = error_for(write_config, MINIMAL + '\n[sources.a]\npath = "x.csv"\ntable = "t"\n')
    assert "[sources] a: give exactly one of `path` or `table`" in message


def test_malformed_toml_and_missing_files_are_config_errors(write_config, tmp_path):
    assert "not valid TOML" in error_for(write_config, "[features\n")
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_a_config_can_be_given_as_a_dict():
    config = config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id"}, "model": {"k": 3}})
    assert config.model.k == 3
    assert config.model.ks() == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    with pytest.raises(ConfigError, match=r"\[model\] k: must be >= 2"):
        config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id"}, "model": {"k": 0}})


def test_a_fixed_k_outside_the_range_is_added_to_the_sweep():
    config = config_from_dict(
        {"features": {"entity": "id", "sql": "x"}, "model": {"k": 12, "k_range": [2, 4]}}
    )
    assert config.model.ks() == [2, 3, 4, 12]
