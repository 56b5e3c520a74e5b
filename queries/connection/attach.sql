-- segsql: open the run database for reading and writing, under segsql's own catalog name.
-- inputs:     the database file at the path (created when missing), or ":memory:".
-- parameters: none: DuckDB cannot prepare ATTACH, so the path arrives as a literal
--             quoted by segsql.sql.quote_literal.
-- output:     the catalog {{ catalog }}, made the default; the in-memory catalog the
--             connection started with is detached, so that no catalog is named `memory`.
ATTACH {{ literal: path }} AS {{ catalog }};
USE {{ catalog }};
DETACH memory
