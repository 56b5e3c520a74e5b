-- segsql: where a table named by `segsql score --into` would go, to refuse segsql's own schema.
-- inputs:  the connection's catalogs and the schemas of its current catalog
-- output:  one row: catalog (the current catalog), schema (the current schema),
--          schemas VARCHAR[] (the current catalog's), catalogs VARCHAR[] (every attached one)
SELECT current_database() AS catalog,
       current_schema() AS schema,
       (SELECT list(schema_name) FROM duckdb_schemas() WHERE database_name = current_database()) AS schemas,
       (SELECT list(database_name) FROM duckdb_databases()) AS catalogs
