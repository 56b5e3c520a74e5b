-- segsql: the columns of an output table, to check a new run fits the existing table.
-- parameters: $schema, $table
-- output:     column_name, data_type, in table order
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = $schema AND table_name = $table
ORDER BY column_index
