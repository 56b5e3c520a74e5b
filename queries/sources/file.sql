-- segsql: a source file as a temporary view named after its config key.
-- inputs:     the file(s) at the path (globs allowed); the reader is one of
--             read_csv / read_parquet / read_json, chosen by the format.
-- parameters: none: DuckDB cannot prepare DDL, so the path arrives as a
--             literal quoted by segsql.sql.quote_literal.
-- output:     TEMP VIEW {{ name }}, the file's own columns and types.
CREATE OR REPLACE TEMP VIEW {{ name }} AS
SELECT * FROM {{ reader }}({{ literal: path }})
