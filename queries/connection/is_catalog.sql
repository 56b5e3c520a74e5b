-- segsql: whether a name is the name of a catalog (an attached database) of the connection,
-- compared as DuckDB compares identifiers, ignoring case.
-- parameters: $name
-- output:     one row, one BOOLEAN column `is_catalog`.
SELECT EXISTS (
    SELECT 1 FROM duckdb_databases() WHERE lower(database_name) = lower($name)
) AS is_catalog
