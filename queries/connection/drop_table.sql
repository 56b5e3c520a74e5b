-- segsql: drop a temporary table segsql created in a caller's connection.
-- inputs:  {{ name }}, in the temp catalog.
-- output:  none.
DROP TABLE IF EXISTS temp.main.{{ name }}
