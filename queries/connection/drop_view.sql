-- segsql: drop a temporary view segsql created in a caller's connection.
-- inputs:  {{ name }}, in the temp catalog.
-- output:  none.
DROP VIEW IF EXISTS temp.main.{{ name }}
