"""The Spark engine: ``[project] engine = "spark"`` (README, "Spark").

The steps that touch every row run in Spark: the sources become Spark temp
views, the feature query (or the RFM recipe's Spark form) runs as Spark SQL,
the preprocessing is fitted and applied in Spark SQL, the fit is scikit-learn
on a seeded sample collected to the driver or Spark MLlib on every row, and
every row is assigned by the portable scoring query
(:func:`segsql.scoring.replay.replay_query`, written for Spark by sqlglot).
The profiles and the segment summary's sizes and p99 distances are Spark SQL
too (:mod:`segsql.spark.profiles`, the Spark form of the profiles step), handed to
DuckDB as a few rows per segment. What else Spark computed is staged as
Parquet, and the other steps that follow (the checks, diagnostics, lifecycle,
guard, drift, names, rules, the map and the write-back) read it in DuckDB, so
they are the DuckDB engine's own code; the per-entity segments go to
``[spark] output`` and the run database gets a ``segments`` view over it.
:mod:`segsql.spark.engine` swaps the steps in.
"""

from __future__ import annotations

from segsql.spark.engine import spark_steps, use_spark
from segsql.spark.output import SparkRun

__all__ = ["SparkRun", "spark_steps", "use_spark"]
