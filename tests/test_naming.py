"""Segment names, descriptions and recommendation rules: deterministic words from the profiles."""

from __future__ import annotations

import pytest

from segsql import ConfigError, config_from_dict
from segsql.steps.naming import Contrast, check_rules, describe_segments

FEATURES = ("income", "spend", "visits")


def config(**extra):
    base = {"features": {"entity": "id", "sql": "SELECT 1 AS id", "labels": {"visits": "visit frequency"}}}
    return config_from_dict({**base, **extra})


def contrasts(table: dict[int, tuple[float | None, ...]]) -> list[Contrast]:
    """(segment → z per feature) as profile rows; means are 10 × z + 50 against 50."""
    return [
        Contrast(segment, feature, None if z is None else 50 + 10 * z, 50.0, z)
        for segment, zs in table.items()
        for feature, z in zip(FEATURES, zs, strict=True)
    ]


def test_names_come_from_the_two_strongest_contrasts_in_label_words():
    texts = describe_segments(contrasts({1: (1.2, 0.1, -2.0), 2: (-1.2, -0.1, 2.0)}), config=config())
    assert texts[1].name == "Low visit frequency · High income"
    assert texts[2].name == "High visit frequency · Low income"


def test_a_segment_with_no_strong_contrast_is_typical_and_described_by_its_largest_difference():
    texts = describe_segments(contrasts({1: (0.3, -0.1, 0.0), 2: (-2.0, 1.0, 0.0)}), config=config())
    assert texts[1].name == "Typical"
    assert texts[1].description.startswith("Close to the overall average on every feature")
    assert "income a little above (53.0 against 50.0 overall)" in texts[1].description


def test_equal_names_take_the_next_contrast_until_they_differ():
    # both segments are "High income · High spend"; the third feature tells them apart
    texts = describe_segments(contrasts({1: (2.0, 1.5, 0.8), 2: (2.0, 1.5, -0.8)}), config=config())
    assert texts[1].name == "High income · High spend · High visit frequency"
    assert texts[2].name == "High income · High spend · Low visit frequency"


def test_two_typical_segments_are_told_apart_by_their_slight_differences():
    texts = describe_segments(contrasts({1: (0.2, 0.0, 0.0), 2: (-0.2, 0.0, 0.0)}), config=config())
    assert texts[1].name == "Typical · slightly high income"
    assert texts[2].name == "Typical · slightly low income"


def test_identical_profiles_fall_back_to_the_segment_number():
    texts = describe_segments(contrasts({1: (1.0, 1.0, 1.0), 2: (1.0, 1.0, 1.0)}), config=config())
    assert texts[1].name.endswith("(1)") and texts[2].name.endswith("(2)")


def test_a_configured_name_overrides_and_a_generated_clash_with_it_is_resolved():
    cfg = config(segments={"names": {"2": "High income · High spend"}})
    texts = describe_segments(contrasts({1: (2.0, 1.5, 0.0), 2: (-1.0, -1.0, 0.0)}), config=cfg)
    assert texts[2].name == "High income · High spend"
    assert texts[1].name == "High income · High spend (1)"


def test_a_name_for_a_segment_the_run_does_not_have_is_an_error_naming_the_key():
    cfg = config(segments={"names": {"3": "VIPs"}})
    with pytest.raises(ConfigError, match=r"\[segments.names\] 3: segment 3 does not exist"):
        describe_segments(contrasts({1: (1.0, 0, 0), 2: (-1.0, 0, 0)}), config=cfg)


def test_the_first_matching_rule_gives_the_recommendation():
    cfg = config(recommendations=[
        {"when": {"income": "high", "spend": "high"}, "say": "VIP programme"},
        {"when": {"income": "high"}, "say": "Upsell"},
        {"when": {"income": "low", "visits": "typical"}, "say": "Value offers"},
    ])  # fmt: skip
    texts = describe_segments(
        contrasts({1: (1.0, 0.9, 0.0), 2: (1.0, 0.1, 0.0), 3: (-1.0, 0.0, 0.2)}), config=cfg
    )
    assert [texts[s].recommendation for s in (1, 2, 3)] == ["VIP programme", "Upsell", "Value offers"]


def test_a_segment_no_rule_matches_has_no_recommendation():
    # issue 13: a recommendation is a rule's advice or nothing, never the description repeated
    cfg = config(recommendations=[{"when": {"income": "high"}, "say": "Upsell"}])
    texts = describe_segments(contrasts({1: (-1.5, 0.6, 0.0), 2: (1.5, -0.6, 0.0)}), config=cfg)
    assert texts[1].recommendation is None
    assert (
        texts[1].description
        == "Income well below the rest (35.0 against 50.0 overall), spend above (56.0 against 50.0)."
    )
    assert texts[2].recommendation == "Upsell"


@pytest.mark.parametrize(
    ("level", "z", "holds"),
    [
        ("high", 0.5, True), ("high", 0.49, False), ("low", -0.5, True), ("low", 0.0, False),
        ("above", 0.01, True), ("above", 0.0, False), ("below", -0.01, True),
        ("typical", 0.49, True), ("typical", -0.5, False), ("typical", None, True), ("high", None, False),
    ],
)  # fmt: skip
def test_rule_levels_compare_z_with_the_threshold(level, z, holds):
    cfg = config(recommendations=[{"when": {"income": level}, "say": "yes"}])
    texts = describe_segments(contrasts({1: (z, 0.0, 0.0), 2: (0.0, 0.0, 0.0)}), config=cfg)
    assert (texts[1].recommendation == "yes") is holds


def test_the_threshold_is_configurable():
    cfg = config(segments={"threshold": 1.5})
    texts = describe_segments(contrasts({1: (1.2, 0.0, 0.0), 2: (-1.6, 0.0, 0.0)}), config=cfg)
    assert texts[1].name.startswith("Typical") and texts[2].name == "Low income"


def test_a_rule_on_an_unknown_feature_is_an_error_naming_the_rule():
    cfg = config(
        recommendations=[{"when": {"income": "high"}, "say": "ok"}, {"when": {"age": "low"}, "say": "x"}]
    )
    # rules are counted from 0 in messages, as pydantic counts them for the other keys
    with pytest.raises(ConfigError, match=r"\[recommendations.1\] when: 'age' is not a feature of this run"):
        check_rules(cfg, FEATURES)
    check_rules(config(recommendations=[{"when": {"income": "high"}, "say": "ok"}]), FEATURES)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"segments": {"names": {"one": "x"}}}, "[segments] names: keys are segment numbers"),
        ({"segments": {"names": {"0": "x"}}}, "[segments] names: keys are segment numbers"),
        ({"segments": {"names": {"1": "x", "2": "x"}}}, "two segments are given the same name"),
        ({"segments": {"threshold": 0}}, "[segments] threshold"),
        ({"segments": {"colour": "red"}}, "[segments] colour: unknown key"),
        (
            {"recommendations": [{"when": {"income": "huge"}, "say": "x"}]},
            "[recommendations.0.when] income: Input should be 'high'",
        ),
        ({"recommendations": [{"when": {}, "say": "x"}]}, "recommendations.0] when"),
        ({"recommendations": [{"when": {"income": "high"}}]}, "recommendations.0] say: is required"),
        ({"recommendations": [{"when": {"income": "high"}, "say": "x", "if": "1"}]}, "if: unknown key"),
        ({"output": {"report": "yes"}}, "[output] report"),
    ],
)
def test_segment_and_rule_config_mistakes_are_named(extra, message):
    with pytest.raises(ConfigError) as info:
        config(**extra)
    assert message in str(info.value)


def test_the_segments_config_has_documented_defaults():
    cfg = config()
    assert cfg.segments.threshold == 0.5 and cfg.segments.overrides() == {}
    assert cfg.recommendations == [] and cfg.output.report is True
    assert config(segments={"names": {"2": "VIPs"}}).segments.overrides() == {2: "VIPs"}


def test_labels_can_give_words_per_direction():
    words = {
        "visits": {"name": "visits a month", "high": "Frequent", "low": "Occasional"},
        "income": "income",
    }
    cfg = config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id", "labels": words}})
    texts = describe_segments(contrasts({1: (1.0, 0.0, 2.0), 2: (-1.0, 0.0, -2.0)}), config=cfg)
    assert texts[1].name == "Frequent · High income" and texts[2].name == "Occasional · Low income"
    assert texts[1].description.startswith("Visits a month well above the rest")


def test_direction_words_need_both_high_and_low():
    labels = {"visits": {"high": "Frequent"}}
    with pytest.raises(ConfigError, match=r"\[features.labels.visits\] low: is required"):
        config_from_dict({"features": {"entity": "id", "sql": "SELECT 1 AS id", "labels": labels}})
