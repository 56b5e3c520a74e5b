"""Score new transactions through a run's feature recipe: ``segsql score --transactions``.

A run made with the RFM recipe (``recipe = "rfm"``) keeps its config in
``runs.config``. Replaying it on a new transactions file is the recipe's own
code, not a copy: the file is registered as the run's transactions source
(the same reader options; only the path changes), the features step's
:func:`~segsql.steps.features.build_features` computes each entity's features
as a run would (``--as-of`` replacing ``[features.rfm] as_of``), and the
result is scored by :func:`segsql.scoring.score.score` exactly as a feature
file is. This module sits above the steps and the scoring layer, which know
nothing of each other's inputs.
"""

from __future__ import annotations

import glob
import json
import warnings
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl

from segsql import sql
from segsql.config import Config, as_config, config_from_text
from segsql.connection import connect
from segsql.errors import ConfigError, DatabaseError, SegsqlError, SegsqlWarning, SourceError
from segsql.scoring.saved import saved_model
from segsql.scoring.score import ScoreSummary
from segsql.scoring.score import score as score_rows
from segsql.sources import register_sources
from segsql.steps.features import build_features

__all__ = ["recipe_features", "score"]

# the temp view of the recipe's features, under the run's entity name (queries/scoring/recipe_rows.sql)
_ROWS = "segsql_recipe_rows"

AsOf = str | date | datetime


def score(
    config: Config | str | Path,
    *,
    input: str | Path | None = None,
    table: str | None = None,
    transactions: str | Path | None = None,
    as_of: AsOf | None = None,
    run_id: int | None = None,
    output: str | Path | None = None,
    into: str | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame | ScoreSummary:
    """Score the rows of ``input`` (a file), ``table``, or the entities of ``transactions``.

    ``input`` and ``table`` hold feature values: see :func:`segsql.scoring.score.score`.
    ``transactions`` is a file of new transactions, read as the run's transactions
    source is read; run ``run_id``'s RFM recipe (default: the latest successful run)
    computes each entity's features from it, at ``as_of`` when given (a date, or a date
    and time) or at the run's ``[features.rfm] as_of``, and they are scored as a feature
    file would be: the same columns, the same ``output`` and ``into``. Transactions the
    recipe leaves out (of no entity, without a timestamp, without an amount) are told as
    a :class:`~segsql.errors.SegsqlWarning`, one for all of them, as a run records them.
    """
    config = as_config(config)
    if [input, table, transactions].count(None) != 2:
        raise SegsqlError("score: give exactly one of an input file or a table, or a transactions file")
    if transactions is None:
        if as_of is not None:
            raise SegsqlError(
                "score: as_of (--as-of) is the date to compute a transactions file's features at: "
                "give the file with transactions= (--transactions)"
            )
        return score_rows(config, input=input, table=table, run_id=run_id, output=output, into=into, con=con)
    with connect(config, con, read_only=into is None) as db:
        run = _recipe_rows(db, config, transactions, run_id=run_id, as_of=as_of)
        return score_rows(config, table=_ROWS, run_id=run, output=output, into=into, con=db)


def recipe_features(
    config: Config | str | Path,
    *,
    transactions: str | Path,
    as_of: AsOf | None = None,
    run_id: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pl.DataFrame:
    """The features run ``run_id``'s recipe computes from ``transactions``, one row per entity.

    The entity column under its own name, then the recipe's feature columns in
    original units, in entity order: what the ``features`` table holds for a run
    over the same transactions, and what ``score(transactions=…)`` scores.
    """
    config = as_config(config)
    with connect(config, con, read_only=True) as db:
        _recipe_rows(db, config, transactions, run_id=run_id, as_of=as_of)
        return sql.relation(db, "scoring/recipe_features").pl()


def _recipe_rows(
    con: duckdb.DuckDBPyConnection,
    config: Config,
    transactions: str | Path,
    *,
    run_id: int | None,
    as_of: AsOf | None,
) -> int:
    """Create ``segsql_recipe_rows`` from the transactions file; return the run whose recipe made it."""
    model = saved_model(con, schema=config.schema, run_id=run_id)
    path = Path(transactions).expanduser()
    if not glob.glob(str(path)) and not path.exists():
        raise SourceError(f"{path}: file not found")
    recipe = _recipe_config(con, config, model.run_id, path.resolve(), as_of)
    assert recipe.features.rfm is not None
    key = recipe.features.rfm.source
    # the source view is named after the run's source key: never in place of a caller's own object
    taken = {name.lower() for _, name in sql.execute(con, "connection/temp_objects").fetchall()}
    if key.lower() in taken:
        raise DatabaseError(
            f"con=: the connection has its own temporary object {key!r}, which the transactions "
            f"source [sources.{key}] of run {model.run_id} would replace: rename it"
        )
    register_sources(con, recipe)
    features = build_features(con, recipe)
    # what a run over these transactions would record (those of no entity, or without a
    # timestamp or an amount, left out): the scored rows have no field for it
    for warning in features.warnings:
        warnings.warn(warning, SegsqlWarning, stacklevel=3)
    sql.execute(con, "scoring/recipe_rows", entity=model.entity)
    return model.run_id


def _recipe_config(
    con: duckdb.DuckDBPyConnection, config: Config, run_id: int, path: Path, as_of: AsOf | None
) -> Config:
    """Run ``run_id``'s stored config with its transactions source reading ``path`` instead.

    The source keeps its reader options (delimiter, formats, column types …) and
    its format when it named one for a file; a table or a lake source becomes the
    file. The other sources are left out: the recipe reads only its own.
    """
    cursor = sql.execute(con, "scoring/run_config", {"run_id": run_id}, schema=config.schema)
    run = dict(zip([d[0] for d in cursor.description], cursor.fetchall()[0], strict=True))
    try:
        stored = config_from_text(run["config"] or "", base_dir=config.base_dir, path=config.path)
    except ConfigError as exc:
        raise DatabaseError(
            f"run {run_id}: its stored config cannot be read by this segsql ({exc}), so its recipe "
            "cannot be replayed"
        ) from None
    f = stored.features
    if f.recipe != "rfm" or f.rfm is None:
        raise SegsqlError(
            f'--transactions: run {run_id} did not use the RFM recipe (recipe = "rfm" with a '
            "[features.rfm] section), so there is no recipe to compute features from transactions: "
            "score a file of its features with --input, or a table with --table"
        )
    data = stored.to_dict()
    source = dict(data["sources"].get(f.rfm.source, {}))
    for key in ("table", "version", "timestamp", "catalog", "snapshot_id"):
        source.pop(key, None)
    if source.get("format") in ("delta", "iceberg"):
        source.pop("format")
    data["sources"] = {f.rfm.source: {**source, "path": str(path)}}
    # the dates in it are written as ISO text, which the config reads back as the same dates
    recipe = config_from_text(json.dumps(data, default=str), base_dir=config.base_dir, path=config.path)
    # the date the run computed its features at (`segsql run --as-of` does not change the stored
    # text), unless the caller gives another
    as_of = as_of if as_of is not None else run.get("as_of")
    return recipe if as_of is None else recipe.with_as_of(as_of)
