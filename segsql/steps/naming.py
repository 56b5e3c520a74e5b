"""Segment names, descriptions and recommendations, from each segment's contrasts with the rest.

A contrast is measured where the model measured distances: ``z`` is the
standardized difference of the segment's mean from the rest's in the scaled
space (``profiles.z_model``, after transform and winsorizing), so a spend the
model saw on a log scale is judged on it too; the numbers the words quote stay
in original units, and a gap of :data:`RATIO`× or more is said as a ratio.

A categorical feature's level speaks in shares: a segment where a level's
share is at least :data:`MOSTLY_SHARE` and its lift over the rest at least
:data:`MOSTLY_LIFT` (and the contrast notable) may be named "Mostly PhD"; no
other level contrast names a segment (a segment is never named after a level
it merely has fewer of, nor after the "(other)" group), and the descriptions
say a notable level's share against the rest's ("Education: PhD for 62%
(against 21% for the rest)").

Everything here is a pure function of the ``profiles`` rows of a run and the
config, so the same data and config give the same words every time. Rules are
data (a feature → level table), never code: there is nothing to evaluate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from segsql import sql
from segsql.config import Config, LabelWords, RuleConfig
from segsql.session import Session

__all__ = [
    "Contrast",
    "Names",
    "SegmentText",
    "check",
    "check_rules",
    "describe_segments",
    "feature_noun",
    "name_segments",
    "ratio_words",
    "texts_frame",
]

# [features.labels]: a word per feature, or words per direction
Labels = dict[str, str | LabelWords]

# a feature sets a segment far apart ("well above") at this many overall standard deviations
_FAR_Z = 1.0
# below this a difference is noise, too slight even to tell two "Typical" segments apart
_SLIGHT_Z = 0.1
# a notable contrast whose mean is this many times the rest's (or at most 1/RATIO of it), both
# positive, in original units, is said as a ratio ("50× the rest", "a quarter of the rest"):
# "well above" undersells a skewed feature, and a smaller ratio reads better as above/below
RATIO = 3.0
# "Mostly <level>": at least this share of the segment (its weight, with [features] weight) has the
# level, and that share is at least MOSTLY_LIFT times the rest's: a majority, and clearly its own
MOSTLY_SHARE = 0.5
MOSTLY_LIFT = 1.5


@dataclass(frozen=True)
class Contrast:
    """One segment × feature row of ``profiles``: the segment's mean against everyone's.

    ``z`` is the contrast in the model's space (``profiles.z_model``); ``rest_mean``
    is the mean of every other row in original units (None: not known, no ratio said).
    """

    segment: int
    feature: str
    mean: float | None
    overall_mean: float | None
    z: float | None
    rest_mean: float | None = None
    # an indicator column of a categorical feature: its column, its level (None: the "(other)"
    # group of the rarer levels), the segment's share at the level and its lift over the rest
    # (None: no other row has the level); all None for a numeric feature
    source_column: str | None = None
    level: str | None = None
    share: float | None = None
    lift: float | None = None

    @property
    def mostly(self) -> bool:
        """Whether the segment is "mostly" this level (see :data:`MOSTLY_SHARE`, :data:`MOSTLY_LIFT`)."""
        if self.source_column is None or self.level is None or self.share is None:
            return False
        return self.share >= MOSTLY_SHARE and (self.lift is None or self.lift >= MOSTLY_LIFT)


@dataclass(frozen=True)
class SegmentText:
    """What ``segment_summary`` says about a segment."""

    name: str
    description: str
    recommendation: str | None  # None: no [[recommendations]] rule matched


@dataclass(frozen=True)
class Names:
    """The temp table ``segsql_segment_summary``: each segment's size, share, words and p99 distance."""

    relation: str
    texts: dict[int, SegmentText]


def check(session: Session, results: Mapping[str, Any]) -> None:
    """A step of the checks ``validate`` runs: every rule names a feature of the run."""
    check_rules(session.config, results["features"].columns)


def name_segments(session: Session, results: Mapping[str, Any]) -> Names:
    """The names step: words for each segment from its contrasts in ``segsql_profiles``."""
    features = list(results["preprocess"].columns)
    rows = sql.execute(session.con, "profiles/contrasts", {"features": features}).fetchall()
    texts = describe_segments(
        [Contrast(*row) for row in rows], config=session.config, keep=_continuing_names(session, results)
    )
    summary = "profiles/summary" if results["features"].weight is None else "profiles/summary_weighted"
    if session.engine == "spark":  # the sizes and p99 distances Spark computed (segsql.spark.profiles)
        summary = "spark/summary"
    with sql.registered(session.con, "segsql_names_in", texts_frame(texts)):
        sql.execute(session.con, summary)
    if session.has("stability"):  # [lifecycle] stability: each segment's mean Jaccard
        sql.execute(session.con, "stability/summary", stability=session.relation("stability"))
    session.leave("segment_summary", "segsql_segment_summary")
    return Names(relation="segsql_segment_summary", texts=texts)


def _continuing_names(session: Session, results: Mapping[str, Any]) -> dict[int, str]:
    """The previous run's names of the segments that continue in this one (the lifecycle step)."""
    identities = results.get("lifecycle")
    if identities is None or identities.previous_run_id is None or not identities.events:
        return {}
    previous = dict(
        sql.execute(
            session.con,
            "lifecycle/previous_names",
            {"run_id": identities.previous_run_id},
            summary=(session.schema, "segment_summary"),
        ).fetchall()
    )
    return {
        s: previous[s]
        for s, event in zip(identities.segments, identities.events, strict=True)
        if event == "continued" and previous.get(s)
    }


def check_rules(config: Config, columns: Sequence[str]) -> None:
    """Every feature a ``[[recommendations]]`` rule names must be one of the run's features."""
    for i, rule in enumerate(config.recommendations):
        for feature in rule.when:
            if feature not in columns:
                raise config.error(
                    f"{feature!r} is not a feature of this run ({', '.join(columns)})",
                    key=f"recommendations.{i}.when",
                )


def describe_segments(
    contrasts: Iterable[Contrast], *, config: Config, keep: Mapping[int, str] | None = None
) -> dict[int, SegmentText]:
    """Name, describe and recommend for each segment.

    Names come from a segment's strongest contrasts (``|z| >= [segments]
    threshold``), two at most, in ``[features.labels]`` words ("Typical" when
    none is that strong); names that would be equal take the next contrast,
    then the segment number. ``[segments.names]`` overrides a name. The
    recommendation is the ``say`` of the first ``[[recommendations]]`` rule
    whose every condition holds, else None (nothing is said: the description
    already says what sets the segment apart). ``keep`` holds the previous
    run's names of segments that continue: such a segment keeps its name while
    every part of it still names one of its notable contrasts (and no other
    segment has it), so a rerun does not rename "Low web visits · Big spenders"
    to "Big spenders · Low web visits".
    """
    by_segment: dict[int, list[Contrast]] = {}
    for row in contrasts:
        by_segment.setdefault(row.segment, []).append(row)
    threshold = config.segments.threshold
    labels = config.features.labels
    overrides = config.segments.overrides()
    unknown = sorted(set(overrides) - set(by_segment))
    if unknown:
        raise config.error(
            f"segment {unknown[0]} does not exist: this run has {len(by_segment)} segments",
            key=f"segments.names.{unknown[0]}",
        )
    # strongest first; ties keep the config order of the features (rows arrive in it)
    ranked = {
        s: [r for _, r in sorted(enumerate(rows), key=lambda ir: (-abs(ir[1].z or 0.0), ir[0]))]
        for s, rows in sorted(by_segment.items())
    }
    # what may name a segment: its numeric contrasts, and the levels it is "mostly"
    nameable = {
        s: [r for r in rows if r.source_column is None or (r.mostly and abs(r.z or 0.0) >= threshold)]
        for s, rows in ranked.items()
    }
    names = _unique_names(nameable, labels=labels, threshold=threshold, overrides=overrides)
    for segment, old_name in (keep or {}).items():
        if segment not in ranked or segment in overrides:
            continue
        holds = {_part(r, labels, notable=True) for r in nameable[segment] if abs(r.z or 0.0) >= threshold}
        taken = {n for s, n in names.items() if s != segment}
        if set(old_name.split(" · ")) <= holds and old_name not in taken:
            names[segment] = old_name
    texts = {}
    for segment, rows in ranked.items():
        description = _description(rows, labels=labels, threshold=threshold)
        rule = _first_match(config.recommendations, rows, threshold=threshold)
        texts[segment] = SegmentText(
            name=names[segment],
            description=description,
            recommendation=rule.say if rule else None,
        )
    return texts


def texts_frame(texts: dict[int, SegmentText]) -> pa.Table:
    """The texts as a frame to register for ``profiles/segment_summary.sql``."""
    return pa.table(
        {
            "segment": pa.array(list(texts), type=pa.int32()),
            "name": [t.name for t in texts.values()],
            "description": [t.description for t in texts.values()],
            # typed: a run where no rule matches any segment has a column of NULLs, still text
            "recommendation": pa.array([t.recommendation for t in texts.values()], type=pa.string()),
        }
    )


def feature_noun(feature: str, labels: Labels) -> str:
    """A feature in words: its ``[features.labels]`` string, or the ``name`` of its words."""
    label = labels.get(feature)
    if isinstance(label, LabelWords):
        return label.name or feature
    return label or feature


def _part(row: Contrast, labels: Labels, *, notable: bool) -> str:
    if row.source_column is not None:  # only a "mostly" level reaches a name
        return _mostly_words(row, labels)
    above = (row.z or 0.0) > 0
    words = labels.get(row.feature)
    if isinstance(words, LabelWords):
        word = words.high if above else words.low
        return word if notable else f"slightly {word[:1].lower()}{word[1:]}"
    level = ("High" if above else "Low") if notable else ("slightly high" if above else "slightly low")
    return f"{level} {feature_noun(row.feature, labels)}"


def _mostly_words(row: Contrast, labels: Labels) -> str:
    """The name part of a level a segment is mostly: "Mostly PhD".

    A level that is a bare number says its column ("Mostly Kidhome 1"). A
    ``[features.labels]`` string for the indicator column names the level
    ("Mostly doctors"); its words (``high = …``) replace the whole part.
    """
    words = labels.get(row.feature)
    if isinstance(words, LabelWords):
        return words.high
    if words:
        return f"Mostly {words}"
    level = row.level or ""
    if _is_number(level):
        return f"Mostly {feature_noun(row.source_column or '', labels)} {level}"
    return f"Mostly {level}"


def _is_number(text: str) -> bool:
    """
    >>> _is_number("2"), _is_number("-1.5"), _is_number("PhD"), _is_number("nan")
    (True, True, False, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return text.strip().lower() not in ("nan", "inf", "-inf", "infinity", "-infinity")


def _percent(share: float | None) -> str:
    """
    >>> _percent(0.623), _percent(0.025), _percent(0.0004), _percent(None), _percent(-2e-17)
    ('62%', '2.5%', '0.04%', 'n/a', '0%')
    """
    if share is None:
        return "n/a"
    if abs(share) < 1e-9:  # a share of the rest computed as a difference of sums: rounding, not rows
        return "0%"
    value = share * 100
    return f"{value:.0f}%" if abs(value) >= 10 else f"{value:.2g}%"


def _level_phrase(row: Contrast, labels: Labels) -> str:
    """A level's share against the rest's: "Education: PhD for 62% (against 21% for the rest)"."""
    level = "other levels" if row.level is None else row.level
    return (
        f"{feature_noun(row.source_column or '', labels)}: {level} for {_percent(row.share)} "
        f"(against {_percent(row.rest_mean)} for the rest)"
    )


def _one_level_per_column(rows: list[Contrast]) -> list[Contrast]:
    """A categorical column's levels are one feature: the description says one of them, the
    strongest the segment has more of (else the strongest it has less of), where it ranks.

    >>> rows = [Contrast(1, "E=a", 0.0, 0.5, -1.2, 0.6, "E", "a", 0.0, 0.0),
    ...         Contrast(1, "x", 1.0, 0.0, 1.0), Contrast(1, "E=b", 0.7, 0.3, 0.9, 0.2, "E", "b", 0.7, 3.5)]
    >>> [r.feature for r in _one_level_per_column(rows)]
    ['x', 'E=b']
    """
    chosen: dict[str, Contrast] = {}
    for r in rows:
        if r.source_column is None:
            continue
        best = chosen.get(r.source_column)
        if best is None or ((r.z or 0.0) > 0 and (best.z or 0.0) <= 0):
            chosen[r.source_column] = r
    return [r for r in rows if r.source_column is None or chosen[r.source_column] is r]


def _unique_names(
    ranked: dict[int, list[Contrast]],
    *,
    labels: Labels,
    threshold: float,
    overrides: dict[int, str],
) -> dict[int, str]:
    notable = {s: sum(abs(r.z or 0.0) >= threshold for r in rows) for s, rows in ranked.items()}
    usable = {
        s: sum(abs(r.z or 0.0) >= min(_SLIGHT_Z, threshold) for r in rows) for s, rows in ranked.items()
    }
    depth = {s: min(2, notable[s]) for s in ranked}

    def name(segment: int) -> str:
        parts = [
            _part(r, labels, notable=i < notable[segment])
            for i, r in enumerate(ranked[segment][: depth[segment]])
        ]
        return " · ".join(parts if notable[segment] else ["Typical", *parts])

    names = {s: name(s) for s in ranked}
    # equal names take one more contrast each (notable ones first, then the slight ones),
    # while any of them has one more to give
    while True:
        clashes = _clashes(names, overrides)
        growing = [s for s in clashes if depth[s] < usable[s]]
        if not growing:
            break
        for s in growing:
            depth[s] += 1
            names[s] = name(s)
    for s in _clashes(names, overrides):
        names[s] = f"{names[s]} ({s})"
    names.update(overrides)
    return names


def _clashes(names: dict[int, str], overrides: dict[int, str]) -> list[int]:
    """Segments (not overridden) whose name another segment also has."""
    final = {**names, **overrides}
    counts: dict[str, int] = {}
    for value in final.values():
        counts[value] = counts.get(value, 0) + 1
    return [s for s, value in names.items() if s not in overrides and counts[value] > 1]


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ratio_words(mean: float | None, rest_mean: float | None) -> str | None:
    """A segment's mean against the rest's as a ratio, when it is at least :data:`RATIO` either way.

    >>> ratio_words(2050.0, 41.0), ratio_words(4.5, 1.0), ratio_words(10.0, 40.0), ratio_words(2.0, 1.0)
    ('50× the rest', '4.5× the rest', 'a quarter of the rest', None)
    >>> ratio_words(1.0, 30.0), ratio_words(5.0, 0.0), ratio_words(-9.0, -1.0)
    ('1/30 of the rest', None, None)
    """
    if mean is None or rest_mean is None or mean <= 0 or rest_mean <= 0:
        return None  # a ratio of a sign-changing or zero quantity says nothing
    ratio = mean / rest_mean
    if ratio >= RATIO:
        times = f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}".removesuffix(".0")
        return f"{times}× the rest"
    if ratio <= 1 / RATIO:
        parts = round(1 / ratio)
        return {3: "a third", 4: "a quarter"}.get(parts, f"1/{parts}") + " of the rest"
    return None


def _description(rows: list[Contrast], *, labels: Labels, threshold: float) -> str:
    """Plain words for what sets a segment apart, strongest first.

    >>> rows = [Contrast(1, "income", 117.9, 65.7, 1.9), Contrast(1, "visits", 8.4, 11.3, -0.6)]
    >>> _description(rows, labels={}, threshold=0.5)
    'Income well above the rest (117.9 against 65.7 overall), visits below (8.40 against 11.3).'
    >>> _description([Contrast(1, "cash", 2050.0, 80.0, 2.4, 41.0)], labels={}, threshold=0.5)
    'Cash 50× the rest (2,050 against 41.0 for the rest).'
    """
    notable = _one_level_per_column([r for r in rows if abs(r.z or 0.0) >= threshold])
    if not notable:
        first = rows[0] if rows else None
        if first is None or not first.z:
            return "Close to the overall average on every feature."
        if first.source_column is not None:
            said = _level_phrase(first, labels)
            return f"Close to the overall average on every feature; the largest difference: {said}."
        side = "a little above" if first.z > 0 else "a little below"
        return (
            f"Close to the overall average on every feature; the largest difference: "
            f"{feature_noun(first.feature, labels)} {side} ({_number(first.mean)} against "
            f"{_number(first.overall_mean)} overall)."
        )
    phrases = []
    for i, r in enumerate(notable):
        z = r.z or 0.0
        if r.source_column is not None:
            phrases.append(_level_phrase(r, labels))
            continue
        ratio = ratio_words(r.mean, r.rest_mean)
        if ratio is not None:
            phrases.append(
                f"{feature_noun(r.feature, labels)} {ratio} ({_number(r.mean)} against "
                f"{_number(r.rest_mean)} for the rest)"
            )
            continue
        side = ("well " if abs(z) >= _FAR_Z else "") + ("above" if z > 0 else "below")
        where = " the rest" if i == 0 else ""
        overall = " overall" if i == 0 else ""
        phrases.append(
            f"{feature_noun(r.feature, labels)} {side}{where} "
            f"({_number(r.mean)} against {_number(r.overall_mean)}{overall})"
        )
    text = ", ".join(phrases) + "."
    return text[0].upper() + text[1:]


def _holds(level: str, z: float | None, threshold: float) -> bool:
    z = z or 0.0  # a constant feature (z NULL) is typical of every segment
    return {
        "high": z >= threshold,
        "low": z <= -threshold,
        "above": z > 0,
        "below": z < 0,
        "typical": abs(z) < threshold,
    }[level]


def _first_match(rules: Sequence[RuleConfig], rows: list[Contrast], *, threshold: float) -> RuleConfig | None:
    z = {r.feature: r.z for r in rows}
    for rule in rules:
        if all(_holds(level, z.get(feature), threshold) for feature, level in rule.when.items()):
            return rule
    return None
