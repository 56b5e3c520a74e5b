-- segsql (DuckDB SQL): the segments table of a Spark-engine run database, a view over the
-- Parquet folder [spark] output (one run_id=N/ folder per run), so that report, score, runs,
-- diff and query read the segments as they read a DuckDB engine's table. Only runs the
-- database holds are shown: a run killed after its folder was renamed into place but before
-- its COMMIT left rows no `runs` row names (the next run replaces them).
-- The view's comment is the folder it reads (with a trailing slash): `segsql query`, which may
-- read no file, is let into that folder (segsql.spark.output.allow_output), which for a Spark
-- catalog table only Spark knew when the run wrote it.
-- inputs:  {{ literal: files }}, the glob of the folder's Parquet files; {{ literal: folder }},
--          the folder; {{ runs }}, unqualified (bound in the view's own catalog and schema, as
--          the <table>_latest views are)
-- output:  VIEW {{ view }}(run_id, <entity>, segment, distance), commented with the folder
CREATE OR REPLACE VIEW {{ view }} AS
SELECT run_id, * EXCLUDE (run_id)
FROM read_parquet({{ literal: files }}, hive_partitioning = true)
WHERE run_id IN (SELECT run_id FROM {{ runs }});
COMMENT ON VIEW {{ view }} IS {{ literal: folder }}
