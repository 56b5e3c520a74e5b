-- segsql: the temporary objects of the connection (not DuckDB's internal views).
-- inputs:  none.
-- output:  (kind, name), kind one of view, table, macro, table_macro, sequence;
--          registered Arrow and Polars frames are views.
SELECT 'view' AS kind, view_name AS name FROM duckdb_views() WHERE temporary AND NOT internal
UNION ALL
SELECT 'table', table_name FROM duckdb_tables() WHERE temporary
UNION ALL
SELECT function_type, function_name FROM duckdb_functions()
WHERE database_name = 'temp' AND function_type IN ('macro', 'table_macro')
UNION ALL
SELECT 'sequence', sequence_name FROM duckdb_sequences() WHERE temporary
