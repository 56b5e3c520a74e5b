-- segsql (DuckDB SQL): what `segments` is in the run database's schema: a table (written by the
-- DuckDB engine), a view (over a Spark engine's [spark] output), or nothing yet.
-- inputs:     information_schema.tables
-- parameters: $schema
-- output:     at most one row: table_type ('BASE TABLE' or 'VIEW')
SELECT table_type
FROM information_schema.tables
WHERE table_schema = $schema AND table_name = 'segments' AND table_catalog = current_database()
