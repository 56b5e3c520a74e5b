-- segsql: a folder of Parquet files in hive-style key=value/ subfolders as a temporary view.
-- inputs:     every Parquet file under the folder ({{ literal: path }} is the folder's `**/*.parquet`).
-- parameters: none: DuckDB cannot prepare DDL, so the glob arrives as a literal quoted by
--             segsql.sql.quote_literal.
-- output:     TEMP VIEW {{ name }}: the files' columns, then one column per partition key,
--             typed from its values (BIGINT, DATE … else VARCHAR); a filter on a partition
--             column skips the folders it excludes.
CREATE OR REPLACE TEMP VIEW {{ name }} AS
SELECT * FROM read_parquet({{ literal: path }}, hive_partitioning = true, hive_types_autocast = true)
