-- segsql: open the run database read-only, under segsql's own catalog name.
-- inputs:     the database file at the path, which must exist.
-- parameters: none: DuckDB cannot prepare ATTACH, so the path arrives as a literal
--             quoted by segsql.sql.quote_literal.
-- output:     the catalog {{ catalog }}, read-only, made the default; the in-memory
--             catalog the connection started with is detached.
ATTACH {{ literal: path }} AS {{ catalog }} (READ_ONLY);
USE {{ catalog }};
DETACH memory
