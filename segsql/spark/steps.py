"""The Spark forms of the row-level steps: sources, features, preprocess, matrix, model.

Each returns what its DuckDB form returns (:class:`segsql.sources.Sources`,
:class:`segsql.steps.features.Features`, …) and leaves the same relations in
the DuckDB session, as views over what Spark staged as Parquet (``features``,
``scaled``) or a table read from it (``labels``, which later steps update),
so the steps after them do not know which engine ran.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from segsql import sql
from segsql.config import Config, config_from_dict
from segsql.errors import ConfigError, DataError, QueryError, SegsqlError, SourceError
from segsql.scoring.replay import named_table, replay_query
from segsql.scoring.saved import SavedModel
from segsql.session import Matrix, Session
from segsql.sources import Sources, _file_print, _files
from segsql.spark import sql as spark_sql
from segsql.spark.output import SparkRun
from segsql.steps import matrix as matrix_rows
from segsql.steps import preprocess as duck_preprocess
from segsql.steps.features import Features, build_features, count_distinct_points, judge_transactions
from segsql.steps.fit import warm
from segsql.steps.fit.in_memory import fit_matrix
from segsql.steps.fit.result import FitResult, Prepared, renumber
from segsql.steps.fit.sweep import silhouette, sweep_k, usable_ks
from segsql.steps.preprocess import Preprocessed, transform_params

__all__ = ["features", "fit", "prepare", "preprocess", "sources"]

_FORMATS = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}
_FORMATS |= {".json": "json", ".jsonl": "json", ".ndjson": "json"}
# the DuckDB view of the feature query's result, as Spark wrote it
_USER = "segsql_spark_user_features"


def _run(session: Session) -> SparkRun:
    run = session.spark
    assert isinstance(run, SparkRun), "segsql.spark.engine.use_spark sets it"
    return run


# --- sources -------------------------------------------------------------------------------------


def sources(session: Session, results: Mapping[str, Any]) -> Sources:  # noqa: ARG001
    """Each ``[sources.X]`` as the Spark temp view ``X``; what each read, and its fingerprint."""
    run, config = _run(session), session.config
    existing = {t.name.lower() for t in run.spark.catalog.listTables() if t.isTemporary}
    targets: dict[str, str] = {}
    prints: dict[str, dict[str, Any]] = {}
    for key in config.sources:
        where = f"[sources.{key}]"
        if key.lower() in existing and key not in run.views:
            raise SourceError(
                f"{where}: the Spark session already has a temp view {key!r}; segsql will not replace it "
                "(rename the source)"
            )
        target, df, prints[key] = _read(run.spark, config, key)
        try:
            empty = df.limit(1).count() == 0
        except Exception as exc:
            if not spark_sql.is_spark_error(exc):
                raise
            raise SourceError(f"{target}: cannot read {where} ({spark_sql.first_line(exc)})") from None
        if empty:
            raise SourceError(f"{target}: the source {where} has no rows")
        try:
            run.view(df, key)
        except Exception as exc:
            if not spark_sql.is_spark_error(exc):
                raise
            raise config.error(
                f"Spark cannot name a temp view so ({spark_sql.first_line(exc)}): rename the source",
                f"sources.{key}",
            ) from None
        targets[key] = target
    return Sources(targets=targets, fingerprint=prints)


def _read(spark: Any, config: Config, key: str) -> tuple[str, Any, dict[str, Any]]:
    source = config.sources[key]
    where = f"[sources.{key}]"
    if source.format == "iceberg":
        raise config.error(
            'an Iceberg table cannot be read under engine = "spark" (its Spark runtime is not '
            "installed): read it with the DuckDB engine",
            f"sources.{key}.format",
        )
    try:
        if source.format == "delta":
            return _read_delta(spark, config, key)
        if source.table is not None:
            df = spark.table(spark_sql.quote(tuple(sql.split_name(source.table))))
            return source.table, df, {"table": source.table}
        path = str(config.resolve(source.path or ""))
        if not glob.glob(path) and not Path(path).exists():
            raise SourceError(f"{path}: file not found ({where} path = {source.path!r})")
        if Path(path).is_dir():  # a folder of Parquet files, key=value/ subfolders as columns
            files = sorted(glob.glob(str(Path(path) / "**" / "*.parquet"), recursive=True))
            return path, spark.read.parquet(path), {"files": [_file_print(f) for f in files]}
        kind = source.format or _format(path)
        reader = spark.read
        if kind == "csv":
            sep = "\t" if path.lower().endswith((".tsv", ".tsv.gz")) else ","
            df = reader.csv(path, header=True, inferSchema=True, sep=sep)
        elif kind == "json":
            first = Path(_files(path)[0]).read_text(encoding="utf-8", errors="replace")[:1].strip()
            df = reader.json(path, multiLine=first == "[")
        else:
            df = reader.parquet(path)
        return path, df, {"files": [_file_print(f) for f in _files(path)]}
    except SegsqlError:
        raise
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise SourceError(f"{where}: Spark cannot read it ({spark_sql.first_line(exc)})") from None


def _format(path: str) -> str:
    for suffix in reversed([s.lower() for s in Path(path).suffixes if s.lower() not in {".gz", ".zst"}]):
        if suffix in _FORMATS:
            return _FORMATS[suffix]
    return "csv"


def _read_delta(spark: Any, config: Config, key: str) -> tuple[str, Any, dict[str, Any]]:
    """A Delta table through the files deltalake lists (Spark's Delta runtime is not installed)."""
    from deltalake import DeltaTable
    from deltalake.exceptions import DeltaError, TableNotFoundError

    source = config.sources[key]
    where = f"[sources.{key}]"
    path = str(config.resolve(source.path or ""))
    try:
        table = DeltaTable(path)
        if source.version is not None:
            table.load_as_version(source.version)
        elif source.timestamp is not None:
            table.load_as_version(source.timestamp)
    except TableNotFoundError:
        raise SourceError(f"{path}: no Delta table there ({where} path = {source.path!r})") from None
    except (DeltaError, OSError, ValueError) as exc:
        raise SourceError(f"{path}: cannot read the Delta table ({exc})") from None
    features = set(table.protocol().reader_features or ())
    if features & {"deletionVectors", "columnMapping"} or table.metadata().partition_columns:
        what = sorted(features & {"deletionVectors", "columnMapping"}) or ["partition columns"]
        raise SourceError(
            f"{where}: the Delta table at {path} uses {', '.join(what)}, which its data files alone do not "
            'carry: read it with the DuckDB engine under engine = "spark" it cannot be read'
        )
    files = table.file_uris()
    if not files:
        raise SourceError(f"{path}: the source {where} has no rows")
    return path, spark.read.parquet(*files), {"delta": path, "version": table.version()}


# --- features ------------------------------------------------------------------------------------


def features(session: Session, results: Mapping[str, Any]) -> Features:  # noqa: ARG001
    """The feature query (or the RFM recipe's Spark form) in Spark, checked as the DuckDB engine checks it.

    Spark's result is staged as Parquet; the DuckDB engine's own checks
    (:func:`segsql.steps.features.build_features`) then run over it, so a
    Spark run refuses exactly what a DuckDB run refuses, naming the same
    columns and ids.
    """
    run, config = _run(session), session.config
    f = config.features
    warnings: tuple[str, ...] = ()
    dropped = 0
    if f.recipe == "rfm":
        assert f.rfm is not None
        origin = f"[features.rfm] over source {f.rfm.source!r}"
        df, warnings, dropped = _rfm(run, config, origin)
    else:
        origin, text = _user_text(config)
        wrapper = sql.load("spark/user_query")
        wrapper = "\n".join(line for line in wrapper.splitlines() if not line.startswith("--"))
        # the user's text is the one piece of SQL placed unquoted, and only inside FROM ( … )
        query = wrapper.replace("{{ user_query }}", text.strip().rstrip(";").rstrip() + "\n")
        try:
            df = run.spark.sql(query)
        except Exception as exc:
            if not spark_sql.is_spark_error(exc):
                raise
            raise QueryError(spark_sql.first_line(exc), query=origin, sql=text) from None
    files = _stage(run, df, "user_features", origin)
    sql.execute(session.con, "spark/staged", view=_USER, files=files)
    checked = _checked(session, config, origin)
    session.leave("features", "segsql_features")
    n_distinct = count_distinct_points(session.con, checked.columns, checked.n_rows)
    # Spark's features: what the preprocessing reads, from the staged rows (the query ran once)
    user = run.spark.read.parquet(str(Path(files).parent))
    run.view(user, "segsql_user_features")
    name = checked.entity if f.recipe != "rfm" else "segsql_entity"
    run.view(spark_sql.run(run.spark, "features", columns=checked.columns, entity=name), "segsql_features")
    return replace(checked, n_distinct=n_distinct, warnings=warnings, dropped_entities=dropped, origin=origin)


def _user_text(config: Config) -> tuple[str, str]:
    f = config.features
    if f.file is not None:
        path = config.resolve(f.file)
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise config.error(
                f"cannot read feature query {path} ({exc.strerror})", "features.file"
            ) from None
    return f"{config.name}: [features] sql", f.sql or ""


def _stage(run: SparkRun, df: Any, name: str, origin: str) -> str:
    try:
        return run.stage(df, name)
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise QueryError(spark_sql.first_line(exc), query=origin) from None


def _checked(session: Session, config: Config, origin: str) -> Features:
    """The DuckDB engine's checks of the feature table, over the staged rows, under their own origin."""
    data = config.to_dict()
    features = dict(data["features"])
    for key in ("recipe", "rfm", "file"):
        features.pop(key, None)
    features["sql"] = f"SELECT * FROM {sql.quote_ident(_USER)}"
    if config.features.recipe == "rfm":
        # the recipe's result keeps its entity as segsql_entity too, as the DuckDB engine's does
        # (the features output table reads it there), and its features are the recipe's columns
        features["sql"] = (
            f"SELECT segsql_entity AS {sql.quote_ident(config.features.entity)}, * "
            f"FROM {sql.quote_ident(_USER)}"
        )
        if not features.get("columns"):
            staged = session.con.table(_USER).columns  # the relation API: no SQL text
            features["columns"] = [name for name in staged if name != "segsql_entity"]
    data["features"] = features
    stand_in = config_from_dict(data, base_dir=config.base_dir)
    said = f"{stand_in.name}: [features] sql"
    try:
        checked = build_features(session.con, stand_in)
    except DataError as exc:
        raise DataError(str(exc).replace(said, origin)) from None
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None
    except ConfigError as exc:
        raise config.error(exc.reason, exc.key) from None
    return checked


def _rfm(run: SparkRun, config: Config, origin: str) -> tuple[Any, tuple[str, ...], int]:
    """The RFM recipe in Spark SQL; the warnings and dropped entities the DuckDB engine reports."""
    rfm = config.features.rfm
    assert rfm is not None
    if rfm.source not in config.sources:
        raise config.error(f"no source named {rfm.source!r}", "features.rfm.source")
    spark = run.spark
    source = spark.table(spark_sql.quote(rfm.source))
    named = [(config.features.entity, "entity"), (rfm.timestamp, "rfm.timestamp")]
    named += [(rfm.amount, "rfm.amount")] if rfm.amount is not None else []
    for column, key in named:
        if column not in source.columns:
            raise config.error(
                f"{column!r} is not a column of source {rfm.source!r} (columns: {', '.join(source.columns)})",
                f"features.{key}",
            )
    has_amount = rfm.amount is not None
    instant = dict(source.dtypes)[rfm.timestamp] == "timestamp"
    names = {"source": rfm.source, "entity": config.features.entity, "timestamp": rfm.timestamp}
    names |= {"amount": rfm.amount} if has_amount else {}
    params = {"has_amount": has_amount}
    try:
        transactions = spark_sql.run(
            spark,
            "transactions" if has_amount else "transactions_no_amount",
            {"time_zone": rfm.time_zone, "instant": instant},
            **names,
        )
        run.view(transactions, "segsql_transactions")
        counts = tuple(spark_sql.run(spark, "transactions_summary", params).collect()[0])
    except QueryError as exc:
        raise QueryError(exc.reason, query=origin) from None
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise QueryError(spark_sql.first_line(exc), query=origin) from None
    warnings, dropped = judge_transactions(
        config,
        origin=origin,
        source=rfm.source,
        counts=counts,
        count_dropped=lambda: spark_sql.run(spark, "unusable_entities", params).collect()[0][0],
    )
    # the order days (a DISTINCT and a window over every transaction) only when asked for
    full = any(name.startswith("interpurchase") for name in rfm.feature_names)
    df = spark_sql.run(
        spark,
        "rfm" if full else "rfm_basic",
        {"as_of": rfm.as_of.isoformat(sep=" "), "has_amount": has_amount, "trend_days": rfm.trend_days},
        columns=rfm.feature_names,
    )
    return df, warnings, dropped


# --- preprocess ----------------------------------------------------------------------------------


def preprocess(session: Session, results: Mapping[str, Any]) -> Preprocessed:
    """``[preprocess]`` fitted in Spark SQL by the DuckDB engine's rules; the scaled rows staged."""
    run, config = _run(session), session.config
    feats: Features = results["features"]
    pre = config.preprocess
    columns = list(feats.columns)
    if pre.impute == "error":
        for column, n_null in zip(columns, feats.null_counts, strict=True):
            if n_null:
                raise DataError(
                    f"{feats.origin}: feature column {column!r} has {n_null} NULLs and [preprocess] "
                    'impute = "error" (choose mean, median, zero or drop)'
                )
    drop = pre.impute == "drop"
    transforms = [config.features.transforms.get(c, "none") for c in columns]
    # the DuckDB steps after this one (diagnostics, drift, the map) apply the preprocessing's macros
    sql.execute(session.con, "preprocess/macros")
    params: dict[str, Any] = {"drop": drop, "impute": pre.impute}
    row = _one_row(run, "impute_values", params, columns)
    n_rows = row["n_rows"]
    if n_rows == 0:
        raise DataError(f"{feats.origin}: no rows are left after dropping rows with NULL features")
    impute = [_float(row[f"impute_{i}"]) for i in range(len(columns))]
    params |= transform_params(
        origin=feats.origin,
        columns=columns,
        transforms=transforms,
        minimums=[row[f"min_{i}"] for i in range(len(columns))],
        impute=impute,
    )
    lows: list[float | None] = [None] * len(columns)
    highs: list[float | None] = [None] * len(columns)
    varies = [True] * len(columns)
    if pre.winsorize:
        bounds = _one_row(
            run, "clip_bounds", params | {"low": pre.winsorize[0], "high": pre.winsorize[1]}, columns
        )
        lows = [_float(bounds[f"low_{i}"]) for i in range(len(columns))]
        highs = [_float(bounds[f"high_{i}"]) for i in range(len(columns))]
        varies = [bounds[f"min_{i}"] != bounds[f"max_{i}"] for i in range(len(columns))]
    params |= {f"low_{i}": lows[i] for i in range(len(columns))}
    params |= {f"high_{i}": highs[i] for i in range(len(columns))}
    stats = _one_row(run, f"scale_{pre.scaling}", params, columns)
    warnings: list[str] = list(feats.warnings)
    scalers, said = duck_preprocess.numeric_scalers(
        config,
        columns=columns,
        stats=stats,
        transforms=transforms,
        impute=impute,
        lows=lows,
        highs=highs,
        varies=varies,
        origin=feats.origin,
    )
    warnings += said
    result = Preprocessed(
        scalers=tuple(scalers),
        n_rows=n_rows,
        dropped_rows=feats.n_rows - n_rows + feats.dropped_entities,
        warnings=tuple(warnings),
    )
    scaled = spark_sql.run(run.spark, "scaled", _spark_params(result.params(drop=drop)), columns=columns)
    files = _stage(run, scaled, "scaled", feats.origin)
    run.view(run.spark.read.parquet(str(Path(files).parent)), "segsql_scaled")
    sql.execute(session.con, "spark/staged", view="segsql_scaled", files=files)
    session.leave("scaled", "segsql_scaled")
    return result


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _spark_params(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters for Spark: numbers as floats (Spark binds a Python int as an INT)."""
    return {k: float(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in params.items()}


def _one_row(run: SparkRun, name: str, params: dict[str, Any], columns: list[str]) -> dict[str, Any]:
    try:
        row = spark_sql.run(run.spark, name, _spark_params(params), columns=columns).collect()[0]
    except QueryError:
        raise
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise QueryError(spark_sql.first_line(exc), query=f"queries/spark/{name}.sql") from None
    return row.asDict()


# --- matrix and model ----------------------------------------------------------------------------


def prepare(session: Session, results: Mapping[str, Any]) -> Prepared:
    """The matrix step: the seeded sample of ``[model] sweep_sample`` rows (every row when it is as large)."""
    run, model = _run(session), session.config.model
    pre: Preprocessed = results["preprocess"]
    columns = pre.columns
    chosen = matrix_rows.seeded_rows(pre.n_rows, model.sweep_sample, model.random_state)
    scaled = run.spark.table("segsql_scaled")
    if chosen is not None:
        wanted = run.spark.createDataFrame(pa.table({"segsql_row": pa.array(chosen, pa.int64())}))
        scaled = scaled.join(wanted, on="segsql_row", how="inner")
    table = scaled.select("segsql_row", *[scaled[c] for c in columns]).orderBy("segsql_row").toArrow()
    X = np.column_stack([table.column(i + 1).to_numpy().astype(np.float64) for i in range(len(columns))])
    X = np.ascontiguousarray(X.reshape(table.num_rows, len(columns)))
    session.matrix = Matrix(X=X, labels=None)
    strategy = f"spark_{session.config.spark.fit}"
    return Prepared(strategy=strategy, columns=columns, n_rows=pre.n_rows, sample=chosen)


def fit(session: Session, results: Mapping[str, Any]) -> FitResult:
    """The model step: the fit (the sample, or MLlib on every row), then every row assigned in Spark SQL."""
    run, config = _run(session), session.config
    prepared: Prepared = results["matrix"]
    pre: Preprocessed = results["preprocess"]
    feats: Features = results["features"]
    assert session.matrix is not None
    X = session.matrix.X
    on_step = session.tell("model")
    if config.spark.fit == "sample":
        fitted = fit_matrix(
            X, config.model, n_distinct=feats.n_distinct, on_step=on_step, warm=warm.load(session, results)
        )
        result = replace(fitted.result, strategy=prepared.strategy)
        labels = fitted.labels
    else:
        result, labels = _mllib(run, config, prepared, X, n_distinct=feats.n_distinct, on_step=on_step)
    _assign(session, run, feats, pre, result)
    # the 2-D map and the stability step read the whole matrix when the sample is every row
    session.matrix = Matrix(X=X, labels=labels) if prepared.sample is None else None
    session.leave("labels", "segsql_labels")
    return result


def _mllib(
    run: SparkRun, config: Config, prepared: Prepared, Xs: np.ndarray, *, n_distinct: int | None, on_step: Any
) -> tuple[FitResult, np.ndarray]:
    """The sweep on the sample; the final fit Spark MLlib KMeans (k-means||) on every row."""
    from pyspark.ml.clustering import KMeans
    from pyspark.ml.feature import VectorAssembler

    model = config.model
    ks = usable_ks(model, prepared.n_rows, n_distinct)
    sweep = sweep_k(Xs, model, ks, on_step=on_step)
    k = sweep.k
    on_step(f"final fit, K = {k}, {prepared.n_rows} rows (Spark MLlib)", len(ks), len(ks) + 1)
    names = [f"segsql_x{i}" for i in range(len(prepared.columns))]
    scaled = run.spark.table("segsql_scaled")
    scaled = scaled.select(*[scaled[c].alias(n) for c, n in zip(prepared.columns, names, strict=True)])
    vectors = VectorAssembler(inputCols=names, outputCol="segsql_vector").transform(scaled)
    kmeans = KMeans(
        k=k,
        seed=model.random_state,
        maxIter=model.max_iter,
        initMode="k-means||",
        featuresCol="segsql_vector",
        predictionCol="segsql_cluster",
    )
    fitted = kmeans.fit(vectors)
    raw_centers = np.array([np.asarray(c, dtype=np.float64) for c in fitted.clusterCenters()])
    summary = fitted.summary
    sizes = np.asarray(summary.clusterSizes, dtype=np.int64)
    if (sizes == 0).any():
        raise DataError(f"k-means found fewer than K = {k} non-empty segments: too few distinct points")
    order = renumber(sizes, raw_centers)
    centers = raw_centers[order]
    distances = ((Xs[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    labels = distances.argmin(axis=1) + 1
    score = silhouette(Xs, labels, model) if len(np.unique(labels)) > 1 else float("nan")
    result = FitResult(
        strategy=prepared.strategy,
        k=k,
        k_choice=sweep.k_choice,
        sweep=sweep.table(),
        sweep_rows=Xs.shape[0],
        centers=centers,
        inertia=float(summary.trainingCost),
        silhouette=score,
        n_iter=int(summary.numIter),
    )
    return result, labels


def _assign(session: Session, run: SparkRun, feats: Features, pre: Preprocessed, result: FitResult) -> None:
    """Every row's segment and distance by the portable scoring query, run as Spark SQL; staged for DuckDB."""
    k = result.k
    model = SavedModel(
        run_id=0,
        entity="segsql_entity",
        features=pre.columns,
        impute=session.config.preprocess.impute,
        transforms=tuple(s.transform for s in pre.scalers),
        impute_values=tuple(s.impute_value for s in pre.scalers),
        clip_low=tuple(s.clip_low for s in pre.scalers),
        clip_high=tuple(s.clip_high for s in pre.scalers),
        centers=tuple(s.center for s in pre.scalers),
        scales=tuple(s.scale for s in pre.scalers),
        segments=tuple(range(1, k + 1)),
        centroids=tuple(tuple(float(v) for v in c) for c in result.centers),
        names=(None,) * k,
        p99=(None,) * k,
    )
    query = replay_query(model, named_table(("segsql_features",)), dialect="spark").sql(dialect="spark")
    try:
        scored = run.spark.sql(query).select("segsql_entity", "segment", "distance")
        files = _stage(run, scored, "labels", feats.origin)
    except QueryError:
        raise
    except Exception as exc:
        if not spark_sql.is_spark_error(exc):
            raise
        raise QueryError(spark_sql.first_line(exc), query="the scoring query (Spark)") from None
    # Spark's own labels, which the profiles read (segsql.spark.profiles replays the DuckDB
    # steps' renumbering and merges on them)
    run.view(run.spark.read.parquet(str(Path(files).parent)), "segsql_spark_labels")
    sql.execute(session.con, "spark/staged_labels", files=files)
