-- segsql (DuckDB SQL): rows the Spark engine wrote to the run's staging folder, readable by the
-- DuckDB steps that follow (checks, diagnostics, profiles, names, rules, map) under segsql's
-- usual relation names.
-- inputs:  {{ literal: files }}, the glob of a staged Parquet folder's files
-- output:  TEMP VIEW {{ view }}, the staged rows as Spark wrote them
CREATE OR REPLACE TEMP VIEW {{ view }} AS
SELECT * FROM read_parquet({{ literal: files }})
