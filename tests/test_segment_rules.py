"""Segments as SQL rules (issue 13, item 4): the `segment_rules` table and `export-sql --rules`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from sklearn.tree import DecisionTreeClassifier
from typer.testing import CliRunner

import segsql
from segsql.cli import app
from segsql.scoring.export import DIALECTS, export_sql
from segsql.scoring.rules import rule_words
from segsql.sql import quote_ident

from .frames import frame_config
from .postgres import load_frame, postgres_server

FEATURES = ("monetary", "frequency", "tenure")


def blobs(n: int = 900, seed: int = 3, names: tuple[str, ...] = FEATURES) -> pd.DataFrame:
    """Three overlapping groups, so that a depth-3 tree cannot catch every segment exactly."""
    rng = np.random.RandomState(seed)
    centres = np.array([[200.0, 2.0, 30.0], [1500.0, 9.0, 400.0], [700.0, 5.0, 900.0]])
    spread = np.array([250.0, 2.5, 220.0])
    group = rng.randint(0, 3, n)
    X = centres[group] + rng.normal(0, 1, (n, 3)) * spread
    frame = pd.DataFrame(X, columns=list(names))
    frame.insert(0, "id", np.arange(1, n + 1))
    return frame


def write_config(tmp: Path, frame: pd.DataFrame, *, k: int = 3, depth: int | None = None) -> Path:
    rules = f"[rules]\nmax_depth = {depth}\n" if depth is not None else ""
    return frame_config(tmp, frame, name="rules", sections=f"[model]\nk = {k}\n\n{rules}")


def leaf_segments(tree: DecisionTreeClassifier, X: np.ndarray) -> np.ndarray:
    """Each row's predicted segment by walking the tree's paths in float64 NumPy (no tree.predict,
    which compares in float32)."""
    t = tree.tree_
    node = np.zeros(len(X), dtype=np.int64)
    while True:
        inner = t.children_left[node] != -1
        if not inner.any():
            break
        rows = np.flatnonzero(inner)
        at = node[rows]
        go_left = X[rows, t.feature[at]] <= t.threshold[at]
        node[rows] = np.where(go_left, t.children_left[at], t.children_right[at])
    return tree.classes_[np.argmax(t.value[node][:, 0, :], axis=1)]


def test_rule_fidelity_and_precision_match_an_independent_numpy_evaluation_of_the_tree(tmp_path):
    frame = blobs()
    config = write_config(tmp_path, frame, depth=2)
    run = segsql.run(config)
    rules = run.tables["segment_rules"].sort("segment")
    labels = run.segments.to_pandas().set_index("id").loc[frame["id"], "segment"].to_numpy()

    X = frame[list(FEATURES)].to_numpy(float)
    tree = DecisionTreeClassifier(max_depth=2, random_state=42).fit(X, labels)
    predicted = leaf_segments(tree, X)
    for segment, fidelity, precision in rules.select("segment", "fidelity", "precision").iter_rows():
        members, caught = labels == segment, predicted == segment
        assert fidelity == pytest.approx((members & caught).sum() / members.sum(), abs=1e-12)
        expected = (members & caught).sum() / caught.sum() if caught.any() else None
        assert precision == (pytest.approx(expected, abs=1e-12) if expected is not None else None)
    # not a perfect fit: the numbers are measured, not assumed
    assert rules["fidelity"].min() < 1.0
    # and the rules themselves, run in DuckDB, give every row the segment of the tree's leaf
    with duckdb.connect() as con:
        con.register("segsql_input", frame)
        got = dict(con.execute(export_sql(config, rules=True)).fetchall())
    assert [got[i] for i in frame["id"]] == predicted.tolist()


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    yield from postgres_server()


@pytest.mark.service
def test_the_exported_postgres_rules_give_the_same_segment_per_row_as_duckdb(postgres, tmp_path):
    import psycopg

    frame = blobs(seed=11)
    config = write_config(tmp_path, frame, k=4)
    segsql.run(config)
    new = blobs(n=500, seed=12)
    new["id"] += 10_000
    new.loc[:9, "monetary"] = np.nan  # a NULL a rule needs: no segment, in both engines
    with duckdb.connect() as con:
        con.register("segsql_input", new)
        expected = dict(con.execute(export_sql(config, rules=True, dialect="duckdb")).fetchall())
    query = export_sql(config, rules=True, dialect="postgres")
    with psycopg.connect(postgres) as conn:
        load_frame(conn, "segsql_input", new, "id")
        with conn.cursor() as cur:
            cur.execute(query)
            assert [d.name for d in cur.description] == ["id", "segment"]
            got = dict(cur.fetchall())
    assert got == expected
    assert len(got) == len(new) and len(set(expected.values()) - {None}) > 1


HOSTILE = ('a"b', "x; DROP TABLE segments; --", "segment")


def test_hostile_feature_names_are_quoted_in_the_rules_and_their_export(tmp_path):
    frame = blobs(names=HOSTILE)
    config = write_config(tmp_path, frame)
    run = segsql.run(config)
    rules = run.tables["segment_rules"]
    text = " ".join(rules["rule_sql"].to_list())
    assert any(quote_ident(name) in text for name in HOSTILE)
    # every rule still runs where it was measured: the table is whole and measured
    assert rules.height == run.segments["segment"].n_unique()
    assert rules["fidelity"].min() > 0
    words = " ".join(rule_words(t) for t in rules["rule_sql"].to_list())
    assert any(f"{name} " in words for name in HOSTILE) and '""' not in words

    result = CliRunner().invoke(app, ["export-sql", str(config), "--rules", "--table", "segsql_input"])
    assert result.exit_code == 0, result.output
    with duckdb.connect() as con:
        con.register("segsql_input", frame)
        got = dict(con.execute(result.stdout).fetchall())
        assert con.execute("SELECT count(*) FROM segsql_input").fetchall() == [(len(frame),)]
    labels = dict(zip(run.segments["id"].to_list(), run.segments["segment"].to_list(), strict=True))
    agree = np.mean([got[i] == labels[i] for i in frame["id"]])
    fidelity = (rules["fidelity"] * run.segment_summary.sort("segment")["share"]).sum()
    assert agree == pytest.approx(fidelity, abs=1e-12)
    for dialect in DIALECTS:
        assert "DROP TABLE segments; --" in export_sql(config, rules=True, dialect=dialect)


def test_the_report_shows_each_segments_rule_in_plain_words_on_its_card(tmp_path):
    frame = blobs()
    config = write_config(tmp_path, frame)
    config.write_text(config.read_text().replace("report = false", "report = true"))
    run = segsql.run(config)
    assert run.report is not None
    html = run.report.read_text()
    for segment, text in run.tables["segment_rules"].select("segment", "rule_sql").iter_rows():
        card = html.split(f'id="segment-{segment}"', 1)[1].split("</section>", 1)[0]
        words = rule_words(text).replace(">", "&gt;")
        assert f"<strong>Rule:</strong> {words}" in card
        assert "≤" in words or "&gt;" in words
