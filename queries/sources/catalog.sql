-- segsql: where an unqualified or schema-qualified source table lives.
-- parameters: $first  the first part of the configured table name
-- output:     one row: db (the current database), schema (the current schema),
--             first_is_schema (whether $first names a schema of the current database)
SELECT current_database() AS db, current_schema() AS schema,
       EXISTS (
           SELECT 1 FROM duckdb_schemas()
           WHERE database_name = current_database() AND schema_name = $first
       ) AS first_is_schema
